/*
 * Copy, move, rename and folders (API.md POST /api/copy, /api/rename,
 * /api/folders) against Ceph RGW (buckets cp-a and cp-b): objects are seeded
 * with the AWS SDK and every effect on S3 is checked with the SDK, never
 * through Seau. The multipart copy threshold is lowered to 5 MiB so that a
 * 12 MiB object takes the part-by-part path (UploadPartCopy) for real.
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before } from 'node:test';

import { ADMIN, assertError, assertFields, createUser, login, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { emptyBucket, rgwAvailable, startRgw, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
const A = 'cp-a';
const B = 'cp-b';
const MiB = 1024 * 1024;
const skip = rgwAvailable() || process.env.SEAU_IT_RGW_ENV ? false : 'Ceph RGW is not installed here';

let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let adminId: number;
let user: string;
let userId: number;
let manager: string;

async function put(key: string, body: string | Buffer = key, bucket = A, type = 'text/plain'): Promise<void> {
    await peer.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: type }));
}

async function head(key: string, bucket = A): Promise<Json | null> {
    try {
        return await peer.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return null;
        throw e;
    }
}

async function bytes(key: string, bucket = A): Promise<Buffer> {
    const r = await peer.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray());
}

async function keysUnder(prefix: string, bucket = A): Promise<string[]> {
    const r = await peer.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function copy(token: string, body: Json): Promise<Json> {
    return req(srv, 'POST', '/api/copy', { token, json: body });
}

/** The index rows of a bucket that /api/search finds for q, as key -> uploadedBy. */
async function indexed(q: string, bucket: string): Promise<Record<string, number | null>> {
    const r = await req(srv, 'GET', `/api/search?bucket=${bucket}&q=${encodeURIComponent(q)}&limit=1000`, { token: admin });
    assert.equal(r.status, 200, r.text);
    return Object.fromEntries(r.body.files.map((f: Json) => [f.key, f.uploadedBy]));
}

async function lastAudit(action: string): Promise<Json> {
    const r = await req(srv, 'GET', `/api/activity?action=${action}&limit=1`, { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.entries.length, 1, `no ${action} entry: ${r.text}`);
    const e = r.body.entries[0];
    return { ...e, details: typeof e.details === 'string' ? JSON.parse(e.details) : e.details };
}

async function grantedUser(email: string, role: string, grants: Json[]): Promise<{ token: string; id: number }> {
    const u = await createUser(srv, admin, { email, password: PASSWORD, role });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants } });
    assert.equal(r.status, 200, r.text);
    return { token: (await login(srv, email, PASSWORD)).token, id: u.id };
}

before(async () => {
    if (skip)
        return;
    peer = await startRgw([A, B]);
    /* RGW answers 200 to CreateBucket on a bucket its owner already has, so
     * startRgw() may not have emptied them: a rerun must start clean. */
    for (const b of [A, B])
        await emptyBucket(peer, b);
    srv = await startServer({ env: { ...peer.seauEnv([A, B]), SEAU_MULTIPART_COPY_THRESHOLD: '5MiB' } });
    const s = await login(srv, ADMIN.email, ADMIN.password);
    admin = s.token;
    adminId = s.user.id;
    const u = await grantedUser('user@example.com', 'user', [{ bucket: A, prefix: 'team-a/' }]);
    user = u.token;
    userId = u.id;
    manager = (await grantedUser('manager@example.com', 'manager', [{ bucket: A, prefix: '' }, { bucket: B, prefix: 'm/' }])).token;
});

