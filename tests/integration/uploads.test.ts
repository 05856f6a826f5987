/*
 * Direct uploads (API.md POST /api/uploads and /api/uploads/{uploadId}...)
 * against Ceph RGW, which checks every presigned signature, ListParts and
 * abort for real. The bytes go from this process straight to RGW through the
 * presigned URLs (fetch, as a browser would); every effect is checked with
 * the AWS SDK, never through Seau.
 *
 * Servers: `srv` (allowlist image/*, text/plain, application/octet-stream;
 * multipart from 8 MiB),
 * `small` (1 MiB limit, for 413), `lowered` (the same database as srv with a
 * lower limit, to refuse at completion), `swept` (the shortest session age,
 * 60 s, so its own janitor thread aborts a session while the other tests run).
 */
import {
    GetObjectCommand,
    HeadObjectCommand,
    ListMultipartUploadsCommand,
    ListObjectVersionsCommand,
    PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before } from 'node:test';

import {
    ADMIN,
    assertError,
    assertFields,
    createUser,
    login,
    poll,
    req,
    runCli,
    startServer,
    test,
    type Json,
    type SeauServer,
} from './harness.ts';
import { emptyBucket, startRgw, startS3rver, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
const MiB = 1024 * 1024;
const A = 'up-a';
const V = 'up-v'; /* versioned */
const ALLOWED = 'image/*,text/plain,application/octet-stream';
const THRESHOLD = '8MiB'; /* files from 8 MiB on go in parts */

let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let user: string; /* a `user` granted only up-a/team-a/ */
let other: string; /* another `user`, granted all of up-a */
let userId: number;
let swept: SeauServer;
let sweptSession: string;
let sweptStarted: number;

async function grantedUser(email: string, prefix: string): Promise<{ token: string; id: number }> {
    const u = await createUser(srv, admin, { email, password: PASSWORD, role: 'user' });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: A, prefix }] } });
    assert.equal(r.status, 200, r.text);
    return { token: (await login(srv, email, PASSWORD)).token, id: u.id };
}

before(async () => {
    peer = await startRgw([A, V, 'up-s']);
    /* RGW answers 200 to creating a bucket one already owns, so startRgw may not have emptied them. */
    for (const b of [A, V, 'up-s'])
        await emptyBucket(peer, b);
    await peer.client.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'Enabled' } }));
    srv = await startServer({ env: { ...peer.seauEnv([A, V]), SEAU_ALLOWED_TYPES: ALLOWED, SEAU_UPLOAD_MULTIPART_THRESHOLD: THRESHOLD } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const u = await grantedUser('user@example.com', 'team-a/');
    user = u.token;
    userId = u.id;
    other = (await grantedUser('other@example.com', '')).token;

    /* Started first so that its 60 s run out while the other tests run. */
    swept = await startServer({ env: { ...peer.seauEnv(['up-s']), SEAU_UPLOAD_SESSION_MAX_AGE: '60s' } });
    const t = (await login(swept, ADMIN.email, ADMIN.password)).token;
    const r = await req(swept, 'POST', '/api/uploads', { token: t, json: { bucket: 'up-s', key: 'abandoned.bin', size: 20 * MiB } });
    assert.equal(r.status, 201, r.text);
    sweptSession = r.body.uploadId;
    sweptStarted = Date.now();
});

/* ------------------------------------------------------------------ helpers */

async function start(token: string, body: Json, server: SeauServer = srv): Promise<Json> {
    const r = await req(server, 'POST', '/api/uploads', { token, json: body });
    assert.equal(r.status, 201, r.text);
    return r.body;
}

/** PUTs bytes to a presigned URL as a browser would; returns the ETag RGW answered. */
async function put(url: string, bytes: Buffer, headers: Record<string, string> = {}): Promise<string> {
    const r = await fetch(url, { method: 'PUT', body: new Uint8Array(bytes), headers });
    const text = await r.text();
    assert.equal(r.status, 200, `PUT to the presigned URL: ${r.status} ${text}`);
    const etag = r.headers.get('etag');
    assert.ok(etag, 'the PUT answers an ETag');
    return etag;
}

async function getBytes(bucket: string, key: string): Promise<Buffer> {
    const o = await peer.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await o.Body!.transformToByteArray());
}

async function exists(bucket: string, key: string): Promise<boolean> {
    try {
        await peer.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return false;
        throw e;
    }
}

async function openUploads(bucket: string, key: string): Promise<string[]> {
    const r = await peer.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    return (r.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId!);
}

