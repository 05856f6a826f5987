import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_PART_ATTEMPTS, retryDelay } from './planner.ts';
import { withRetry, type RetryOptions } from './retry.ts';

/** Options whose sleep records the pauses instead of waiting. */
function options(over: Partial<RetryOptions> = {}): RetryOptions & { pauses: number[]; retried: unknown[] } {
    const pauses: number[] = [];
    const retried: unknown[] = [];
    return {
        attempts: MAX_PART_ATTEMPTS,
        delay: (a) => retryDelay(a, 0.5),
        sleep: async (ms) => {
            pauses.push(ms);
        },
        fatal: () => false,
        onRetry: (e) => retried.push(e),
        pauses,
        retried,
        ...over,
    };
}

test('a part that succeeds at once is sent once, without a pause', async () => {
    const o = options();
    let calls = 0;
    assert.equal(await withRetry(async () => (calls++, '"etag"'), o), '"etag"');
    assert.equal(calls, 1);
    assert.deepEqual(o.pauses, []);
});

test('a failing part is tried again after growing pauses, and its success is returned', async () => {
    const o = options();
    const seen: number[] = [];
    const got = await withRetry(async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error(`503 #${attempt}`);
        return `"ok after ${attempt}"`;
    }, o);
    assert.equal(got, '"ok after 3"');
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(o.pauses, [retryDelay(1, 0.5), retryDelay(2, 0.5)]);
    assert.ok(o.pauses[1]! > o.pauses[0]!, 'the pause grows');
    assert.deepEqual((o.retried as Error[]).map((e) => e.message), ['503 #1', '503 #2']);
});

test('after the last attempt the last error is thrown', async () => {
    const o = options({ attempts: 4 });
    let calls = 0;
    await assert.rejects(
        withRetry(async (attempt) => {
            calls++;
            throw new Error(`fail ${attempt}`);
        }, o),
        /fail 4/,
    );
    assert.equal(calls, 4);
    assert.equal(o.pauses.length, 3, 'no pause after the last attempt');
    await assert.rejects(
        withRetry(async () => {
            throw new Error('503');
        }, options({ attempts: 2, exhausted: () => new Error('part_failed') })),
        /part_failed/,
        'exhausted names the error shown',
    );
});

test('a fatal error (a cancel) is thrown at once, never retried', async () => {
    const cancelled = new Error('AbortError');
    const o = options({ fatal: (e) => e === cancelled });
    let calls = 0;
    await assert.rejects(
        withRetry(async () => {
            calls++;
            throw cancelled;
        }, o),
        (e) => e === cancelled,
    );
    assert.equal(calls, 1);
    assert.deepEqual(o.pauses, []);
});

test('a cancel during the pause ends the retries', async () => {
    const o = options({
        sleep: async () => {
            throw new Error('cancelled while waiting');
        },
    });
    let calls = 0;
    await assert.rejects(
        withRetry(async () => {
            calls++;
            throw new Error('503');
        }, o),
        /cancelled while waiting/,
    );
    assert.equal(calls, 1);
});
