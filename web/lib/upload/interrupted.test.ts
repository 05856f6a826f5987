import assert from 'node:assert/strict';
import { test } from 'node:test';

import { interrupted, mismatch } from './interrupted.ts';
import type { ResumeRecord } from './planner.ts';

const rec = (uploadId: string, createdAt = 1000): ResumeRecord => ({ name: 'a.bin', size: 10, lastModified: 5, bucket: 'b', key: 'a.bin', uploadId, partSize: 8, createdAt });

test('a saved session no live upload owns is interrupted; old ones are not offered', () => {
    const rs = [rec('u1'), rec('u2'), rec('old', 0)];
    assert.deepEqual(interrupted(rs, new Set(['u2']), 2000, 1500).map((r) => r.uploadId), ['u1']);
    assert.deepEqual(interrupted(rs, new Set(), 1000, 5000).length, 3);
});

test('a re-picked file must match by name, size and date', () => {
    const r = rec('u');
    assert.equal(mismatch(r, { name: 'a.bin', size: 10, lastModified: 5 }), null);
    assert.equal(mismatch(r, { name: 'b.bin', size: 10, lastModified: 5 }), 'name');
    assert.equal(mismatch(r, { name: 'a.bin', size: 11, lastModified: 5 }), 'size');
    assert.equal(mismatch(r, { name: 'a.bin', size: 10, lastModified: 6 }), 'date');
});