async function activity(action: string, key: string): Promise<Json[]> {
    const r = await req(srv, 'GET', `/api/activity?action=${action}&limit=200`, { token: admin });
    assert.equal(r.status, 200, r.text);
    return r.body.entries.filter((e: Json) => e.key === key);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/*
 * Random bytes that libmagic calls application/octet-stream: about 2% of
 * purely random buffers look like something to it (an MS-DOS executable,
 * zlib...), so the first KiB is a fixed pattern it calls "data".
 */
function noise(size: number): Buffer {
    const b = randomBytes(size);
    const pattern = Buffer.from([0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22]);
    for (let i = 0; i < Math.min(size, 1024); i++)
        b[i] = pattern[i % pattern.length]!;
    return b;
}

/* An executable's first bytes (MZ stub pointing at a PE header), padded. */
function exe(size: number): Buffer {
    const b = Buffer.alloc(size);
    b.write('MZ', 0, 'latin1');
    b[2] = 0x90; b[4] = 3; b[8] = 4; b[0xc] = 0xff; b[0xd] = 0xff; b[0x10] = 0xb8; b[0x18] = 0x40;
    b[0x3c] = 0x80;
    b.write('PE\0\0', 0x80, 'latin1');
    b[0x84] = 0x4c; b[0x85] = 0x01; b[0x86] = 1; b[0x94] = 0xe0; b[0x96] = 0x02; b[0x97] = 0x01;
    b[0x98] = 0x0b; b[0x99] = 0x01;
    return b;
}

/* ------------------------------------------------------------------ tests */

test('a small file goes up in one presigned PUT, is checked, indexed and audited', async () => {
    const key = 'team-a/notes/hello world é.txt';
    const bytes = Buffer.from('hello from a direct upload\n'.repeat(100));
    const s = await start(user, { bucket: A, key, size: bytes.length, contentType: 'text/plain' });
    assert.equal(s.method, 'PUT');
    assert.equal(s.key, key);
    assert.equal(typeof s.uploadId, 'string');
    assert.deepEqual(s.headers, {});
    assert.ok(Date.parse(s.expiresAt) > Date.now());
    assert.equal(s.parts, undefined);

    /* Completing before the bytes arrived is a conflict, and the session stays. */
    assertError(await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: {} }), 409, 'conflict');
    assert.equal(await exists(A, key), false);

    await put(s.url, bytes, { 'content-type': 'text/plain' });
    const g = await req(srv, 'GET', `/api/uploads/${s.uploadId}`, { token: user });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.mode, 'single');
    assert.deepEqual(g.body.completedParts.map((p: Json) => [p.partNumber, p.size]), [[1, bytes.length]]);

    const c = await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: {} });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.file.key, key);
    assert.equal(c.body.file.bucket, A);
    assert.equal(c.body.file.size, bytes.length);
    assert.equal(c.body.file.contentType, 'text/plain');
    assert.equal(c.body.file.uploadedBy, userId);
    assert.ok(Date.parse(c.body.file.lastModified) > 0);
    assert.deepEqual(await getBytes(A, key), bytes);
    const head = await peer.client.send(new HeadObjectCommand({ Bucket: A, Key: key }));
    assert.equal(head.ContentType, 'text/plain');
    assert.deepEqual(await openUploads(A, key), []);

    /* Done: the session is gone. */
    assertError(await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: {} }), 404, 'not_found');
    assertError(await req(srv, 'GET', `/api/uploads/${s.uploadId}`, { token: user }), 404, 'not_found');

    const found = await req(srv, 'GET', `/api/search?bucket=${A}&q=hello%20world`, { token: user });
    assert.equal(found.status, 200, found.text);
    const f = found.body.files.find((x: Json) => x.key === key);
    assert.ok(f, found.text);
    assert.equal(f.uploadedBy, userId);
    assert.equal(f.contentType, 'text/plain');

    /* Published as a real-time notification. */
    await poll('the upload notification', async () => {
        const n = await req(srv, 'GET', '/api/notifications?type=upload', { token: user });
        assert.equal(n.status, 200, n.text);
        return n.body.notifications.some((x: Json) => x.metadata?.key === key && x.metadata?.actor === 'user@example.com');
    });

    const started = await activity('upload.start', key);
    assert.equal(started.length, 1);
    assert.equal(started[0].userEmail, 'user@example.com');
    assert.equal(started[0].details.uploadId, s.uploadId);
    const done = await activity('object.upload', key);
    assert.equal(done.length, 1);
    assert.equal(done[0].status, 'success');
    assert.equal(done[0].bucket, A);
    assert.equal(done[0].details.contentType, 'text/plain');
    assert.equal(done[0].details.size, bytes.length);
});

