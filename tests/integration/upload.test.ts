/*
 * POST /api/upload (proxied, multipart/form-data) against Ceph RGW: several
 * files, a multipart-sized one, fields, the type sniffed from the bytes, the
 * size limit, grants, malformed forms, a client gone half way, a real clamd
 * refusing a test signature, and 1 GiB with the server's peak memory
 * recorded. Every effect is checked with the AWS SDK.
 */
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { before } from 'node:test';

import { CLAMD_SIGNATURE, CLAMD_TEST_PATTERN, startClamd, type Clamd } from './clamd.ts';
import { ADMIN, assertError, assertFields, createUser, login, poll, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { startRgw, startS3rver, type S3Peer } from './s3peer.ts';

const BUCKETS = ['upx-a', 'upx-b'];
const PASSWORD = 'user-password-0123456789';
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(200)]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), randomBytes(300)]);

let peer: S3Peer;
let srv: SeauServer;
let clamd: Clamd;
let admin: string;
let user: string;

async function s3Bytes(key: string, bucket = 'upx-a'): Promise<Buffer | null> {
    try {
        const r = await peer.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return null;
        throw e;
    }
}

async function openUploads(bucket = 'upx-a'): Promise<number> {
    const r = await peer.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return (r.Uploads ?? []).length;
}

function form(fields: Record<string, string>, files: { name: string; data: Buffer | string; type?: string }[]): FormData {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields))
        f.append(k, v);
    for (const file of files)
        f.append('file', new Blob([typeof file.data === 'string' ? file.data : new Uint8Array(file.data)], { type: file.type ?? 'application/octet-stream' }), file.name);
    return f;
}

async function upload(s: SeauServer, token: string, body: FormData, query = ''): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
    const r = await fetch(`${s.url}/api/upload${query}`, { method: 'POST', body, headers: { authorization: `Bearer ${token}` } });
    const text = await r.text();
    let parsed: Json;
    try {
        parsed = JSON.parse(text);
    } catch {
        parsed = undefined;
    }
    return { status: r.status, body: parsed, text, headers: r.headers };
}

before(async () => {
    peer = await startRgw(BUCKETS);
    clamd = await startClamd();
    srv = await startServer({ env: { ...peer.seauEnv(BUCKETS), SEAU_CLAMAV: clamd.address } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const u = await createUser(srv, admin, { email: 'upx-user@example.com', password: PASSWORD, role: 'user' });
    const g = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: 'upx-a', prefix: 'team-a/' }] } });
    assert.equal(g.status, 200, g.text);
    user = (await login(srv, 'upx-user@example.com', PASSWORD)).token;
});

test('several files, one larger than a part, land under the prefix with sniffed types', async () => {
    const big = randomBytes(19 * 1024 * 1024 + 7);
    const r = await upload(srv, admin, form({ bucket: 'upx-a', prefix: 'in/' }, [
        { name: 'pic.png', data: PNG, type: 'application/pdf' }, // the client's type is not trusted
        { name: 'notes é.txt', data: 'hello, world\n' },
        { name: 'sub/big.bin', data: big },
        { name: 'empty.txt', data: '' },
    ]));
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.files.map((f: Json) => f.key), ['in/pic.png', 'in/notes é.txt', 'in/sub/big.bin', 'in/empty.txt']);
    assert.equal(r.body.files[0].contentType, 'image/png');
    assert.equal(r.body.files[2].size, big.length);
    assert.equal(typeof r.body.files[0].uploadedBy, 'number');
    assert.ok((await s3Bytes('in/pic.png'))!.equals(PNG));
    assert.equal((await s3Bytes('in/notes é.txt'))!.toString(), 'hello, world\n');
    assert.ok((await s3Bytes('in/sub/big.bin'))!.equals(big));
    assert.equal((await s3Bytes('in/empty.txt'))!.length, 0);
    const head = await peer.client.send(new HeadObjectCommand({ Bucket: 'upx-a', Key: 'in/sub/big.bin' }));
    assert.match(head.ETag ?? '', /-3"$/, 'a 19 MiB file goes in three 8 MiB parts');
    assert.equal((await peer.client.send(new HeadObjectCommand({ Bucket: 'upx-a', Key: 'in/pic.png' }))).ContentType, 'image/png');
    /* The index and the audit log know the new files. */
    const s = await req(srv, 'GET', '/api/search?bucket=upx-a&q=notes', { token: admin });
    assert.equal(s.status, 200, s.text);
    assert.ok(s.body.files.some((f: Json) => f.key === 'in/notes é.txt'));
    const a = await req(srv, 'GET', '/api/activity?action=object.upload&limit=1000', { token: admin });
    for (const k of ['in/pic.png', 'in/sub/big.bin'])
        assert.ok(a.body.entries.some((e: Json) => e.key === k && e.status === 'success'), `no audit entry for ${k}`);
});

