import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
    GiB,
    MiB,
    S3_MAX_PARTS,
    checkPartSize,
    choosePartSize,
    concurrencyFor,
    destinationKey,
    findResumable,
    keyProblem,
    planParts,
    pruneRecords,
    resumePlan,
    retryDelay,
    secondsLeft,
    type ResumeRecord,
} from './planner.ts';

test('part size: the size over 32 parts, 8 to 64 MiB, larger only for 10,000 parts (the server\'s rule)', () => {
    const cases: [number, number][] = [
        [0, 8 * MiB],
        [1, 8 * MiB],
        [100 * MiB, 8 * MiB],
        [256 * MiB, 8 * MiB],
        [256 * MiB + 1, 9 * MiB],
        [1 * GiB, 32 * MiB],
        [2 * GiB, 64 * MiB],
        [64 * MiB * S3_MAX_PARTS, 64 * MiB],
        [64 * MiB * S3_MAX_PARTS + 1, 65 * MiB],
        [1024 * GiB, 105 * MiB],
        [5 * 1024 * GiB, 525 * MiB],
    ];
    for (const [size, want] of cases) {
        const got = choosePartSize(size);
        assert.equal(got, want, `size ${size}`);
        assert.equal(checkPartSize(size, got), null, `S3 accepts the chosen size for ${size}`);
        assert.ok(Math.ceil(size / got) <= S3_MAX_PARTS);
    }
});

test('checkPartSize refuses what S3 refuses', () => {
    assert.match(checkPartSize(20 * MiB, 4 * MiB) ?? '', /5 MiB/);
    assert.equal(checkPartSize(4 * MiB, 4 * MiB), null, 'one small part is fine');
    assert.match(checkPartSize(10_001 * 5 * MiB, 5 * MiB) ?? '', /10,000/);
    assert.match(checkPartSize(10 * GiB, 6 * GiB) ?? '', /5 GiB/);
    assert.match(checkPartSize(10, 0) ?? '', /positive/);
    assert.match(checkPartSize(10, 1.5) ?? '', /positive/);
});

test('planParts covers the file exactly, last part short, numbered from 1', () => {
    const parts = planParts(20 * MiB + 3, 8 * MiB);
    assert.deepEqual(
        parts.map((p) => [p.partNumber, p.start, p.end]),
        [
            [1, 0, 8 * MiB],
            [2, 8 * MiB, 16 * MiB],
            [3, 16 * MiB, 20 * MiB + 3],
        ],
    );
    assert.deepEqual(planParts(16 * MiB, 8 * MiB).map((p) => p.end - p.start), [8 * MiB, 8 * MiB]);
    assert.deepEqual(planParts(0, 8 * MiB), [{ partNumber: 1, start: 0, end: 0 }]);
    assert.throws(() => planParts(10, 0), RangeError, 'a zero part size would never end');
    assert.throws(() => planParts(10, -1), RangeError);
});

test('resumePlan sends only the missing parts, and re-sends parts whose size does not match', () => {
    const plan = planParts(20 * MiB, 8 * MiB);
    const { todo, done } = resumePlan(plan, [
        { partNumber: 1, etag: '"a"', size: 8 * MiB },
        { partNumber: 3, etag: '"c"', size: 1 * MiB }, // wrong size: another file's part
        { partNumber: 9, etag: '"z"', size: 8 * MiB }, // not in this plan
    ]);
    assert.deepEqual(todo.map((p) => p.partNumber), [2, 3]);
    assert.deepEqual([...done], [[1, '"a"']]);
    const all = resumePlan(plan, plan.map((p) => ({ partNumber: p.partNumber, etag: `"${p.partNumber}"`, size: p.end - p.start })));
    assert.equal(all.todo.length, 0);
    assert.equal(all.done.size, 3);
    assert.equal(resumePlan(plan, []).todo.length, 3);
});