test('an empty file goes up too', async () => {
    const key = 'team-a/empty.txt';
    const s = await start(user, { bucket: A, key, size: 0, contentType: 'text/plain' });
    assert.equal(s.method, 'PUT');
    await put(s.url, Buffer.alloc(0));
    const c = await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: {} });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.file.size, 0);
    assert.equal(c.body.file.contentType, 'text/plain');
    assert.equal((await getBytes(A, key)).length, 0);
});

test('a multipart upload is resumed from what S3 holds and arrives byte for byte', async () => {
    const key = 'team-a/big/data.bin';
    const size = 2 * 8 * MiB + MiB + 123;
    const bytes = noise(size);
    const s = await start(user, { bucket: A, key, size, contentType: 'application/octet-stream' });
    assert.equal(s.partSize, 8 * MiB);
    assert.equal(s.partCount, 3);
    assert.deepEqual(s.parts.map((p: Json) => p.partNumber), [1, 2, 3]);
    assert.equal(s.url, undefined);
    const slice = (n: number) => bytes.subarray((n - 1) * s.partSize, Math.min(size, n * s.partSize));

    const e1 = await put(s.parts[0].url, slice(1));
    /* The browser "crashed": it asks Seau what S3 already holds. */
    const g = await req(srv, 'GET', `/api/uploads/${s.uploadId}`, { token: user });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.uploadId, s.uploadId);
    assert.equal(g.body.key, key);
    assert.equal(g.body.partSize, 8 * MiB);
    assert.equal(g.body.partCount, 3);
    assert.equal(g.body.size, size);
    assert.deepEqual(g.body.completedParts, [{ partNumber: 1, etag: e1, size: 8 * MiB }]);

    /* Fresh URLs for the rest, then the rest. */
    const fresh = await req(srv, 'POST', `/api/uploads/${s.uploadId}/parts`, { token: user, json: { partNumbers: [2, 3] } });
    assert.equal(fresh.status, 200, fresh.text);
    assert.deepEqual(fresh.body.parts.map((p: Json) => p.partNumber), [2, 3]);
    const e2 = await put(fresh.body.parts[0].url, slice(2));

    /* Completing with a part missing, or a wrong ETag, is refused before S3 completes anything. */
    assertFields(await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: { parts: [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e2 }] } }), ['parts']);
    const e3 = await put(fresh.body.parts[1].url, slice(3));
    const wrong = await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: { parts: [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e3 }, { partNumber: 3, etag: e3 }] } });
    assert.match(assertFields(wrong, ['parts']).parts!, /part 2/);
    assert.equal((await openUploads(A, key)).length, 1, 'the upload is still open and resumable');

    /* ETags with or without quotes are the same ETag. */
    const c = await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: { parts: [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e2.replaceAll('"', '') }, { partNumber: 3, etag: e3 }] } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.file.size, size);
    assert.equal(c.body.file.contentType, 'application/octet-stream');
    assert.match(c.body.file.etag, /-3$/);
    assert.equal(sha(await getBytes(A, key)), sha(bytes));
    assert.deepEqual(await openUploads(A, key), []);
    const found = await req(srv, 'GET', `/api/search?bucket=${A}&q=big/data`, { token: admin });
    assert.equal(found.body.files[0]?.size, size, found.text);
});

test('the part size grows so that no file needs more than 10,000 parts', async () => {
    const huge = 5 * 1024 * 1024 * MiB; /* 5 TiB */
    const s = await start(admin, { bucket: A, key: 'huge.bin', size: huge });
    assert.equal(s.partSize % MiB, 0);
    assert.ok(s.partSize >= 8 * MiB);
    assert.ok(Math.ceil(huge / s.partSize) <= 10_000);
    assert.equal(s.partCount, Math.ceil(huge / s.partSize));
    assert.equal(s.parts.length, 100, 'URLs for the first 100 parts only');
    const more = await req(srv, 'POST', `/api/uploads/${s.uploadId}/parts`, { token: admin, json: { partNumbers: [s.partCount] } });
    assert.equal(more.status, 200, more.text);
    assertFields(await req(srv, 'POST', `/api/uploads/${s.uploadId}/parts`, { token: admin, json: { partNumbers: [s.partCount + 1] } }), ['partNumbers']);
    assertFields(await req(srv, 'POST', `/api/uploads/${s.uploadId}/parts`, { token: admin, json: { partNumbers: Array.from({ length: 101 }, (_, i) => i + 1) } }), ['partNumbers']);
    assertFields(await req(srv, 'POST', `/api/uploads/${s.uploadId}/parts`, { token: admin, json: { partNumbers: [0] } }), ['partNumbers']);
    assertFields(await req(srv, 'POST', `/api/uploads/${s.uploadId}/parts`, { token: admin, json: { partNumbers: [] } }), ['partNumbers']);
    assert.equal((await req(srv, 'DELETE', `/api/uploads/${s.uploadId}`, { token: admin })).status, 204);
});