test('query parameters name the target when the form has no fields', async () => {
    const r = await upload(srv, admin, form({}, [{ name: 'q.txt', data: 'q' }]), '?bucket=upx-b&prefix=x/');
    assert.equal(r.status, 201, r.text);
    assert.equal((await s3Bytes('x/q.txt', 'upx-b'))!.toString(), 'q');
});

test('a disallowed sniffed type is 415 and nothing stays', async () => {
    const s = await startServer({ env: { ...peer.seauEnv(BUCKETS), SEAU_ALLOWED_TYPES: 'image/*,text/plain' } });
    const t = (await login(s, ADMIN.email, ADMIN.password)).token;
    const ok = await upload(s, t, form({ bucket: 'upx-a' }, [{ name: 'ok.png', data: PNG }]));
    assert.equal(ok.status, 201, ok.text);
    const r = await upload(s, t, form({ bucket: 'upx-a' }, [{ name: 'evil.png', data: EXE, type: 'image/png' }]));
    assertError(r, 415, 'unsupported_media_type');
    assert.match(r.body.error.message, /evil\.png/);
    assert.equal(await s3Bytes('evil.png'), null);
    const big = Buffer.concat([EXE, randomBytes(10 * 1024 * 1024)]);
    const r2 = await upload(s, t, form({ bucket: 'upx-a' }, [{ name: 'evil-big.png', data: big }]));
    assert.equal(r2.status, 415, r2.text);
    assert.match(r2.body.error.message, /evil-big\.png/, 'the refusal names the file, also past the first part');
    assert.equal(await s3Bytes('evil-big.png'), null);
    assert.equal(await openUploads(), 0);
    await s.stop();
});

test('an infected file is 422 malware_detected and nothing of it stays', async () => {
    const small = `before ${CLAMD_TEST_PATTERN} after`;
    const r = await upload(srv, admin, form({ bucket: 'upx-a' }, [{ name: 'clean.txt', data: 'clean' }, { name: 'eicar.txt', data: small }]));
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.error.code, 'malware_detected');
    assert.match(r.body.error.message, new RegExp(CLAMD_SIGNATURE.replace(/\./g, '\\.')));
    assert.equal(await s3Bytes('eicar.txt'), null);
    assert.equal((await s3Bytes('clean.txt'))!.toString(), 'clean', 'a clean file before it is kept');
    /* Past one part: the parts already sent are aborted. */
    const big = Buffer.concat([randomBytes(12 * 1024 * 1024), Buffer.from(CLAMD_TEST_PATTERN), randomBytes(1000)]);
    const r2 = await upload(srv, admin, form({ bucket: 'upx-a' }, [{ name: 'eicar-big.bin', data: big }]));
    assert.equal(r2.status, 422, r2.text);
    assert.equal(await s3Bytes('eicar-big.bin'), null);
    assert.equal(await openUploads(), 0);
    const a = await req(srv, 'GET', '/api/activity?action=object.upload&limit=1000', { token: admin });
    assert.ok(a.body.entries.some((e: Json) => e.key === 'eicar.txt' && e.status === 'failure'));
});

test('an unreachable scanner refuses uploads (fail closed)', async () => {
    const s = await startServer({ env: { ...peer.seauEnv(BUCKETS), SEAU_CLAMAV: 'tcp://127.0.0.1:1' } });
    const t = (await login(s, ADMIN.email, ADMIN.password)).token;
    const r = await upload(s, t, form({ bucket: 'upx-a' }, [{ name: 'unscanned.txt', data: 'x' }]));
    assert.equal(r.status, 503, r.text);
    assert.equal(await s3Bytes('unscanned.txt'), null);
    await s.stop();
});

