import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { FileItem } from './api/types.ts';
import { insertSorted } from './sort.ts';

function f(key: string, size = 0, lastModified = 0): FileItem {
    return { kind: 'file', bucket: 'b', key, name: key, size, lastModified, etag: null, contentType: null, uploadedBy: null };
}
const keys = (xs: FileItem[]) => xs.map((x) => x.key);

test('a new file lands in name order, not at the end', () => {
    assert.deepEqual(keys(insertSorted([f('a'), f('c'), f('e')], f('d'), 'name')), ['a', 'c', 'd', 'e']);
    assert.deepEqual(keys(insertSorted([f('e'), f('c'), f('a')], f('d'), '-name')), ['e', 'd', 'c', 'a']);
    assert.deepEqual(keys(insertSorted([], f('x'), 'name')), ['x']);
});

test('names compare by code unit, as S3 lists them', () => {
    assert.deepEqual(keys(insertSorted([f('B'), f('a')], f('Z'), 'name')), ['B', 'Z', 'a']);
});

test('size and date orders, ties broken by key', () => {
    const xs = [f('a', 1), f('b', 5), f('c', 9)];
    assert.deepEqual(keys(insertSorted(xs, f('z', 5), 'size')), ['a', 'b', 'z', 'c']);
    assert.deepEqual(keys(insertSorted([f('c', 9), f('b', 5), f('a', 1)], f('d', 6), '-size')), ['c', 'd', 'b', 'a']);
    assert.deepEqual(keys(insertSorted([f('a', 0, 10), f('b', 0, 30)], f('n', 0, 20), 'lastModified')), ['a', 'n', 'b']);
});

test('a replaced file moves when its size changes', () => {
    const xs = [f('a', 1), f('b', 5), f('c', 9)];
    assert.deepEqual(keys(insertSorted(xs, f('a', 10), 'size')), ['b', 'c', 'a']);
    assert.equal(insertSorted(xs, f('b', 5), 'size').length, 3);
});

test('beyond the last loaded row of an incomplete listing, later pages bring it', () => {
    assert.deepEqual(keys(insertSorted([f('a'), f('b')], f('z'), 'name', false)), ['a', 'b']);
    assert.deepEqual(keys(insertSorted([f('a'), f('c')], f('b'), 'name', false)), ['a', 'b', 'c']);
});