test('bad requests are 400 validation_failed naming the fields, and create nothing', async () => {
    const bad = async (body: Json, fields: string[]) =>
        assertFields(await req(srv, 'POST', '/api/uploads', { token: admin, json: body }), fields);
    await bad({ bucket: A, key: '/lead', size: 1 }, ['key']);
    await bad({ bucket: A, key: 'a/../b', size: 1 }, ['key']);
    await bad({ bucket: A, key: 'a/./b', size: 1 }, ['key']);
    await bad({ bucket: A, key: 'a\u0001b', size: 1 }, ['key']);
    await bad({ bucket: A, key: 'k'.repeat(1025), size: 1 }, ['key']);
    await bad({ bucket: A, size: 1 }, ['key']);
    await bad({ bucket: A, key: 'x' }, ['size']);
    await bad({ bucket: A, key: 'x', size: -1 }, ['size']);
    await bad({ bucket: A, key: 'x', size: 1.5 }, ['size']);
    await bad({ bucket: A, key: 'x', size: '10' }, ['size']);
    await bad({ bucket: A, key: 'x', size: 1, contentType: 'not a type' }, ['contentType']);
    await bad({ bucket: A, key: 'x', size: 1, contentType: 'text/' }, ['contentType']);
    await bad({ bucket: 'NO_SUCH', key: 'x', size: 1 }, ['bucket']);
    await bad({ bucket: A, key: 'x', size: 1, extra: true }, ['extra']);
    await bad({ bucket: 'NO', key: '/x', size: -2, contentType: '' }, ['bucket', 'key', 'size', 'contentType']);
    /* A 1024-byte key passes validation (then the grants hide it), one of 1025 bytes does not. */
    const longKey = (n: number) => 'team-b/' + 'k'.repeat(n - 'team-b/'.length);
    assertError(await req(srv, 'POST', '/api/uploads', { token: user, json: { bucket: A, key: longKey(1024), size: 3 } }), 404, 'not_found');
    assertFields(await req(srv, 'POST', '/api/uploads', { token: user, json: { bucket: A, key: longKey(1025), size: 3 } }), ['key']);
    assertError(await req(srv, 'POST', '/api/uploads', { token: admin, json: { bucket: 'up-zz', key: 'x', size: 1 } }), 404, 'not_found');
    /* A malformed body or a missing session. */
    assertError(await req(srv, 'POST', '/api/uploads', { token: admin, body: '{', headers: { 'content-type': 'application/json' } }), 400, 'bad_request');
    for (const id of ['nope', 'a'.repeat(65), '..%2F..'])
        assertError(await req(srv, 'GET', `/api/uploads/${id}`, { token: admin }), 404, 'not_found');
    const keys = (await peer.client.send(new ListMultipartUploadsCommand({ Bucket: A }))).Uploads ?? [];
    assert.deepEqual(keys.filter((u) => ['x', '/lead', 'a/../b'].includes(u.Key!)), [], 'nothing was opened in S3');
});

