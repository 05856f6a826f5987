/*
 * Resilience on S3 (README "Operations"): the circuit breaker and the cache,
 * against Ceph RGW behind a small proxy of this test that injects the faults
 * (answering 503, answering slowly, not listening at all) and counts the
 * requests that reach S3.
 *
 * - 50 people opening one folder at once cost S3 one listing; a change made
 *   through Seau shows at once in the next listing.
 * - A failing endpoint (503, too slow, down) opens the breaker after the
 *   configured failures: calls are answered 503 upstream_unavailable at once
 *   with Retry-After, without reaching S3; /api/ready's details and the
 *   metrics say so; once S3 is back, the probe closes it.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';

import { ADMIN, login, poll, req, sleep, startServer, test, type SeauServer } from './harness.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const BUCKET = 'resil-a';
let peer: S3Peer;
let srv: SeauServer;
let admin: string;

/** The fault-injecting proxy in front of RGW. */
type Mode = 'pass' | '503' | 'slow';
const proxy = {
    mode: 'pass' as Mode,
    delayMs: 0, /* added before passing on, in mode pass */
    seen: [] as string[], /* "GET /bucket?list-type=2..." of every request that reached S3 */
    server: undefined as http.Server | undefined,
    port: 0,
};

/** Listings of folder/ that reached S3 (not the index's own walk of the bucket, which may run meanwhile). */
function listings(): number {
    return proxy.seen.filter((s) => s.startsWith('GET ') && s.includes('list-type=2') && /[?&]prefix=folder(%2F|\/)/.test(s)).length;
}

function startProxy(port = 0): Promise<void> {
    const target = new URL(peer.endpoint);
    proxy.server = http.createServer((inReq, inRes) => {
        proxy.seen.push(`${inReq.method} ${inReq.url}`);
        const chunks: Buffer[] = [];
        inReq.on('data', (c: Buffer) => chunks.push(c));
        inReq.on('end', async () => {
            if (proxy.mode === '503') {
                inRes.writeHead(503, { 'content-type': 'application/xml' });
                inRes.end('<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>');
                return;
            }
            if (proxy.mode === 'slow')
                await sleep(3000);
            else if (proxy.delayMs)
                await sleep(proxy.delayMs);
            /* Headers as they came (Host included): the signature covers them. */
            const out = http.request(
                { host: target.hostname, port: target.port, method: inReq.method, path: inReq.url, headers: inReq.headers },
                (res) => {
                    inRes.writeHead(res.statusCode ?? 502, res.headers);
                    res.pipe(inRes);
                },
            );
            out.on('error', () => inRes.destroy());
            out.end(Buffer.concat(chunks));
        });
    });
    return new Promise((resolve) => proxy.server!.listen(port, '127.0.0.1', () => {
        proxy.port = (proxy.server!.address() as AddressInfo).port;
        resolve();
    }));
}

function stopProxy(): Promise<void> {
    return new Promise((resolve) => {
        proxy.server!.close(() => resolve());
        proxy.server!.closeAllConnections();
    });
}

async function metric(name: string): Promise<number> {
    const r = await req(srv, 'GET', '/api/metrics');
    const line = r.text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
    return line ? Number(line.split(' ').pop()) : NaN;
}

async function readyCircuit(): Promise<string> {
    const r = await req(srv, 'GET', '/api/ready');
    const details = r.status === 200 ? r.body.details : r.body.error.details.details;
    return details.s3Circuit.state;
}

/** Waits for the breaker to let a probe through and close again with S3 healthy. */
async function recover(): Promise<void> {
    proxy.mode = 'pass';
    await poll('the breaker to close after a successful probe', async () => {
        const r = await req(srv, 'GET', `/api/list?bucket=${BUCKET}&prefix=folder/`, { token: admin });
        return r.status === 200 && (await readyCircuit()) === 'closed';
    }, 20_000, 250);
}

before(async () => {
    peer = await startRgw([BUCKET]);
    for (let i = 0; i < 3; i++)
        await peer.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `folder/f${i}.txt`, Body: `file ${i}` }));
    await startProxy();
    srv = await startServer({
        env: {
            ...peer.seauEnv([BUCKET]),
            SEAU_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
            SEAU_S3_BREAKER_FAILURES: '3',
            SEAU_S3_BREAKER_OPEN: '2s',
            SEAU_S3_REQUEST_TIMEOUT: '1s',
            SEAU_S3_CACHE_TTL: '10s',
            SEAU_INDEX_RECONCILE_INTERVAL: '0',
        },
    });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
}, { timeout: 120_000 });

