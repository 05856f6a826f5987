/*
 * GET /api/download-zip against Ceph RGW: objects are seeded with the AWS
 * SDK, archives are downloaded over HTTP to a file and judged by Info-ZIP's
 * `unzip -t` and Python's zipfile (never by Seau), and the extracted bytes
 * are compared with the seeds. Also: grants (hidden names are 404, hidden
 * objects under a prefix are left out), validation, the audit entry, an S3
 * failure mid-archive (the connection is cut), a client that goes away
 * mid-download, the transfer cap (503), and the server's peak RSS while it
 * zips 300 MiB.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { before } from 'node:test';

import {
    ADMIN,
    assertError,
    assertFields,
    createUser,
    login,
    poll,
    req,
    requirePrograms,
    startServer,
    tempDir,
    test,
    type Json,
    type SeauServer,
} from './harness.ts';
import { startRgw, startS3rver, type S3Peer } from './s3peer.ts';

/* Independent readers of the archives Seau makes. */
requirePrograms('python3', 'unzip', 'zipinfo');

const PASSWORD = 'user-password-0123456789';
const MiB = 1024 * 1024;
const A = 'zip-a';
const B = 'zip-b';

let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let teamA: string; /* a `user` granted zip-a/team-a/ */
let teamAPub: string; /* a `user` granted zip-a/team-a/pub/ only */
const seeds = new Map<string, Buffer>();

async function put(key: string, body: Buffer | string, bucket = A): Promise<void> {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    await peer.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: b }));
    if (bucket === A)
        seeds.set(key, b);
}

async function grantedUser(email: string, prefix: string): Promise<string> {
    const u = await createUser(srv, admin, { email, password: PASSWORD, role: 'user' });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: A, prefix }] } });
    assert.equal(r.status, 200, r.text);
    return (await login(srv, email, PASSWORD)).token;
}

function query(o: { bucket?: string; keys?: string[]; prefixes?: string[] }): string {
    const q = new URLSearchParams();
    if (o.bucket !== undefined)
        q.append('bucket', o.bucket);
    for (const k of o.keys ?? [])
        q.append('keys', k);
    for (const p of o.prefixes ?? [])
        q.append('prefixes', p);
    return `/api/download-zip?${q.toString()}`;
}

interface Download {
    status: number;
    headers: Headers;
    file: string;
    bytes: number;
}

/** Streams the archive to a new file (never held in memory here). */
async function download(s: SeauServer, token: string, pathAndQuery: string): Promise<Download> {
    const r = await fetch(s.url + pathAndQuery, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(120_000) });
    const file = path.join(tempDir('seau-zip-'), 'out.zip');
    await pipeline(Readable.fromWeb(r.body! as Parameters<typeof Readable.fromWeb>[0]), createWriteStream(file));
    return { status: r.status, headers: r.headers, file, bytes: readFileSync(file).length };
}

/** What Python's zipfile sees: names in order, each entry's bytes (CRC-checked by zipfile). */
function pyEntries(file: string): { name: string; data: Buffer }[] {
    const out = execFileSync('python3', ['-c', `
import sys, zipfile, json, base64
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps([[i.filename, base64.b64encode(z.read(i)).decode()] for i in z.infolist()]))
`, file], { maxBuffer: 512 * MiB });
    return (JSON.parse(out.toString()) as [string, string][]).map(([name, b64]) => ({ name, data: Buffer.from(b64, 'base64') }));
}

/** Info-ZIP's verdict: unzip -t exits 0 on a sound archive. */
function unzipTest(file: string): { ok: boolean; out: string } {
    try {
        const out = execFileSync('unzip', ['-t', file], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
        return { ok: true, out: out.toString() };
    } catch (e) {
        return { ok: false, out: String((e as Json).stdout ?? e) };
    }
}

/** Asserts a sound archive whose entries are exactly want (name → the seed's key). */
function assertArchive(file: string, want: Record<string, string>): void {
    const t = unzipTest(file);
    assert.ok(t.ok, `unzip -t failed:\n${t.out}`);
    const got = pyEntries(file);
    assert.deepEqual(got.map((e) => e.name).sort(), Object.keys(want).sort());
    for (const e of got) {
        const seed = seeds.get(want[e.name]!);
        assert.ok(seed, `no seed for ${e.name}`);
        assert.ok(e.data.equals(seed), `bytes of ${e.name} differ from ${want[e.name]}`);
    }
}

/** VmHWM (peak) or VmRSS (now) of a process, in KiB. */
function memKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    assert.ok(m, `no ${field} in /proc/${pid}/status:\n${status}`);
    return Number(m[1]);
}

