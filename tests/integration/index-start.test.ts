/*
 * An index from the first minute (README "The object index"): on a bucket
 * filled behind Seau's back, the first walk runs at start, in the
 * background — /api/ready answers at once and shows its progress, search
 * fills as it goes — and a walk cut short by a stop resumes after the last
 * key it stored when the server starts again, instead of starting over.
 * RGW sits behind a small proxy of this test that slows every listing (so
 * the walk can be caught half way) and records what each one asked.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';

import { ADMIN, login, poll, req, sleep, startServer, tempDir, test, type Json, type SeauServer } from './harness.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const BUCKET = 'idx-start';
const N = 2300; /* three pages of ListObjectsV2 */
let peer: S3Peer;
let proxy: http.Server;
let proxyPort = 0;
const listings: URLSearchParams[] = [];
/* While hold is set, listings after the first page wait for release(): the walk is caught
 * half way whatever the machine's speed. */
let hold = false;
let held: (() => void)[] = [];
const release = () => {
    const h = held;
    held = [];
    h.forEach((f) => f());
};

const key = (i: number) => `obj-${String(i).padStart(5, '0')}.txt`;

before(async () => {
    peer = await startRgw([BUCKET]);
    for (let i = 0; i < N; i += 50)
        await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, j) =>
            peer.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key(i + j), Body: 'x' }))));
    const target = new URL(peer.endpoint);
    proxy = http.createServer((inReq, inRes) => {
        const chunks: Buffer[] = [];
        inReq.on('data', (c: Buffer) => chunks.push(c));
        inReq.on('end', async () => {
            const u = new URL(inReq.url ?? '/', 'http://x');
            if (inReq.method === 'GET' && u.searchParams.get('list-type') === '2' && u.pathname === `/${BUCKET}`) {
                listings.push(u.searchParams);
                await sleep(1500);
                if (hold && (u.searchParams.get('continuation-token') || u.searchParams.get('start-after')))
                    await new Promise<void>((resolve) => held.push(resolve));
            }
            const out = http.request({ host: target.hostname, port: target.port, method: inReq.method, path: inReq.url, headers: inReq.headers }, (res) => {
                inRes.writeHead(res.statusCode ?? 502, res.headers);
                res.pipe(inRes);
            });
            out.on('error', () => inRes.destroy());
            out.end(Buffer.concat(chunks));
        });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    proxyPort = (proxy.address() as AddressInfo).port;
}, { timeout: 300_000 });

after(async () => {
    proxy?.closeAllConnections();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
});

async function indexDetails(srv: SeauServer): Promise<Json> {
    const r = await req(srv, 'GET', '/api/ready');
    assert.equal(r.status, 200, r.text);
    return r.body.details.index;
}

test('the first walk runs at start in the background, shows its progress, and resumes after a stop', async () => {
    const dataDir = tempDir();
    const env = { ...peer.seauEnv([BUCKET]), SEAU_S3_ENDPOINT: `http://127.0.0.1:${proxyPort}` };
    const t0 = Date.now();
    hold = true;
    let srv = await startServer({ env, dataDir });
    /* Ready at once: it does not wait for the walk, which is under way. */
    const first = await indexDetails(srv);
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(['syncing', 'idle'].includes(first.state), JSON.stringify(first));
    const half = await poll('the walk to store its first page', async () => {
        const d = await indexDetails(srv);
        return d.state === 'syncing' && d.objects >= 1000 ? d : undefined;
    }, 30_000, 100);
    assert.equal(half.bucket, BUCKET);
    assert.equal(half.resumed, false);
    let token = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const partial = await req(srv, 'GET', '/api/search?q=obj-&limit=1', { token });
    assert.equal(partial.status, 200, partial.text);
    assert.ok(partial.body.total >= 1000 && partial.body.total < N, `search sees the walk's progress: ${partial.body.total}`);
    const m = await req(srv, 'GET', '/api/metrics');
    assert.match(m.text, /^seau_index_sync_running 1$/m);

    /* Stopped half way: the page in flight is stored, the walk abandoned before the next one,
     * its place kept. */
    const before = listings.length;
    const stopped = srv.stop();
    /* The stop reaches the walk right after this line; then the page in flight may end. */
    await srv.waitForLog('the shutdown to begin', (l) => l.msg === 'shutting down');
    await sleep(300);
    hold = false;
    release();
    await stopped;
    srv = await startServer({ env, dataDir });
    const resumedFrom = await poll('the walk to resume', () => listings.slice(before).find((p) => p.get('start-after')), 20_000, 50);
    assert.match(resumedFrom.get('start-after')!, /^obj-\d{5}\.txt$/);
    assert.ok(Number(resumedFrom.get('start-after')!.slice(4, 9)) >= 999, 'after what the first run stored');
    assert.ok(!listings.slice(before).some((p) => !p.get('start-after') && !p.get('continuation-token')),
        'no walk from the first key again');
    const done = await poll('the walk to end', async () => {
        const d = await indexDetails(srv);
        return d.state === 'done' ? d : undefined;
    }, 60_000, 200);
    assert.equal(done.objects, N);
    assert.ok(done.lastSuccessAt);
    token = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const all = await req(srv, 'GET', '/api/search?q=obj-&limit=1', { token });
    assert.equal(all.body.total, N);
    const stats = await req(srv, 'GET', `/api/stats?bucket=${BUCKET}`, { token });
    assert.equal(stats.status, 200, stats.text);
    assert.equal(stats.body.objects, N);
    const m2 = await req(srv, 'GET', '/api/metrics');
    assert.match(m2.text, /^seau_index_sync_objects 2300$/m);
    assert.match(m2.text, /^seau_index_sync_last_success_timestamp_seconds \d+\.\d+$/m);

    /* A restart soon after finds nothing due: no walk at start. */
    const n = listings.length;
    await srv.stop();
    srv = await startServer({ env, dataDir });
    await sleep(1500);
    assert.equal(listings.length, n, 'a bucket walked within the interval is not walked again at start');
    assert.equal((await indexDetails(srv)).state, 'idle');
}, { timeout: 240_000 });
