import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PartUrls, URLS_PER_REQUEST } from './part-urls.ts';

/** A fake server: records each request's part numbers and answers u<n>#<request>. */
function server(o: { omit?: number[] } = {}) {
    const requests: number[][] = [];
    const fetchUrls = async (numbers: number[]) => {
        requests.push(numbers);
        await new Promise((r) => setTimeout(r, 1));
        return new Map(numbers.filter((n) => !o.omit?.includes(n)).map((n) => [n, `u${n}#${requests.length}`]));
    };
    return { requests, fetchUrls };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

test('the URLs the session came with are used without a request', async () => {
    const s = server();
    const urls = new PartUrls(new Map([[1, 'first'], [2, 'second']]), s.fetchUrls, () => []);
    assert.equal(await urls.get(1), 'first');
    assert.equal(await urls.get(2), 'second');
    assert.equal(s.requests.length, 0);
});

test('a missing URL is fetched with the next parts, at most 100 a request (the server refuses more)', async () => {
    const s = server();
    const queue = range(101, 640);
    const urls = new PartUrls(new Map(range(1, 100).map((n) => [n, `init${n}`])), s.fetchUrls, () => queue);
    assert.equal(await urls.get(101), 'u101#1');
    assert.equal(s.requests.length, 1);
    assert.equal(s.requests[0]!.length, URLS_PER_REQUEST);
    assert.deepEqual(s.requests[0], range(101, 200));
    assert.equal(await urls.get(200), 'u200#1', 'fetched in the same batch');
    assert.equal(await urls.get(201), 'u201#2');
    assert.deepEqual(s.requests[1], range(201, 300));
});

test('workers asking at once share one request', async () => {
    const s = server();
    const queue = range(1, 10);
    const urls = new PartUrls(new Map(), s.fetchUrls, () => queue);
    const got = await Promise.all([urls.get(1), urls.get(2), urls.get(3), urls.get(4)]);
    assert.deepEqual(got, ['u1#1', 'u2#1', 'u3#1', 'u4#1']);
    assert.equal(s.requests.length, 1);
});

test('a part outside the batch in flight waits for it, then gets its own', async () => {
    const s = server();
    const urls = new PartUrls(new Map(), s.fetchUrls, () => []);
    const [a, b] = await Promise.all([urls.get(7), urls.get(9)]);
    assert.equal(a, 'u7#1');
    assert.equal(b, 'u9#2');
    assert.deepEqual(s.requests, [[7], [9]]);
});

test('a dropped (expired) URL is fetched afresh', async () => {
    const s = server();
    const urls = new PartUrls(new Map([[3, 'stale']]), s.fetchUrls, () => [3]);
    urls.drop(3);
    assert.equal(await urls.get(3), 'u3#1');
});

test('a part the server gives no URL for fails instead of asking forever', async () => {
    const s = server({ omit: [5] });
    const urls = new PartUrls(new Map(), s.fetchUrls, () => [5, 6]);
    await assert.rejects(urls.get(5), /no URL for part 5/);
    assert.equal(s.requests.length, 1);
    assert.equal(await urls.get(6), 'u6#1');
});

test('a failed request is the caller\'s to retry; the next get asks again', async () => {
    let fail = true;
    const calls: number[][] = [];
    const urls = new PartUrls(new Map(), async (numbers) => {
        calls.push(numbers);
        if (fail) throw new Error('503');
        return new Map(numbers.map((n) => [n, `ok${n}`]));
    }, () => [1]);
    await assert.rejects(urls.get(1), /503/);
    fail = false;
    assert.equal(await urls.get(1), 'ok1');
    assert.equal(calls.length, 2);
});