test('the completion list is validated: order, numbers, ETags, fields', async () => {
    const s = await start(admin, { bucket: A, key: 'team-a/order.bin', size: 20 * MiB });
    const c = (json: Json) => req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: admin, json });
    assertFields(await c({}), ['parts']); /* multipart: the list is required */
    assertFields(await c({ parts: [] }), ['parts']);
    assertFields(await c({ parts: [{ partNumber: 2, etag: '"a"' }, { partNumber: 1, etag: '"b"' }] }), ['parts']);
    assertFields(await c({ parts: [{ partNumber: 1, etag: '"a"' }, { partNumber: 1, etag: '"a"' }] }), ['parts']);
    assertFields(await c({ parts: [{ partNumber: 0, etag: '"a"' }] }), ['parts']);
    assertFields(await c({ parts: [{ partNumber: 10001, etag: '"a"' }] }), ['parts']);
    assertFields(await c({ parts: [{ partNumber: 1 }] }), ['parts']);
    assertFields(await c({ parts: [{ partNumber: 1, etag: '' }] }), ['parts']);
    assertFields(await c({ parts: [{ partNumber: 1, etag: 'a\nb' }] }), ['parts']);
    assertFields(await c({ parts: [{ partNumber: 1, etag: '"a"', PartNumber: 1 }] }), ['parts']);
    assertFields(await c({ parts: 'all' }), ['parts']);
    assertFields(await c({ parts: [1, 2, 3] }), ['parts']);
    /* 10,000 parts is the most a list may hold (and this upload has 3); one more is refused as such. */
    const many = (n: number) => ({ parts: Array.from({ length: n }, (_, i) => ({ partNumber: i + 1, etag: '"e"' })) });
    assert.match(assertFields(await c(many(10_000)), ['parts']).parts!, /parts 1 to 3/);
    assert.match(assertFields(await c(many(10_001)), ['parts']).parts!, /at most 10000/);
    assertFields(await c({ parts: [{ partNumber: 1, etag: '"a"' }, { partNumber: 2, etag: '"b"' }, { partNumber: 3, etag: '"c"' }], more: 1 }), ['more']);
    /* Well-formed but nothing uploaded: named, and nothing completed. */
    const none = await c({ parts: [{ partNumber: 1, etag: '"a"' }, { partNumber: 2, etag: '"b"' }, { partNumber: 3, etag: '"c"' }] });
    assert.match(assertFields(none, ['parts']).parts!, /part 1 has not been uploaded/);
    assert.equal((await openUploads(A, 'team-a/order.bin')).length, 1);
    assert.equal((await req(srv, 'DELETE', `/api/uploads/${s.uploadId}`, { token: admin })).status, 204);
});

test('a part of the wrong size is named, and the upload can still be finished', async () => {
    const key = 'team-a/sizes.bin';
    const size = 8 * MiB + 10;
    const bytes = noise(size);
    const s = await start(user, { bucket: A, key, size });
    const e1 = await put(s.parts[0].url, bytes.subarray(0, 8 * MiB));
    const e2 = await put(s.parts[1].url, bytes.subarray(8 * MiB, size - 1)); /* one byte short */
    const r = await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: { parts: [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e2 }] } });
    assert.match(assertFields(r, ['parts']).parts!, /part 2 holds 9 bytes; it must hold 10/);
    const f2 = await put(s.parts[1].url, bytes.subarray(8 * MiB)); /* the client uploads it again */
    const ok = await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: { parts: [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: f2 }] } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(sha(await getBytes(A, key)), sha(bytes));
});

test('too large is 413 at the start, at the limit is fine', async () => {
    const small = await startServer({ env: { ...peer.seauEnv([A]), SEAU_MAX_UPLOAD_BYTES: '1MiB' } });
    const t = (await login(small, ADMIN.email, ADMIN.password)).token;
    const e = assertError(await req(small, 'POST', '/api/uploads', { token: t, json: { bucket: A, key: 'too-big.bin', size: MiB + 1 } }), 413, 'payload_too_large');
    assert.equal(e.details.maxBytes, MiB);
    assert.deepEqual(await openUploads(A, 'too-big.bin'), []);
    const ok = await start(t, { bucket: A, key: 'at-limit.bin', size: MiB }, small);
    assert.equal(ok.method, 'PUT');
    assert.equal((await req(small, 'DELETE', `/api/uploads/${ok.uploadId}`, { token: t })).status, 204);
    await small.stop();
});

test('a declared type outside the allowlist is 415 and opens nothing', async () => {
    const key = 'team-a/setup.exe';
    const e = assertError(await req(srv, 'POST', '/api/uploads', { token: user, json: { bucket: A, key, size: 10, contentType: 'application/x-msdownload' } }), 415, 'unsupported_media_type');
    assert.equal(e.details.contentType, 'application/x-msdownload');
    assertError(await req(srv, 'POST', '/api/uploads', { token: user, json: { bucket: A, key, size: 10, contentType: 'APPLICATION/PDF; q=1' } }), 415, 'unsupported_media_type');
    /* Parameters and case do not matter for an allowed type. */
    const ok = await start(user, { bucket: A, key: 'team-a/x.png', size: 10, contentType: 'IMAGE/PNG; foo=bar' });
    assert.equal((await req(srv, 'DELETE', `/api/uploads/${ok.uploadId}`, { token: user })).status, 204);
    assert.deepEqual(await openUploads(A, key), []);
});

