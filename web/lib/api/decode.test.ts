import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DecodeError, arr, idLike, nullable, num, obj, oneOf, str, withDefault } from './decode.ts';
import { toFile, wireObject, wireUser } from './types.ts';

test('decoders accept the contract and name the path of what breaks it', () => {
    const d = obj({ a: str, b: arr(num), c: nullable(str), d: withDefault(num, 7) });
    assert.deepEqual(d({ a: 'x', b: [1, 2], c: null, extra: true }, '$'), { a: 'x', b: [1, 2], c: null, d: 7 });
    assert.throws(() => d({ a: 'x', b: [1, 'two'] }, '$'), (e: unknown) => e instanceof DecodeError && e.path === '$.b[1]');
    assert.throws(() => d(null, '$'), DecodeError);
    assert.throws(() => num(Number.NaN, '$'), DecodeError);
    assert.throws(() => oneOf(['a', 'b'])('c', '$'), /a \| b/);
    assert.equal(idLike(42, '$'), '42');
    assert.equal(idLike('u1', '$'), 'u1');
});

test('an object from the wire becomes a FileItem named by its last segment', () => {
    const f = toFile(wireObject({ bucket: 'b', key: 'a/b/<img src=x onerror=alert(1)>.png', size: 3, lastModified: '2026-11-23T20:15:00.123Z', etag: '"e"', contentType: null, uploadedBy: 7 }, '$'));
    assert.equal(f.name, '<img src=x onerror=alert(1)>.png');
    assert.equal(f.lastModified, Date.parse('2026-11-23T20:15:00.123Z'));
    assert.equal(f.uploadedBy, '7');
    assert.equal(f.contentType, null);
});

test('a user never needs more than the contract, and a bad role is refused', () => {
    const u = wireUser({ id: 1, email: 'a@b', name: 'A', role: 'manager', disabled: false, createdAt: null, lastLoginAt: null }, '$');
    assert.equal(u.id, '1');
    assert.throws(() => wireUser({ id: 1, email: 'a@b', role: 'root' }, '$'), DecodeError);
});
