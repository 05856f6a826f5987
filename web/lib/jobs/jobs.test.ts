import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BATCH_KEYS, afterBatch, finish, mergeJob, newJob, nextBatch, parseJobs, progress } from './jobs.ts';

const base = () => newJob({ id: 'j1', kind: 'delete', bucket: 'b', prefix: 'reports/', total: 500, now: 1 });

test('batches take files first, folders once the files fit', () => {
    const files = Array.from({ length: 450 }, (_, i) => `reports/f${i}`);
    const b = nextBatch(files, ['reports/a/']);
    assert.equal(b.keys.length, BATCH_KEYS);
    assert.deepEqual(b.prefixes, []);
    const c = nextBatch(['reports/x'], ['reports/a/', 'reports/b/']);
    assert.deepEqual(c, { keys: ['reports/x'], prefixes: ['reports/a/', 'reports/b/'] });
});

test('progress counts done and failed against the total', () => {
    let j = afterBatch(base(), 200, [], 2);
    assert.equal(progress(j), 0.4);
    j = afterBatch(j, 49, [{ key: 'k', message: 'denied' }], 3);
    assert.equal(j.status, 'running');
    assert.equal(progress(j), 0.5);
    assert.equal(finish(j, 4).status, 'failed');
    assert.equal(finish(afterBatch(base(), 500, [], 2), 4).status, 'done');
    assert.equal(progress({ ...base(), total: null }), null);
});

test('a batch where everything failed stops a delete instead of looping', () => {
    const j = afterBatch(base(), 0, [{ key: 'k', message: 'denied' }], 5);
    assert.equal(j.status, 'failed');
    assert.equal(j.endedAt, 5);
});

test('only the first errors are kept', () => {
    let j = base();
    for (let i = 0; i < 4; i++) j = afterBatch(j, 1, [{ key: `a${i}`, message: 'x' }, { key: `b${i}`, message: 'x' }], 2);
    assert.equal(j.failed, 8);
    assert.equal(j.errors.length, 5);
});

test('saved jobs: newest first, bounded, junk ignored', () => {
    let list = [] as ReturnType<typeof base>[];
    for (let i = 0; i < 25; i++) list = mergeJob(list, { ...base(), id: `j${i}`, startedAt: i });
    assert.equal(list.length, 20);
    assert.equal(list[0]!.id, 'j24');
    assert.deepEqual(parseJobs('{"x":1}'), []);
    assert.deepEqual(parseJobs('not json'), []);
    assert.equal(parseJobs(JSON.stringify(list)).length, 20);
});