test('content sniffed as a refused type at completion is 415 and nothing of it stays', async () => {
    for (const bucket of [A, V]) {
        const key = 'team-a/cute-cat.png';
        const bytes = exe(4096);
        const s = await start(admin, { bucket, key, size: bytes.length, contentType: 'image/png' });
        await put(s.url, bytes, { 'content-type': 'image/png' });
        const r = await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: admin, json: {} });
        const e = assertError(r, 415, 'unsupported_media_type');
        assert.match(e.message, /vnd\.microsoft\.portable-executable/);
        assert.equal(await exists(bucket, key), false, `${bucket}: the object is gone`);
        const versions = await peer.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
        assert.deepEqual([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].filter((v) => v.Key === key), [], `${bucket}: no version or delete marker stays`);
        assert.deepEqual(await openUploads(bucket, key), []);
        assertError(await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: admin, json: {} }), 404, 'not_found');
        const a = (await req(srv, 'GET', `/api/activity?action=object.upload&bucket=${bucket}&limit=50`, { token: admin })).body.entries.find((x: Json) => x.key === key);
        assert.ok(a);
        assert.equal(a.status, 'failure');
        assert.equal(a.details.error, 'unsupported_media_type');
        assert.equal(a.details.contentType, 'application/vnd.microsoft.portable-executable');
        assert.equal(a.details.objectLeft, false);
    }
    /* In a versioned bucket, refusing a new version brings the previous one back. */
    const key = 'team-a/keep.png';
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    const first = await start(admin, { bucket: V, key, size: png.length, contentType: 'image/png' });
    await put(first.url, png);
    assert.equal((await req(srv, 'POST', `/api/uploads/${first.uploadId}/complete`, { token: admin, json: {} })).status, 200);
    const bad = exe(2048);
    const second = await start(admin, { bucket: V, key, size: bad.length, contentType: 'image/png' });
    await put(second.url, bad);
    assertError(await req(srv, 'POST', `/api/uploads/${second.uploadId}/complete`, { token: admin, json: {} }), 415, 'unsupported_media_type');
    assert.deepEqual(await getBytes(V, key), png);
});

test('a limit lowered while an upload runs refuses it at completion, and removes it', async () => {
    const key = 'team-a/grew.txt';
    const bytes = Buffer.from('x'.repeat(4000));
    const s = await start(admin, { bucket: A, key, size: bytes.length, contentType: 'text/plain' });
    await put(s.url, bytes);
    /* Another replica on the same database, configured with a smaller limit. */
    const lowered = await startServer({ dataDir: srv.dataDir, env: { ...peer.seauEnv([A, V]), SEAU_MAX_UPLOAD_BYTES: '1KiB', SEAU_UPLOAD_MULTIPART_THRESHOLD: THRESHOLD } });
    const e = assertError(await req(lowered, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: admin, json: {} }), 413, 'payload_too_large');
    assert.match(e.message, /4000 bytes/);
    assert.equal(await exists(A, key), false);
    await lowered.stop();
});

test('sessions are their owner\'s: others get 404, admins see all', async () => {
    const key = 'team-a/mine.txt';
    const s = await start(user, { bucket: A, key, size: 5, contentType: 'text/plain' });
    assertError(await req(srv, 'GET', `/api/uploads/${s.uploadId}`, { token: other }), 404, 'not_found');
    assertError(await req(srv, 'POST', `/api/uploads/${s.uploadId}/parts`, { token: other, json: { partNumbers: [1] } }), 404, 'not_found');
    assertError(await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: other, json: {} }), 404, 'not_found');
    assertError(await req(srv, 'DELETE', `/api/uploads/${s.uploadId}`, { token: other }), 404, 'not_found');
    assert.equal((await openUploads(A, key)).length, 1, 'the foreign DELETE aborted nothing');
    const g = await req(srv, 'GET', `/api/uploads/${s.uploadId}`, { token: admin });
    assert.equal(g.status, 200, g.text);
    /* The owner's single PUT URL, fresh. */
    const fresh = await req(srv, 'POST', `/api/uploads/${s.uploadId}/parts`, { token: user, json: { partNumbers: [1] } });
    assert.equal(fresh.status, 200, fresh.text);
    await put(fresh.body.parts[0].url, Buffer.from('hello'));
    /* An admin completing it records the owner as the uploader. */
    const c = await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: admin, json: {} });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.file.uploadedBy, userId);
});