test('an admin copies a file and a folder across buckets; sources stay, bytes and types are equal', async () => {
    await put('docs/a.txt', 'alpha', A, 'text/markdown');
    await put('docs/sub/b.txt', 'bravo');
    await put('docs/sub/deep/c é+%.txt', 'charlie');
    await put('docs/sub-sibling.txt', 'not part of docs/sub/');
    const r = await copy(admin, { bucket: A, sources: ['docs/a.txt', 'docs/sub/'], destinationBucket: B, destinationPrefix: 'in/' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.errors, []);
    assert.deepEqual(r.body.copied, [
        { from: 'docs/a.txt', to: 'in/a.txt' },
        { from: 'docs/sub/b.txt', to: 'in/sub/b.txt' },
        { from: 'docs/sub/deep/c é+%.txt', to: 'in/sub/deep/c é+%.txt' },
    ]);
    assert.deepEqual(await keysUnder('in/', B), ['in/a.txt', 'in/sub/b.txt', 'in/sub/deep/c é+%.txt']);
    assert.equal((await bytes('in/sub/deep/c é+%.txt', B)).toString(), 'charlie');
    assert.equal((await head('in/a.txt', B)).ContentType, 'text/markdown');
    for (const k of ['docs/a.txt', 'docs/sub/b.txt', 'docs/sub/deep/c é+%.txt'])
        assert.ok(await head(k), `${k} must stay after a copy`);
    /* The index knows the copies, uploaded by the admin. */
    assert.deepEqual(await indexed('in/', B), { 'in/a.txt': adminId, 'in/sub/b.txt': adminId, 'in/sub/deep/c é+%.txt': adminId });
    const e = await lastAudit('object.copy');
    assert.equal(e.bucket, A);
    assert.equal(e.key, 'docs/a.txt');
    assert.equal(e.status, 'success');
    assert.equal(e.userId, adminId);
    assert.equal(e.details.count, 3);
    assert.equal(e.details.errors, 0);
    assert.equal(e.details.destinationBucket, B);
    assert.equal(e.details.destinationPrefix, 'in/');
    assert.deepEqual(e.details.sources, ['docs/a.txt', 'docs/sub/']);
    /* Within one bucket, to the root: destinationBucket defaults to the source's. */
    const root = await copy(admin, { bucket: A, sources: ['docs/a.txt'] });
    assert.equal(root.status, 200, root.text);
    assert.deepEqual(root.body.copied, [{ from: 'docs/a.txt', to: 'a.txt' }]);
    assert.equal((await bytes('a.txt')).toString(), 'alpha');
}, { skip });

test('a move deletes each source only after its copy; missing keys are reported', async () => {
    await put('mv/one.txt', 'one');
    await put('mv/dir/two.txt', 'two');
    await put('mv/dir/three.txt', 'three');
    const r = await copy(admin, { bucket: A, sources: ['mv/one.txt', 'mv/dir/', 'mv/missing.txt'], destinationBucket: B, destinationPrefix: 'moved/', move: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.copied.map((p: Json) => p.to).sort(), ['moved/dir/three.txt', 'moved/dir/two.txt', 'moved/one.txt']);
    assert.deepEqual(r.body.errors.map((x: Json) => [x.key, x.code]), [['mv/missing.txt', 'not_found']]);
    assert.deepEqual(await keysUnder('mv/'), [], 'every moved source is gone');
    assert.deepEqual(await keysUnder('moved/', B), ['moved/dir/three.txt', 'moved/dir/two.txt', 'moved/one.txt']);
    assert.equal((await bytes('moved/dir/three.txt', B)).toString(), 'three');
    assert.deepEqual(await indexed('mv/', A), {}, 'moved sources are forgotten by the index');
    assert.deepEqual(Object.keys(await indexed('moved/', B)).sort(), ['moved/dir/three.txt', 'moved/dir/two.txt', 'moved/one.txt']);
    const e = await lastAudit('object.move');
    assert.equal(e.status, 'failure', 'one source failed');
    assert.equal(e.details.count, 3);
    assert.equal(e.details.errors, 1);
    /* Two sources with one new key: the first moves, the second is refused and stays. */
    await put('cl/p/x.txt', 'from p');
    await put('cl/q/x.txt', 'from q');
    const c = await copy(admin, { bucket: A, sources: ['cl/p/x.txt', 'cl/q/x.txt'], destinationPrefix: 'cl/r/', move: true });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.body.copied, [{ from: 'cl/p/x.txt', to: 'cl/r/x.txt' }]);
    assert.deepEqual(c.body.errors.map((x: Json) => [x.key, x.code]), [['cl/q/x.txt', 'conflict']]);
    assert.equal((await bytes('cl/r/x.txt')).toString(), 'from p');
    assert.equal((await bytes('cl/q/x.txt')).toString(), 'from q');
}, { skip });

test('objects over the threshold are copied part by part (12 MiB, 5 MiB parts)', async () => {
    const big = randomBytes(12 * MiB);
    await put('big/blob.bin', big, A, 'application/octet-stream');
    await put('big/small.bin', 'small', A, 'application/octet-stream');
    const r = await copy(admin, { bucket: A, sources: ['big/'], destinationBucket: B, destinationPrefix: 'mp/' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.errors, []);
    const h = await head('mp/big/blob.bin', B);
    assert.equal(h.ContentLength, 12 * MiB);
    assert.match(h.ETag, /-3"$/, `a 3-part copy (5 + 5 + 2 MiB), ETag ${h.ETag}`);
    assert.equal(h.ContentType, 'application/octet-stream', 'the part-by-part copy keeps the content type');
    const got = await bytes('mp/big/blob.bin', B);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(big).digest('hex'));
    const small = await head('mp/big/small.bin', B);
    assert.doesNotMatch(small.ETag, /-\d+"$/, 'a small object is one CopyObject');
    /* The index holds the listing's ETag and time, so a sync sees nothing changed. */
    const s = await req(srv, 'GET', `/api/search?bucket=${B}&q=blob.bin`, { token: admin });
    assert.equal(s.body.files[0].etag, h.ETag.replaceAll('"', ''));
    assert.equal(s.body.files[0].size, 12 * MiB);
}, { skip, timeout: 180_000 });

test('rename a file: moved, conflict when taken, a no-op to itself', async () => {
    await put('rn/old.txt', 'old body', A, 'text/csv');
    await put('rn/taken.txt', 'taken');
    const r = await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'rn/old.txt', newKey: 'rn/new name.txt' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.file.key, 'rn/new name.txt');
    assert.equal(r.body.file.bucket, A);
    assert.equal(r.body.file.size, 8);
    assert.equal(r.body.file.contentType, 'text/csv');
    assert.match(r.body.file.lastModified, /^\d{4}-\d\d-\d\dT/);
    assert.equal(await head('rn/old.txt'), null);
    assert.equal((await bytes('rn/new name.txt')).toString(), 'old body');
    assert.deepEqual(Object.keys(await indexed('rn/', A)).sort(), ['rn/new name.txt']);

    assertError(await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'rn/new name.txt', newKey: 'rn/taken.txt' } }), 409, 'conflict');
    assert.equal((await bytes('rn/taken.txt')).toString(), 'taken', 'a conflict changes nothing');
    assert.ok(await head('rn/new name.txt'));
    const same = await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'rn/taken.txt', newKey: 'rn/taken.txt' } });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.body.file.size, 5);
    assertError(await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'rn/nope.txt', newKey: 'rn/x.txt' } }), 404, 'not_found');

    const e = await lastAudit('object.rename');
    assert.equal(e.key, 'rn/nope.txt');
    assert.equal(e.status, 'failure');
    assert.equal(e.details.error, 'not_found');
    const all = await req(srv, 'GET', '/api/activity?action=object.rename&limit=10', { token: admin });
    const first = all.body.entries.find((x: Json) => x.key === 'rn/old.txt');
    assert.ok(first, all.text);
    assert.equal(first.status, 'success');
    assert.equal((typeof first.details === 'string' ? JSON.parse(first.details) : first.details).newKey, 'rn/new name.txt');
    assert.ok(all.body.entries.some((x: Json) => x.key === 'rn/new name.txt' && x.status === 'failure'), 'the conflict is audited');
}, { skip });