test('limits, grants and malformed forms get clear errors', async () => {
    const s = await startServer({ env: { ...peer.seauEnv(BUCKETS), SEAU_MAX_UPLOAD_BYTES: '1KiB' } });
    const t = (await login(s, ADMIN.email, ADMIN.password)).token;
    const big = await upload(s, t, form({ bucket: 'upx-a' }, [{ name: 'big.txt', data: 'x'.repeat(1025) }]));
    assert.equal(big.status, 413, big.text);
    assert.equal(await s3Bytes('big.txt'), null);
    const fits = await upload(s, t, form({ bucket: 'upx-a' }, [{ name: 'fits.txt', data: 'x'.repeat(1024) }]));
    assert.equal(fits.status, 201, fits.text);
    await s.stop();

    assert.equal((await upload(srv, user, form({ bucket: 'upx-a', prefix: 'team-a/' }, [{ name: 'mine.txt', data: 'm' }]))).status, 201);
    const other = await upload(srv, user, form({ bucket: 'upx-a', prefix: 'team-b/' }, [{ name: 'x.txt', data: 'x' }]));
    assert.equal(other.status, 404, other.text);
    assert.equal(await s3Bytes('team-b/x.txt'), null);
    const res = <T,>(r: T) => r;
    assertFields(res(await upload(srv, admin, form({ bucket: 'upx-a', prefix: 'a/../' }, [{ name: 'x', data: 'x' }]))), ['prefix']);
    assertFields(res(await upload(srv, admin, form({ bucket: 'upx-a' }, [{ name: 'a/../b', data: 'x' }]))), ['file']);
    assertFields(res(await upload(srv, admin, form({ bucket: 'nope-' }, [{ name: 'x', data: 'x' }]))), ['bucket']);
    assertError(res(await upload(srv, admin, form({ bucket: 'upx-zzz' }, [{ name: 'x', data: 'x' }]))), 404, 'not_found');
    assertFields(res(await upload(srv, admin, form({ bucket: 'upx-a' }, []))), ['file']);
    const late = new FormData();
    late.append('file', new Blob(['x']), 'late.txt');
    late.append('prefix', 'p/');
    assertFields(res(await upload(srv, admin, late)), ['prefix']);
    assertError(await req(srv, 'POST', '/api/upload', { token: admin, json: { a: 1 } }), 415, 'unsupported_media_type');
    const cut = await req(srv, 'POST', '/api/upload', { token: admin, body: '--b\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\n\r\nabc', headers: { 'content-type': 'multipart/form-data; boundary=b' } });
    assertError(cut, 400, 'bad_request');
    assert.equal(await s3Bytes('cut.txt'), null);
});

/** Sends a multipart body of `size` file bytes, or stops after `stopAfter` bytes and drops the connection. */
function rawUpload(s: SeauServer, token: string, key: string, size: number, stopAfter?: number): Promise<{ status: number; text: string }> {
    const block = randomBytes(1024 * 1024);
    const head = Buffer.from(`--zz\r\nContent-Disposition: form-data; name="bucket"\r\n\r\nupx-a\r\n--zz\r\nContent-Disposition: form-data; name="file"; filename="${key}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const tail = Buffer.from('\r\n--zz--\r\n');
    return new Promise((resolve, reject) => {
        const r = http.request(`${s.url}/api/upload`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=zz', 'content-length': String(head.length + size + tail.length) },
        }, (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        r.on('error', (e) => (stopAfter !== undefined ? resolve({ status: 0, text: String(e) }) : reject(e)));
        r.write(head);
        let sent = 0;
        const pump = () => {
            while (sent < size) {
                if (stopAfter !== undefined && sent >= stopAfter) {
                    r.destroy();
                    resolve({ status: 0, text: 'dropped' });
                    return;
                }
                const n = Math.min(block.length, size - sent);
                sent += n;
                if (!r.write(n === block.length ? block : block.subarray(0, n)))
                    return void r.once('drain', pump);
            }
            r.end(tail);
        };
        pump();
    });
}

test('a client gone half way leaves no object and no open multipart upload', async () => {
    const r = await rawUpload(srv, admin, 'gone.bin', 64 * 1024 * 1024, 24 * 1024 * 1024);
    assert.equal(r.status, 0);
    /* libmicrohttpd 0.9.75 may notice the disconnect only when the connection times out (60 s idle). */
    await poll('the multipart upload to be aborted', async () => (await openUploads()) === 0, 100_000, 500);
    assert.equal(await s3Bytes('gone.bin'), null);
    const h = await req(srv, 'GET', '/api/health');
    assert.equal(h.status, 200);
}, { timeout: 150_000 });

/* On s3rver (disk-backed): Ceph RGW's test store is 4 GiB of memory, reclaimed only hours later. */
test('1 GiB streams through with memory bounded; peak RSS recorded', async (t) => {
    const disk = await startS3rver(['upx-a']);
    const s = await startServer({ env: disk.seauEnv(['upx-a']) });
    const token = (await login(s, ADMIN.email, ADMIN.password)).token;
    const size = 1024 * 1024 * 1024;
    const r = await rawUpload(s, token, 'gib.bin', size);
    assert.equal(r.status, 201, r.text);
    const head = await disk.client.send(new HeadObjectCommand({ Bucket: 'upx-a', Key: 'gib.bin' }));
    assert.equal(head.ContentLength, size);
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))![1]) * 1024;
    t.diagnostic(`peak RSS of the server after a 1 GiB proxied upload: ${(hwm / 1048576).toFixed(1)} MiB`);
    assert.ok(hwm < 512 * 1024 * 1024, `peak RSS ${hwm} is not bounded`);
    await s.stop();
}, { timeout: 300_000 });