test('a user granted only team-a/ cannot upload elsewhere', async () => {
    for (const [bucket, key] of [[A, 'team-b/x.txt'], [A, 'team-ab/x.txt'], [A, 'x.txt'], [V, 'team-a/x.txt']]) {
        assertError(await req(srv, 'POST', '/api/uploads', { token: user, json: { bucket, key, size: 1 } }), 404, 'not_found');
        assert.deepEqual(await openUploads(bucket!, key!), []);
    }
    /* A grant withdrawn mid-upload stops it. */
    const u2 = await createUser(srv, admin, { email: 'brief@example.com', password: PASSWORD, role: 'user' });
    await req(srv, 'PUT', `/api/users/${u2.id}/grants`, { token: admin, json: { grants: [{ bucket: A, prefix: 'brief/' }] } });
    const t2 = (await login(srv, 'brief@example.com', PASSWORD)).token;
    const s = await start(t2, { bucket: A, key: 'brief/f.txt', size: 1 });
    await req(srv, 'PUT', `/api/users/${u2.id}/grants`, { token: admin, json: { grants: [] } });
    assertError(await req(srv, 'GET', `/api/uploads/${s.uploadId}`, { token: t2 }), 404, 'not_found');
    assertError(await req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: t2, json: {} }), 404, 'not_found');
    assert.equal((await req(srv, 'DELETE', `/api/uploads/${s.uploadId}`, { token: admin })).status, 204);
});

test('an aborted upload leaves no open multipart upload and is audited', async () => {
    const key = 'team-a/cancel.bin';
    const s = await start(user, { bucket: A, key, size: 8 * MiB + 100 });
    await put(s.parts[1].url, randomBytes(100)); /* the last part: small, so the test stores little */
    assert.equal((await openUploads(A, key)).length, 1);
    const d = await req(srv, 'DELETE', `/api/uploads/${s.uploadId}`, { token: user });
    assert.equal(d.status, 204, d.text);
    assert.deepEqual(await openUploads(A, key), []);
    assert.equal(await exists(A, key), false);
    assertError(await req(srv, 'GET', `/api/uploads/${s.uploadId}`, { token: user }), 404, 'not_found');
    assertError(await req(srv, 'DELETE', `/api/uploads/${s.uploadId}`, { token: user }), 404, 'not_found');
    const a = await activity('upload.abort', key);
    assert.equal(a.length, 1);
    assert.equal(a[0].userEmail, 'user@example.com');
    assert.equal(a[0].details.uploadId, s.uploadId);
});

test('two completions at once: one wins, the other is refused', async () => {
    const key = 'team-a/race.txt';
    const s = await start(user, { bucket: A, key, size: 4, contentType: 'text/plain' });
    await put(s.url, Buffer.from('race'));
    const rs = await Promise.all([1, 2, 3].map(() => req(srv, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: user, json: {} })));
    const statuses = rs.map((r) => r.status).sort();
    assert.equal(statuses.filter((x) => x === 200).length, 1, JSON.stringify(rs.map((r) => r.text)));
    for (const r of rs.filter((x) => x.status !== 200))
        assert.ok(r.status === 409 || r.status === 404, r.text);
    assert.equal((await activity('object.upload', key)).length, 1);
});