const UNI = 'docs/été/日本語 ✓ 100%.txt';

before(async () => {
    peer = await startRgw([A, B]);
    srv = await startServer({ env: { ...peer.seauEnv([A, B]), SEAU_AUDIT_DOWNLOADS: 'true' } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    teamA = await grantedUser('team-a@example.com', 'team-a/');
    teamAPub = await grantedUser('team-a-pub@example.com', 'team-a/pub/');
    await put('docs/readme.txt', 'hello, zip\n');
    await put('docs/nested/deep/a.bin', randomBytes(100 * 1024 + 7));
    await put(UNI, 'Unicode ✓\n');
    await put('docs/empty.txt', '');
    await put('docs/big.bin', randomBytes(20 * MiB));
    await put('docs-sibling.txt', 'not in docs/');
    await put('other/x.txt', 'other');
    await put('team-a/pub/p.txt', 'public to team a');
    await put('team-a/secret/s.txt', 'only for team-a/');
    await put('team-b/x', 'team b');
    await put('secret.txt', 'in zip-b', B);
});

test('a folder zips with its own name, Unicode, empty and 20 MiB files intact', async () => {
    const d = await download(srv, admin, query({ bucket: A, prefixes: ['docs/'] }));
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-type'), 'application/zip');
    assert.equal(d.headers.get('transfer-encoding'), 'chunked');
    assert.equal(d.headers.get('content-length'), null);
    assert.equal(d.headers.get('content-disposition'), 'attachment; filename="docs.zip"; filename*=UTF-8\'\'docs.zip');
    assert.equal(d.headers.get('cache-control'), 'no-store');
    assertArchive(d.file, {
        'docs/readme.txt': 'docs/readme.txt',
        'docs/nested/deep/a.bin': 'docs/nested/deep/a.bin',
        'docs/été/日本語 ✓ 100%.txt': UNI,
        'docs/empty.txt': 'docs/empty.txt',
        'docs/big.bin': 'docs/big.bin',
    });
    /* Stored, not deflated: the archive is the data plus headers. */
    assert.ok(d.bytes > 20 * MiB + 100 * 1024 && d.bytes < 20 * MiB + 100 * 1024 + 4096, String(d.bytes));
    /* zipinfo sees UTF-8 names (flag bit 11) and stored entries. */
    const info = execFileSync('zipinfo', ['-v', d.file], { env: { ...process.env, LC_ALL: 'C.UTF-8' } }).toString();
    assert.match(info, /compression method:\s+none \(stored\)/);
    assert.doesNotMatch(info, /deflated/);
});

test('a nested folder zips relative to its parent; a selection relative to the common parent', async () => {
    let d = await download(srv, admin, query({ bucket: A, prefixes: ['docs/nested/'] }));
    assert.equal(d.status, 200);
    assert.match(d.headers.get('content-disposition') ?? '', /filename="nested\.zip"/);
    assertArchive(d.file, { 'nested/deep/a.bin': 'docs/nested/deep/a.bin' });

    /* A folder marker (an empty object named like the folder) becomes a directory entry. */
    await put('marked/', '');
    await put('marked/inner/', '');
    await put('marked/inner/f.txt', 'in a marked folder');
    d = await download(srv, admin, query({ bucket: A, prefixes: ['marked/'] }));
    assert.equal(d.status, 200);
    assertArchive(d.file, { 'marked/': 'marked/', 'marked/inner/': 'marked/inner/', 'marked/inner/f.txt': 'marked/inner/f.txt' });
    const listing = execFileSync('zipinfo', [d.file]).toString();
    assert.match(listing, /^drwxr-xr-x .* marked\/inner\/$/m);

    d = await download(srv, admin, query({ bucket: A, keys: ['docs/readme.txt', UNI, 'docs/empty.txt'] }));
    assert.equal(d.status, 200);
    assert.match(d.headers.get('content-disposition') ?? '', /filename="download\.zip"/);
    assertArchive(d.file, { 'readme.txt': 'docs/readme.txt', 'été/日本語 ✓ 100%.txt': UNI, 'empty.txt': 'docs/empty.txt' });

    /* Keys and folders from different places: the common parent is the bucket's root. The
     * default bucket is zip-a. Repeats, a key inside a chosen folder, a folder inside another:
     * each object once. */
    d = await download(srv, admin, query({
        keys: ['other/x.txt', 'docs-sibling.txt', 'other/x.txt', 'docs/nested/deep/a.bin'],
        prefixes: ['docs/nested/', 'docs/nested/deep/', 'team-b/'],
    }));
    assert.equal(d.status, 200);
    assertArchive(d.file, {
        'other/x.txt': 'other/x.txt',
        'docs-sibling.txt': 'docs-sibling.txt',
        'docs/nested/deep/a.bin': 'docs/nested/deep/a.bin',
        'team-b/x': 'team-b/x',
    });
});

test('grants: a hidden key or folder is 404 for the whole request; hidden objects under a prefix are left out', async () => {
    assertError(await req(srv, 'GET', query({ bucket: A, keys: ['team-b/x'] }), { token: teamA }), 404, 'not_found');
    assertError(await req(srv, 'GET', query({ bucket: A, keys: ['team-a/pub/p.txt', 'team-b/x'] }), { token: teamA }), 404, 'not_found');
    assertError(await req(srv, 'GET', query({ bucket: A, prefixes: ['team-b/'] }), { token: teamA }), 404, 'not_found');
    assertError(await req(srv, 'GET', query({ bucket: A, prefixes: ['docs/'] }), { token: teamA }), 404, 'not_found');
    assertError(await req(srv, 'GET', query({ bucket: B, keys: ['secret.txt'] }), { token: teamA }), 404, 'not_found');
    /* A hidden key looks exactly like a missing one. */
    const missing = assertError(await req(srv, 'GET', query({ bucket: A, keys: ['team-a/nope.txt'] }), { token: teamA }), 404, 'not_found');
    const hidden = assertError(await req(srv, 'GET', query({ bucket: A, keys: ['team-b/x'] }), { token: teamA }), 404, 'not_found');
    assert.equal(missing.message, hidden.message);
    /* An existing folder with nothing visible in it: 404 too. */
    assertError(await req(srv, 'GET', query({ bucket: A, prefixes: ['team-a/secret/'] }), { token: teamAPub }), 404, 'not_found');

    let d = await download(srv, teamA, query({ bucket: A, prefixes: ['team-a/'] }));
    assert.equal(d.status, 200);
    assertArchive(d.file, { 'team-a/pub/p.txt': 'team-a/pub/p.txt', 'team-a/secret/s.txt': 'team-a/secret/s.txt' });
    /* Granted only team-a/pub/: zipping team-a/ gives pub/ and skips secret/. */
    d = await download(srv, teamAPub, query({ bucket: A, prefixes: ['team-a/'] }));
    assert.equal(d.status, 200);
    assertArchive(d.file, { 'team-a/pub/p.txt': 'team-a/pub/p.txt' });
});

test('missing things are 404; bad requests are 400 validation_failed naming the field', async () => {
    assertError(await req(srv, 'GET', query({ bucket: A, keys: ['docs/readme.txt', 'docs/nope.txt'] }), { token: admin }), 404, 'not_found');
    assertError(await req(srv, 'GET', query({ bucket: A, prefixes: ['nothing-here/'] }), { token: admin }), 404, 'not_found');
    assertError(await req(srv, 'GET', query({ bucket: 'zip-c', keys: ['x'] }), { token: admin }), 404, 'not_found');
    assertFields(await req(srv, 'GET', query({ bucket: A }), { token: admin }), ['keys']);
    assertFields(await req(srv, 'GET', query({ bucket: 'NO', keys: ['x'] }), { token: admin }), ['bucket']);
    assertFields(await req(srv, 'GET', query({ keys: ['/lead'] }), { token: admin }), ['keys']);
    assertFields(await req(srv, 'GET', query({ keys: ['a/../b'] }), { token: admin }), ['keys']);
    assertFields(await req(srv, 'GET', query({ keys: ['a\u0001b'] }), { token: admin }), ['keys']);
    assertFields(await req(srv, 'GET', query({ keys: ['k'.repeat(1025)] }), { token: admin }), ['keys']);
    assertFields(await req(srv, 'GET', query({ prefixes: ['no-slash'] }), { token: admin }), ['prefixes']);
    assertFields(await req(srv, 'GET', query({ prefixes: [''] }), { token: admin }), ['prefixes']);
    assertFields(await req(srv, 'GET', query({ keys: ['ok', '/lead'], prefixes: ['bad'] }), { token: admin }), ['keys', 'prefixes']);
    /* At the limit of 100 prefixes the request is judged on its objects; past it, refused. The
     * 1000-key limit lies past what a URL can carry in the server's 32 KiB of connection
     * memory (about 250 keys of 40 characters): tests/unit/api/zip.c tests it. */
    const keys = Array.from({ length: 200 }, (_, i) => `n/${i}`);
    assertError(await req(srv, 'GET', query({ keys }), { token: admin }), 404, 'not_found');
    const prefixes = Array.from({ length: 100 }, (_, i) => `p${i}/`);
    assertError(await req(srv, 'GET', query({ prefixes }), { token: admin }), 404, 'not_found');
    assertFields(await req(srv, 'GET', query({ prefixes: [...prefixes, 'p100/'] }), { token: admin }), ['prefixes']);
    /* Not signed in. */
    assertError(await req(srv, 'GET', query({ keys: ['docs/readme.txt'] })), 401, 'unauthorized');
});

test('each archive is audited as object.download_zip, refusals as failures', async () => {
    const a = await req(srv, 'GET', '/api/activity?action=object.download_zip&limit=100', { token: admin });
    assert.equal(a.status, 200, a.text);
    const entries: Json[] = a.body.entries;
    const docs = entries.find((e) => {
        const d = typeof e.details === 'string' ? JSON.parse(e.details) : e.details;
        return e.status === 'success' && d?.prefixes?.[0] === 'docs/' && d.prefixes.length === 1;
    });
    assert.ok(docs, a.text);
    assert.equal(docs.bucket, A);
    assert.equal(docs.userEmail, ADMIN.email);
    const d = typeof docs.details === 'string' ? JSON.parse(docs.details) : docs.details;
    assert.equal(d.entries, 5);
    assert.equal(d.written, 5);
    assert.ok(d.bytes > 20 * MiB, JSON.stringify(d));
    const refused = entries.find((e) => e.status === 'failure' && e.userEmail === 'team-a@example.com');
    assert.ok(refused, 'a hidden request is audited as a failure');
});

test('an object that changes mid-archive cuts the connection: no silently wrong archive', async () => {
    await put('cut/a.bin', randomBytes(8 * MiB));
    await put('cut/b.txt', 'before');
    const r = await fetch(srv.url + query({ bucket: A, prefixes: ['cut/'] }), { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(r.status, 200);
    const reader = r.body!.getReader();
    let got = (await reader.read()).value?.length ?? 0;
    /* While a.bin streams (the client has read little), b.txt changes: its GET is refused (If-Match). */
    await put('cut/b.txt', 'after, and longer');
    const started = Date.now();
    let failed = false;
    try {
        for (;;) {
            const c = await reader.read();
            if (c.done)
                break;
            got += c.value.length;
        }
    } catch {
        failed = true;
    }
    assert.ok(failed, `the download must end in an error, not a clean end (after ${got} bytes)`);
    assert.ok(Date.now() - started < 20_000, `the cut came ${Date.now() - started} ms after the change`);
    assert.ok(got >= 8 * MiB, `a.bin went through first (${got} bytes)`);
    /* The connection is cut first; the archive's worker then writes its audit entry. */
    const e = await poll('the failed archive\'s audit entry', async () => {
        const a = await req(srv, 'GET', '/api/activity?action=object.download_zip&limit=5', { token: admin });
        return a.body.entries.find((x: Json) => x.key === 'cut/a.bin');
    });
    assert.equal(e.status, 'failure');
    assert.match(typeof e.details === 'string' ? e.details : JSON.stringify(e.details), /incomplete/);
    assert.equal((await req(srv, 'GET', '/api/health')).status, 200);
});

test('a client that goes away mid-download frees its transfer; the cap answers 503', async () => {
    const capped = await startServer({ env: { ...peer.seauEnv([A, B]), SEAU_MAX_TRANSFERS: '1' } });
    const token = (await login(capped, ADMIN.email, ADMIN.password)).token;
    for (let round = 0; round < 3; round++) {
        const ac = new AbortController();
        const r = await fetch(capped.url + query({ bucket: A, keys: ['docs/big.bin'] }), { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
        assert.equal(r.status, 200);
        const reader = r.body!.getReader();
        await reader.read();
        /* The one transfer is taken: a second archive is refused. */
        const busy = await req(capped, 'GET', query({ bucket: A, keys: ['docs/readme.txt'] }), { token });
        assertError(busy, 503, 'upstream_unavailable');
        assert.ok(busy.headers.get('retry-after'));
        ac.abort();
        await reader.read().catch(() => undefined);
        /* Once the server sees the connection gone, the slot is free again. */
        let d: Download | null = null;
        for (let i = 0; i < 100 && !d; i++) {
            const t = await download(capped, token, query({ bucket: A, keys: ['docs/readme.txt'] }));
            if (t.status === 200)
                d = t;
            else
                await new Promise((res) => setTimeout(res, 50));
        }
        assert.ok(d, 'the transfer slot came back');
        assertArchive(d.file, { 'readme.txt': 'docs/readme.txt' });
    }
    assert.equal((await req(capped, 'GET', '/api/health')).status, 200);
    /* The harness stops it and fails on a non-zero exit or any sanitizer report (leaks included). */
    await capped.stop();
});

/*
 * On a private s3rver, not the shared RGW: RGW keeps deleted data until its
 * garbage collection runs (hours later), and 300 MiB per run would fill its
 * 4 GiB in-memory store for every test file sharing it.
 */
test('memory stays bounded while 300 MiB are zipped', async (t) => {
    const local = await startS3rver(['zip-m']);
    const s = await startServer({ env: local.seauEnv(['zip-m']) });
    const token = (await login(s, ADMIN.email, ADMIN.password)).token;
    const chunk = randomBytes(20 * MiB);
    for (let i = 0; i < 15; i++)
        await local.client.send(new PutObjectCommand({ Bucket: 'zip-m', Key: `heavy/${String(i).padStart(2, '0')}.bin`, Body: chunk }));
    const pid = s.proc.pid!;
    /* Resets the peak to the current RSS (proc(5), clear_refs 5), so VmHWM after is this zip's peak. */
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const before = memKiB(pid, 'VmRSS');
    const started = Date.now();
    const d = await download(s, token, query({ prefixes: ['heavy/'] }));
    const seconds = (Date.now() - started) / 1000;
    assert.equal(d.status, 200);
    const after = memKiB(pid, 'VmHWM');
    assert.ok(d.bytes > 300 * MiB, String(d.bytes));
    const sum = execFileSync('python3', ['-c', `
import sys, zipfile, hashlib
z = zipfile.ZipFile(sys.argv[1])
print(len(z.infolist()), len({hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))
`, d.file]).toString().trim();
    assert.equal(sum, '15 1');
    const grew = (after - before) / 1024;
    t.diagnostic(`zipped ${(d.bytes / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s; server RSS ${(before / 1024).toFixed(0)} MiB before, peak ${(after / 1024).toFixed(0)} MiB during (+${grew.toFixed(1)} MiB)`);
    assert.ok(grew < 64, `peak RSS grew by ${grew.toFixed(1)} MiB while zipping 300 MiB`);
    await s.stop();
}, { timeout: 300_000 });