const rec = (o: Partial<ResumeRecord>): ResumeRecord => ({
    name: 'a.bin',
    size: 100,
    lastModified: 1000,
    bucket: 'b',
    key: 'dir/a.bin',
    uploadId: 'u1',
    partSize: 8 * MiB,
    createdAt: 10_000,
    ...o,
});

test('findResumable matches name, size, last modification and destination', () => {
    const f = { name: 'a.bin', size: 100, lastModified: 1000 };
    const now = 20_000;
    assert.equal(findResumable([rec({})], f, 'b', 'dir/a.bin', now)?.uploadId, 'u1');
    assert.equal(findResumable([rec({ size: 101 })], f, 'b', 'dir/a.bin', now), null, 'size differs');
    assert.equal(findResumable([rec({ lastModified: 999 })], f, 'b', 'dir/a.bin', now), null, 'modified since');
    assert.equal(findResumable([rec({ name: 'b.bin' })], f, 'b', 'dir/a.bin', now), null, 'other name');
    assert.equal(findResumable([rec({})], f, 'other', 'dir/a.bin', now), null, 'other bucket');
    assert.equal(findResumable([rec({})], f, 'b', 'elsewhere/a.bin', now), null, 'other key');
    assert.equal(findResumable([rec({ createdAt: 0 })], f, 'b', 'dir/a.bin', 25 * 3600 * 1000), null, 'expired');
    const newest = findResumable([rec({ uploadId: 'old', createdAt: 1 }), rec({ uploadId: 'new', createdAt: 5 })], f, 'b', 'dir/a.bin', now);
    assert.equal(newest?.uploadId, 'new');
});

test('pruneRecords drops expired ones and keeps the newest', () => {
    const now = 48 * 3600 * 1000;
    const rs = [rec({ uploadId: 'x', createdAt: 0 }), rec({ uploadId: 'y', createdAt: now - 10 }), rec({ uploadId: 'z', createdAt: now - 5 })];
    assert.deepEqual(pruneRecords(rs, now).map((r) => r.uploadId), ['z', 'y']);
    assert.deepEqual(pruneRecords(rs, now, 1).map((r) => r.uploadId), ['z']);
});

test('concurrency and retry back-off stay bounded', () => {
    assert.equal(concurrencyFor(1, 8 * MiB), 1);
    assert.equal(concurrencyFor(20 * MiB, 8 * MiB), 3);
    assert.equal(concurrencyFor(1 * GiB, 8 * MiB), 6, 'as many as Chromium opens to one host');
    assert.equal(concurrencyFor(1 * GiB, 32 * MiB), 6);
    assert.equal(concurrencyFor(5 * 32 * MiB, 32 * MiB), 5);
    assert.equal(retryDelay(1, 0), 250);
    assert.equal(retryDelay(1, 0.5), 375);
    assert.equal(retryDelay(10, 0.5), 6000, 'capped at 8 s before jitter');
    assert.ok(retryDelay(3, 0.5) > retryDelay(2, 0.5));
});

test('keyProblem mirrors the server key rules', () => {
    assert.equal(keyProblem('a/b c.txt'), null);
    assert.equal(keyProblem('<img src=x onerror=alert(1)>.png'), null);
    assert.equal(keyProblem(''), 'key_empty');
    assert.equal(keyProblem('/a'), 'key_leading_slash');
    assert.equal(keyProblem('a/../b'), 'key_dots');
    assert.equal(keyProblem('a/./b'), 'key_dots');
    assert.equal(keyProblem('a\nb'), 'key_control');
    assert.equal(keyProblem('é'.repeat(512)), null, '1024 bytes');
    assert.equal(keyProblem('é'.repeat(512) + 'x'), 'key_too_long', '1025 bytes');
    assert.equal(destinationKey('docs/', 'sub/a.txt'), 'docs/sub/a.txt');
    assert.equal(destinationKey('', '/a.txt'), 'a.txt');
});

test('secondsLeft is unknown until there is a speed', () => {
    assert.equal(secondsLeft(100, 0), null);
    assert.equal(secondsLeft(100, 30), 4);
});