after(async () => {
    if (proxy.server?.listening)
        await stopProxy();
});

test('50 people opening one folder cost S3 one listing; a change through Seau shows at once', async () => {
    proxy.delayMs = 400; /* every listing is slow, so that the 50 overlap */
    const before = listings();
    const all = await Promise.all(Array.from({ length: 50 }, () =>
        req(srv, 'GET', `/api/list?bucket=${BUCKET}&prefix=folder/`, { token: admin })));
    for (const r of all) {
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body.files.map((f: { key: string }) => f.key), ['folder/f0.txt', 'folder/f1.txt', 'folder/f2.txt']);
    }
    assert.equal(listings() - before, 1, 'one ListObjectsV2 for 50 identical listings');
    /* Within the TTL, again from the cache. */
    const again = await req(srv, 'GET', `/api/list?bucket=${BUCKET}&prefix=folder/`, { token: admin });
    assert.equal(again.status, 200);
    assert.equal(listings() - before, 1);
    proxy.delayMs = 0;

    /* Seau's own write drops the folder's listing: the next one shows the new file. */
    const f = new FormData();
    f.append('bucket', BUCKET);
    f.append('prefix', 'folder/');
    f.append('file', new Blob(['new']), 'new.txt');
    const up = await fetch(`${srv.url}/api/upload`, { method: 'POST', body: f, headers: { authorization: `Bearer ${admin}` } });
    assert.equal(up.status, 201, await up.text());
    const fresh = await req(srv, 'GET', `/api/list?bucket=${BUCKET}&prefix=folder/`, { token: admin });
    assert.ok(fresh.body.files.some((x: { key: string }) => x.key === 'folder/new.txt'), fresh.text);
    assert.equal(listings() - before, 2);

    assert.ok((await metric('seau_s3_cache_coalesced_total')) + (await metric('seau_s3_cache_hits_total')) >= 49);
    const ready = await req(srv, 'GET', '/api/ready');
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.body.details.s3Cache.enabled, true);
    assert.ok(ready.body.details.s3Cache.misses >= 2);
});

/** Fails `n` listings of distinct folders (the cache cannot answer them). */
async function failCalls(n: number, tag: string): Promise<void> {
    for (let i = 0; i < n; i++) {
        const r = await req(srv, 'GET', `/api/list?bucket=${BUCKET}&prefix=${tag}${i}/`, { token: admin });
        assert.equal(r.status, 503, r.text);
        assert.equal(r.body.error.code, 'upstream_unavailable');
    }
}

/** With the breaker open: answered at once, Retry-After set, nothing reaches S3. */
async function assertOpen(): Promise<void> {
    const reached = proxy.seen.length;
    const t0 = Date.now();
    const r = await req(srv, 'GET', `/api/list?bucket=${BUCKET}&prefix=open-check/`, { token: admin });
    const ms = Date.now() - t0;
    assert.equal(r.status, 503, r.text);
    assert.equal(r.body.error.code, 'upstream_unavailable');
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 2, `Retry-After ${r.headers.get('retry-after')}`);
    assert.ok(ms < 500, `answered in ${ms} ms`);
    assert.equal(proxy.seen.length, reached, 'no request reached S3');
    assert.equal(await readyCircuit(), 'open');
    assert.equal(await metric('seau_s3_circuit_state'), 1);
}

test('S3 answering 503 opens the breaker; the probe closes it once S3 is back', async () => {
    const opened = await metric('seau_s3_circuit_opened_total');
    proxy.mode = '503';
    await failCalls(3, 'e503-');
    await assertOpen();
    assert.equal(await metric('seau_s3_circuit_opened_total'), opened + 1);
    await recover();
    assert.equal(await metric('seau_s3_circuit_state'), 0);
});

test('S3 too slow (past SEAU_S3_REQUEST_TIMEOUT) opens the breaker', async () => {
    proxy.mode = 'slow';
    await failCalls(3, 'slow-');
    await assertOpen();
    await recover();
}, { timeout: 120_000 });

test('S3 down (nothing listening) opens the breaker; it closes when S3 is up again', async () => {
    await stopProxy();
    await failCalls(3, 'down-');
    await assertOpen();
    await startProxy(proxy.port);
    await recover();
    const r = await req(srv, 'GET', `/api/list?bucket=${BUCKET}&prefix=folder/`, { token: admin });
    assert.equal(r.status, 200);
});
