/*
 * GET /api/download against Ceph RGW: the presigned redirect (default) and
 * the proxied stream (SEAU_DOWNLOAD_MODE=proxy) with Range, If-Range,
 * If-None-Match, HEAD and file names; grants; the transfer limit; clients
 * that stall or vanish mid-download while the server keeps answering.
 * Objects are seeded with the AWS SDK, and the bytes compared with them.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { before } from 'node:test';

import { ADMIN, assertError, assertFields, createUser, login, req, startServer, test, type SeauServer } from './harness.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
const BUCKETS = ['dl-a', 'dl-b'];
const BIG = randomBytes(9 * 1024 * 1024 + 123);
const NAME = 'docs/Résumé 2026 "final".bin';
const HTML = '<script>alert(1)</script>';

let peer: S3Peer;
let proxy: SeauServer;
let redirect: SeauServer;
let tokens: { proxy: string; redirect: string; user: string };

async function put(key: string, body: Buffer | string, contentType?: string, bucket = 'dl-a'): Promise<void> {
    await peer.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

function q(key: string, bucket = 'dl-a'): string {
    return `/api/download?bucket=${bucket}&key=${encodeURIComponent(key)}`;
}

async function get(srv: SeauServer, path: string, token: string, headers: Record<string, string> = {}, method = 'GET') {
    const r = await fetch(srv.url + path, { method, headers: { authorization: `Bearer ${token}`, ...headers }, redirect: 'manual' });
    return { r, bytes: Buffer.from(await r.arrayBuffer()) };
}

before(async () => {
    peer = await startRgw(BUCKETS);
    await put(NAME, BIG);
    await put('page.html', HTML, 'text/html');
    await put('team-a/ok.txt', 'team a');
    await put('team-b/secret.txt', 'team b');
    await put('empty.txt', '');
    proxy = await startServer({ env: { ...peer.seauEnv(BUCKETS), SEAU_DOWNLOAD_MODE: 'proxy', SEAU_AUDIT_DOWNLOADS: '1', SEAU_MAX_TRANSFERS: '60' } });
    redirect = await startServer({ env: peer.seauEnv(BUCKETS) });
    const admin = (await login(proxy, ADMIN.email, ADMIN.password)).token;
    const u = await createUser(proxy, admin, { email: 'dl-user@example.com', password: PASSWORD, role: 'user' });
    const g = await req(proxy, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: 'dl-a', prefix: 'team-a/' }] } });
    assert.equal(g.status, 200, g.text);
    tokens = {
        proxy: admin,
        redirect: (await login(redirect, ADMIN.email, ADMIN.password)).token,
        user: (await login(proxy, 'dl-user@example.com', PASSWORD)).token,
    };
});

test('redirect mode answers 302 to a presigned URL that serves the bytes and the file name', async () => {
    const { r } = await get(redirect, q(NAME), tokens.redirect);
    assert.equal(r.status, 302);
    const location = r.headers.get('location')!;
    assert.match(location, /X-Amz-Signature=/);
    assert.match(location, /response-content-disposition=/);
    const s3 = await fetch(location);
    assert.equal(s3.status, 200);
    assert.ok(Buffer.from(await s3.arrayBuffer()).equals(BIG));
    assert.match(s3.headers.get('content-disposition') ?? '', /filename\*=UTF-8''R%C3%A9sum%C3%A9%202026%20%22final%22\.bin/);
});

test('proxy mode streams the whole object with its headers', async () => {
    const { r, bytes } = await get(proxy, q(NAME), tokens.proxy);
    assert.equal(r.status, 200);
    assert.ok(bytes.equals(BIG), 'bytes differ from the seeded object');
    assert.equal(r.headers.get('content-length'), String(BIG.length));
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.match(r.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/);
    assert.ok(r.headers.get('last-modified'));
    assert.equal(r.headers.get('content-disposition'),
        'attachment; filename="R__sum__ 2026 _final_.bin"; filename*=UTF-8\'\'R%C3%A9sum%C3%A9%202026%20%22final%22.bin');
    const inline = await get(proxy, q(NAME) + '&inline=true', tokens.proxy, {}, 'HEAD');
    assert.match(inline.r.headers.get('content-disposition') ?? '', /^inline;/);
});

test('proxy mode honours Range, If-Range and If-None-Match', async () => {
    const part = await get(proxy, q(NAME), tokens.proxy, { range: 'bytes=1000-1999' });
    assert.equal(part.r.status, 206);
    assert.equal(part.r.headers.get('content-range'), `bytes 1000-1999/${BIG.length}`);
    assert.ok(part.bytes.equals(BIG.subarray(1000, 2000)));
    const tail = await get(proxy, q(NAME), tokens.proxy, { range: 'bytes=-10' });
    assert.equal(tail.r.status, 206);
    assert.ok(tail.bytes.equals(BIG.subarray(BIG.length - 10)));
    const open = await get(proxy, q(NAME), tokens.proxy, { range: `bytes=${BIG.length - 5}-` });
    assert.ok(open.bytes.equals(BIG.subarray(BIG.length - 5)));
    const past = await get(proxy, q(NAME), tokens.proxy, { range: `bytes=${BIG.length}-` });
    assert.equal(past.r.status, 416);
    assert.equal(past.r.headers.get('content-range'), `bytes */${BIG.length}`);
    const etag = part.r.headers.get('etag')!;
    const same = await get(proxy, q(NAME), tokens.proxy, { 'if-none-match': etag });
    assert.equal(same.r.status, 304);
    assert.equal(same.bytes.length, 0);
    const changed = await get(proxy, q(NAME), tokens.proxy, { range: 'bytes=0-9', 'if-range': '"other"' });
    assert.equal(changed.r.status, 200, 'an If-Range that does not match gets everything');
    assert.equal(changed.bytes.length, BIG.length);
    const kept = await get(proxy, q(NAME), tokens.proxy, { range: 'bytes=0-9', 'if-range': etag });
    assert.equal(kept.r.status, 206);
    const empty = await get(proxy, q('empty.txt'), tokens.proxy);
    assert.equal(empty.r.status, 200);
    assert.equal(empty.bytes.length, 0);
});

test('active content is served as plain text under a sandboxing CSP', async () => {
    const { r, bytes } = await get(proxy, q('page.html') + '&inline=1', tokens.proxy);
    assert.equal(r.status, 200);
    assert.equal(bytes.toString(), HTML);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(r.headers.get('content-security-policy') ?? '', /sandbox/);
});

test('grants: a user reads its prefix only; the rest is 404 in both modes', async () => {
    const ok = await get(proxy, q('team-a/ok.txt'), tokens.user);
    assert.equal(ok.r.status, 200);
    assert.equal(ok.bytes.toString(), 'team a');
    for (const path of [q('team-b/secret.txt'), q('team-a/ok.txt', 'dl-b'), q('nope/x')]) {
        const r = await req(proxy, 'GET', path, { token: tokens.user });
        assertError(r, 404, 'not_found');
    }
    assertError(await req(proxy, 'GET', q('team-a/missing.txt'), { token: tokens.user }), 404, 'not_found');
    assertError(await req(proxy, 'GET', q('x'), {}), 401, 'unauthorized');
});

test('bad parameters are 400 naming each field', async () => {
    assertFields(await req(proxy, 'GET', '/api/download?bucket=dl-a', { token: tokens.proxy }), ['key']);
    assertFields(await req(proxy, 'GET', '/api/download?bucket=dl-a&key=a/../b', { token: tokens.proxy }), ['key']);
    assertFields(await req(proxy, 'GET', `/api/download?bucket=BAD&key=x&inline=maybe&versionId=${encodeURIComponent('a b')}`, { token: tokens.proxy }),
        ['bucket', 'inline', 'versionId']);
});

test('downloads are audited when SEAU_AUDIT_DOWNLOADS is on', async () => {
    await get(proxy, q('team-a/ok.txt'), tokens.user);
    const r = await req(proxy, 'GET', '/api/activity?action=object.download&limit=1000', { token: tokens.proxy });
    assert.equal(r.status, 200, r.text);
    const e = r.body.entries.find((x: { key: string; userEmail: string }) => x.key === 'team-a/ok.txt' && x.userEmail === 'dl-user@example.com');
    assert.ok(e, 'no object.download entry for the user');
    assert.equal(e.bucket, 'dl-a');
});

/** Starts a download and stops reading after the first bytes: the server's side stalls. */
function stalledDownload(srv: SeauServer, token: string): Promise<http.ClientRequest> {
    return new Promise((resolve, reject) => {
        const r = http.get(srv.url + q(NAME), { headers: { authorization: `Bearer ${token}` } }, (res) => {
            if (res.statusCode !== 200)
                return reject(new Error(`status ${res.statusCode}`));
            res.once('data', () => {
                res.pause();
                resolve(r);
            });
        });
        r.on('error', () => {});
    });
}

test('50 stalled downloads hold no server thread: other requests and downloads go on', async () => {
    const stalled = await Promise.all(Array.from({ length: 50 }, () => stalledDownload(proxy, tokens.proxy)));
    for (let i = 0; i < 20; i++) {
        const h = await req(proxy, 'GET', '/api/health', { timeoutMs: 5000 });
        assert.equal(h.status, 200);
    }
    const other = await get(proxy, q('team-a/ok.txt'), tokens.proxy);
    assert.equal(other.bytes.toString(), 'team a');
    const metrics = await req(proxy, 'GET', '/api/metrics');
    assert.equal(metrics.status, 200);
    /* Clients vanish mid-transfer: every producer must wind down (ASan checks leaks at exit). */
    for (const r of stalled)
        r.destroy();
    const after = await get(proxy, q(NAME), tokens.proxy);
    assert.ok(after.bytes.equals(BIG));
});

test('past SEAU_MAX_TRANSFERS, a download is 503 with Retry-After', async () => {
    const srv = await startServer({ env: { ...peer.seauEnv(BUCKETS), SEAU_DOWNLOAD_MODE: 'proxy', SEAU_MAX_TRANSFERS: '2' } });
    const token = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const held = [await stalledDownload(srv, token), await stalledDownload(srv, token)];
    const r = await req(srv, 'GET', q(NAME), { token });
    assertError(r, 503, 'upstream_unavailable');
    assert.equal(r.headers.get('retry-after'), '5');
    for (const h of held)
        h.destroy();
    /* The slots come back once the stalled clients are gone. */
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
        const again = await get(srv, q('team-a/ok.txt'), token);
        status = again.r.status;
        if (status !== 200)
            await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(status, 200);
    await srv.stop();
});