test('seau uploads sweep aborts abandoned sessions in S3 and forgets them', async () => {
    const key = 'team-a/abandoned.bin';
    const s = await start(user, { bucket: A, key, size: 8 * MiB + 100 });
    await put(s.parts[1].url, randomBytes(100));
    /* Younger than the default age: left alone. */
    let r = await runCli(['uploads', 'sweep'], { env: srv.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0 uploads aborted, 0 failed/);
    assert.equal((await openUploads(A, key)).length, 1);
    assertError(await req(srv, 'GET', '/api/uploads/x', { token: user }), 404, 'not_found');
    r = await runCli(['uploads', 'sweep', '--older-than', 'soon'], { env: srv.env });
    assert.equal(r.code, 2);
    r = await runCli(['uploads', 'sweep', '--older-than', '0s'], { env: srv.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[1-9]\d* uploads aborted, 0 failed/);
    assert.deepEqual(await openUploads(A, key), []);
    assertError(await req(srv, 'GET', `/api/uploads/${s.uploadId}`, { token: user }), 404, 'not_found');
    const a = await activity('upload.abort', key);
    assert.equal(a.length, 1, JSON.stringify(a));
    assert.equal(a[0].userEmail, 'system');
    assert.equal(a[0].userId, null);
    assert.equal(a[0].details.reason, 'expired');
    assert.equal(a[0].details.userId, userId);
});

test('s3rver, which cannot list parts: uploads complete from the client\'s list, still checked', async () => {
    const rver = await startS3rver(['up-r']);
    const r = await startServer({ env: { ...rver.seauEnv(['up-r']), SEAU_ALLOWED_TYPES: ALLOWED, SEAU_UPLOAD_MULTIPART_THRESHOLD: THRESHOLD } });
    const t = (await login(r, ADMIN.email, ADMIN.password)).token;
    const head = async (key: string) => {
        try {
            await rver.client.send(new HeadObjectCommand({ Bucket: 'up-r', Key: key }));
            return true;
        } catch {
            return false;
        }
    };
    const small = Buffer.from('small and plain\n');
    const s = await start(t, { bucket: 'up-r', key: 'a.txt', size: small.length, contentType: 'text/plain' }, r);
    const e = await put(s.url, small);
    assert.equal(await head('a.txt'), false, 'a part is not the object');
    assertFields(await req(r, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: t, json: {} }), ['parts']);
    const c = await req(r, 'POST', `/api/uploads/${s.uploadId}/complete`, { token: t, json: { parts: [{ partNumber: 1, etag: e }] } });
    assert.equal(c.status, 200, c.text);
    const o = await rver.client.send(new GetObjectCommand({ Bucket: 'up-r', Key: 'a.txt' }));
    assert.deepEqual(Buffer.from(await o.Body!.transformToByteArray()), small);

    const big = noise(8 * MiB + 1000);
    const m = await start(t, { bucket: 'up-r', key: 'b.bin', size: big.length }, r);
    const e1 = await put(m.parts[0].url, big.subarray(0, 8 * MiB));
    const e2 = await put(m.parts[1].url, big.subarray(8 * MiB));
    const mc = await req(r, 'POST', `/api/uploads/${m.uploadId}/complete`, { token: t, json: { parts: [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e2 }] } });
    assert.equal(mc.status, 200, mc.text);
    const got = await rver.client.send(new GetObjectCommand({ Bucket: 'up-r', Key: 'b.bin' }));
    assert.equal(sha(Buffer.from(await got.Body!.transformToByteArray())), sha(big));

    /* The sniffing still refuses what the bytes are. */
    const x = exe(1000);
    const bad = await start(t, { bucket: 'up-r', key: 'c.png', size: x.length, contentType: 'image/png' }, r);
    const xe = await put(bad.url, x);
    assertError(await req(r, 'POST', `/api/uploads/${bad.uploadId}/complete`, { token: t, json: { parts: [{ partNumber: 1, etag: xe }] } }), 415, 'unsupported_media_type');
    assert.equal(await head('c.png'), false);
    await r.stop();
});

test('without S3 the upload routes answer 503', async () => {
    const s = await startServer();
    const t = (await login(s, ADMIN.email, ADMIN.password)).token;
    assertError(await req(s, 'POST', '/api/uploads', { token: t, json: { key: 'a', size: 1 } }), 503, 'upstream_unavailable');
    assertError(await req(s, 'GET', '/api/uploads/abc', { token: t }), 503, 'upstream_unavailable');
    assertError(await req(s, 'DELETE', '/api/uploads/abc', { token: t }), 503, 'upstream_unavailable');
    await s.stop();
});

/* Last: by now the `swept` server's session is about 60 s old. */
test('the janitor thread of seau serve aborts a session past SEAU_UPLOAD_SESSION_MAX_AGE', async () => {
    const t = (await login(swept, ADMIN.email, ADMIN.password)).token;
    assert.equal((await openUploads('up-s', 'abandoned.bin')).length, 1);
    const g = await req(swept, 'GET', `/api/uploads/${sweptSession}`, { token: t });
    assert.equal(g.status, 200, 'alive while younger than 60 s');
    assert.ok(Date.now() - sweptStarted < 60_000, 'the other tests took longer than the session age');
    /* Sweeps run every 6 s (max age / 10): it goes within ~66 s of its start. */
    await poll('the janitor to abort the session', async () => (await openUploads('up-s', 'abandoned.bin')).length === 0, 90_000, 1000);
    assert.ok(Date.now() - sweptStarted >= 59_000, 'not before its time');
    assertError(await req(swept, 'GET', `/api/uploads/${sweptSession}`, { token: t }), 404, 'not_found');
    const a = await req(swept, 'GET', '/api/activity?action=upload.abort', { token: t });
    assert.equal(a.body.entries.length, 1, a.text);
    assert.equal(a.body.entries[0].userEmail, 'system');
    await swept.waitForLog('the janitor log line', (l) => l.msg === 'upload janitor swept abandoned uploads' && l.aborted === 1);
    await swept.stop();
}, { timeout: 150_000 });