test('rename a folder: every object moves, with its marker; conflict and into itself refused', async () => {
    await put('proj/', '');
    await put('proj/a.txt', 'a');
    await put('proj/sub/b.txt', 'bb');
    await put('other-proj/x.txt', 'x');
    const r = await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'proj/', newKey: 'renamed/' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.file.key, 'renamed/');
    assert.equal(r.body.file.size, 3);
    assert.equal(r.body.moved, 3);
    assert.deepEqual(await keysUnder('proj/'), []);
    assert.deepEqual(await keysUnder('renamed/'), ['renamed/', 'renamed/a.txt', 'renamed/sub/b.txt']);
    assertError(await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'renamed/', newKey: 'other-proj/' } }), 409, 'conflict');
    assert.deepEqual(await keysUnder('renamed/'), ['renamed/', 'renamed/a.txt', 'renamed/sub/b.txt']);
    assertFields(await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'renamed/', newKey: 'renamed/inner/' } }), ['newKey']);
    assertFields(await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'renamed/', newKey: 'file.txt' } }), ['newKey']);
    assertError(await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, key: 'empty-nothing/', newKey: 'x/' } }), 404, 'not_found');
}, { skip });

test('create a folder: a marker object; taken names and users refused', async () => {
    let r = await req(srv, 'POST', '/api/folders', { token: admin, json: { bucket: A, prefix: 'new folder/été' } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body, { bucket: A, prefix: 'new folder/été/' });
    const h = await head('new folder/été/');
    assert.equal(h.ContentLength, 0);
    assertError(await req(srv, 'POST', '/api/folders', { token: admin, json: { bucket: A, prefix: 'new folder/été/' } }), 409, 'conflict');
    /* A folder that exists through its objects, and a file of the same name. */
    await put('implicit/x.txt', 'x');
    assertError(await req(srv, 'POST', '/api/folders', { token: admin, json: { bucket: A, prefix: 'implicit/' } }), 409, 'conflict');
    await put('plainfile', 'p');
    assertError(await req(srv, 'POST', '/api/folders', { token: admin, json: { bucket: A, prefix: 'plainfile/' } }), 409, 'conflict');
    assert.equal(await head('plainfile/'), null);
    /* A manager may; a user may not, even inside its grant; outside a grant is 404. */
    r = await req(srv, 'POST', '/api/folders', { token: manager, json: { bucket: B, prefix: 'm/made' } });
    assert.equal(r.status, 201, r.text);
    assert.ok(await head('m/made/', B));
    assertError(await req(srv, 'POST', '/api/folders', { token: manager, json: { bucket: B, prefix: 'elsewhere/' } }), 404, 'not_found');
    assertError(await req(srv, 'POST', '/api/folders', { token: user, json: { bucket: A, prefix: 'team-a/mine/' } }), 403, 'forbidden');
    assert.equal(await head('team-a/mine/'), null);
    for (const prefix of ['/abs/', 'a/../b/', 'a/./', 'x'.repeat(1024), ''])
        assertFields(await req(srv, 'POST', '/api/folders', { token: admin, json: { bucket: A, prefix } }), ['prefix']);
    const e = await lastAudit('folder.create');
    assert.equal(e.status, 'failure');
    const ok = await req(srv, 'GET', '/api/activity?action=folder.create&limit=20', { token: admin });
    assert.ok(ok.body.entries.some((x: Json) => x.key === 'new folder/été/' && x.status === 'success'), ok.text);
}, { skip });

test('a user granted team-a/ copies and moves only within it, and moves only its own uploads', async () => {
    await put('team-a/theirs.txt', 'theirs');
    await put('team-a/dir/t.txt', 'dir');
    await put('secret/s.txt', 'secret');
    /* Reading outside the grant: the source does not exist for it. */
    let r = await copy(user, { bucket: A, sources: ['secret/s.txt', 'secret/'], destinationPrefix: 'team-a/' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.copied, []);
    assert.deepEqual(r.body.errors.map((x: Json) => [x.key, x.code]).sort(), [['secret/', 'not_found'], ['secret/s.txt', 'not_found']]);
    assert.equal(await head('team-a/s.txt'), null);
    /* Writing outside the grant, or to a bucket without a grant. */
    r = await copy(user, { bucket: A, sources: ['team-a/theirs.txt'], destinationPrefix: 'secret/' });
    assert.deepEqual(r.body.errors.map((x: Json) => x.code), ['not_found']);
    assert.equal(await head('secret/theirs.txt'), null);
    /* A bucket without any grant does not exist for it: the whole request is 404. */
    assertError(await copy(user, { bucket: A, sources: ['team-a/theirs.txt'], destinationBucket: B }), 404, 'not_found');
    assert.equal(await head('theirs.txt', B), null);
    assertError(await copy(user, { bucket: B, sources: ['x.txt'] }), 404, 'not_found');
    /* A copy inside the grant is the user's own upload ... */
    r = await copy(user, { bucket: A, sources: ['team-a/theirs.txt'], destinationPrefix: 'team-a/mine/' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.copied, [{ from: 'team-a/theirs.txt', to: 'team-a/mine/theirs.txt' }]);
    assert.deepEqual(await indexed('team-a/mine/', A), { 'team-a/mine/theirs.txt': userId });
    /* ... which it may move and rename; another's object it may not. */
    r = await copy(user, { bucket: A, sources: ['team-a/theirs.txt', 'team-a/mine/theirs.txt', 'team-a/dir/'], destinationPrefix: 'team-a/moved/', move: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.copied, [{ from: 'team-a/mine/theirs.txt', to: 'team-a/moved/theirs.txt' }]);
    assert.deepEqual(r.body.errors.map((x: Json) => [x.key, x.code]).sort(), [['team-a/dir/t.txt', 'forbidden'], ['team-a/theirs.txt', 'forbidden']]);
    assert.ok(await head('team-a/theirs.txt'), 'a refused move leaves the source');
    assert.ok(await head('team-a/dir/t.txt'));
    assert.equal(await head('team-a/moved/dir/t.txt'), null, 'nothing is copied when the move is refused');
    assert.equal(await head('team-a/mine/theirs.txt'), null);
    assert.deepEqual(await indexed('team-a/moved/', A), { 'team-a/moved/theirs.txt': userId }, 'a moved object stays its uploader\'s');
    assertError(await req(srv, 'POST', '/api/rename', { token: user, json: { bucket: A, key: 'team-a/theirs.txt', newKey: 'team-a/t2.txt' } }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/rename', { token: user, json: { bucket: A, key: 'team-a/moved/theirs.txt', newKey: 'secret/x.txt' } }), 404, 'not_found');
    assertError(await req(srv, 'POST', '/api/rename', { token: user, json: { bucket: A, key: 'secret/s.txt', newKey: 'team-a/s.txt' } }), 404, 'not_found');
    assertError(await req(srv, 'POST', '/api/rename', { token: user, json: { bucket: A, key: 'team-a/dir/', newKey: 'team-a/dir2/' } }), 403, 'forbidden');
    assert.ok(await head('team-a/dir/t.txt'), 'a folder the user may not wholly move is left as it was');
    r = await req(srv, 'POST', '/api/rename', { token: user, json: { bucket: A, key: 'team-a/moved/theirs.txt', newKey: 'team-a/moved/mine.txt' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.file.uploadedBy, userId);
    assert.ok(await head('team-a/moved/mine.txt'));
}, { skip });

test('bad requests are 400 and change nothing', async () => {
    await put('v/a.txt', 'a');
    await put('v/self/x.txt', 'x');
    const bad: Array<[Json, string[]]> = [
        [{ sources: ['/abs'] }, ['sources']],
        [{ sources: ['a/../b'] }, ['sources']],
        [{ sources: [] }, ['sources']],
        [{}, ['sources']],
        [{ sources: 'v/a.txt' }, ['sources']],
        [{ sources: [7] }, ['sources']],
        [{ sources: Array.from({ length: 1001 }, (_, i) => `k${i}`) }, ['sources']],
        [{ sources: ['v/a.txt'], destinationPrefix: 'no-slash' }, ['destinationPrefix']],
        [{ sources: ['v/a.txt'], destinationPrefix: '/abs/' }, ['destinationPrefix']],
        [{ sources: ['v/a.txt'], move: 'yes' }, ['move']],
        [{ sources: ['v/a.txt'], bucket: 'Bad_Bucket' }, ['bucket']],
        [{ sources: ['v/a.txt'], extra: 1 }, ['extra']],
        /* Onto itself, and a folder into itself. */
        [{ bucket: A, sources: ['v/a.txt'], destinationPrefix: 'v/' }, ['destinationPrefix']],
        [{ bucket: A, sources: ['v/self/'], destinationPrefix: 'v/self/inner/' }, ['destinationPrefix']],
        [{ bucket: A, sources: ['v/self/'], destinationPrefix: 'v/' }, ['destinationPrefix']],
    ];
    for (const [body, fields] of bad)
        assertFields(await copy(admin, body), fields);
    assertError(await copy(admin, { bucket: 'cp-zzz', sources: ['v/a.txt'] }), 404, 'not_found');
    assertError(await copy(admin, { bucket: A, sources: ['v/a.txt'], destinationBucket: 'cp-zzz' }), 404, 'not_found');
    assert.deepEqual(await keysUnder('v/'), ['v/a.txt', 'v/self/x.txt']);
    /* At the limit: 1000 sources are accepted (each reported missing). */
    const many = await copy(admin, { bucket: A, sources: Array.from({ length: 1000 }, (_, i) => `nope/${i}`), destinationPrefix: 'x/' });
    assert.equal(many.status, 200, many.text);
    assert.equal(many.body.errors.length, 1000);
    /* A new key over 1024 bytes is refused for that object only. */
    const long = `v/${'k'.repeat(1000)}`;
    await put(long, 'l');
    const r = await copy(admin, { bucket: A, sources: [long, 'v/a.txt'], destinationPrefix: `${'p'.repeat(100)}/` });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.errors.map((x: Json) => [x.key, x.code]), [[long, 'validation_failed']]);
    assert.deepEqual(r.body.copied, [{ from: 'v/a.txt', to: `${'p'.repeat(100)}/a.txt` }]);
    for (const body of [{ key: 'a', newKey: 'a/../b' }, { key: '', newKey: 'b' }, { key: 'a' }, { key: 'a', newKey: 'b', x: 1 }])
        assertError(await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: A, ...body } }), 400, 'validation_failed');
}, { skip });

test('without S3 the change routes answer 503', async () => {
    const s = await startServer();
    const t = (await login(s, ADMIN.email, ADMIN.password)).token;
    assertError(await req(s, 'POST', '/api/copy', { token: t, json: { sources: ['a'] } }), 503, 'upstream_unavailable');
    assertError(await req(s, 'POST', '/api/rename', { token: t, json: { key: 'a', newKey: 'b' } }), 503, 'upstream_unavailable');
    assertError(await req(s, 'POST', '/api/folders', { token: t, json: { prefix: 'a/' } }), 503, 'upstream_unavailable');
    await s.stop();
});
