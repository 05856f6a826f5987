import assert from 'node:assert/strict';
import { test } from 'node:test';

import { freeName, numberedName } from './names';

test('numbered names match the server\'s', () => {
    const cases: [string, number, string][] = [
        ['report.pdf', 1, 'report (1).pdf'],
        ['a/b/report.pdf', 2, 'a/b/report (2).pdf'],
        ['archive.tar.gz', 1, 'archive.tar (1).gz'],
        ['README', 3, 'README (3)'],
        ['.env', 1, '.env (1)'],
        ['dir.v2/notes', 1, 'dir.v2/notes (1)'],
        ['a/folder/', 1, 'a/folder (1)/'],
        ['été/café.txt', 12, 'été/café (12).txt'],
    ];
    for (const [key, n, want] of cases) assert.equal(numberedName(key, n), want, key);
});

test('freeName skips taken names and gives up after the tries', async () => {
    const taken = new Set(['r.txt', 'r (1).txt', 'r (2).txt']);
    assert.equal(await freeName('r.txt', async (k) => taken.has(k)), 'r (3).txt');
    assert.equal(await freeName('new.txt', async (k) => taken.has(k)), 'new.txt');
    assert.equal(await freeName('r.txt', async () => true, 5), null);
});
