/*
 * Copy, move and rename onto names that are taken (API.md POST /api/copy and
 * POST /api/rename, field `conflict`): fail (the default), replace (in a
 * versioned bucket the old content stays a version), keepBoth (a numbered
 * name), skip. Against Ceph RGW, a versioned bucket and an unversioned one;
 * every effect is checked with the AWS SDK.
 */
import { GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, assertFields, login, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { emptyBucket, startRgw, type S3Peer } from './s3peer.ts';

const B = 'cc-a';
const V = 'cc-v'; /* versioned */

let peer: S3Peer;
let srv: SeauServer;
let admin: string;

async function put(bucket: string, key: string, body: string): Promise<void> {
    await peer.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function bytes(bucket: string, key: string): Promise<string | null> {
    try {
        const o = await peer.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await o.Body!.transformToByteArray()).toString();
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return null;
        throw e;
    }
}

const copy = (json: Json) => req(srv, 'POST', '/api/copy', { token: admin, json });
const rename = (json: Json) => req(srv, 'POST', '/api/rename', { token: admin, json });

before(async () => {
    peer = await startRgw([B, V]);
    for (const b of [B, V])
        await emptyBucket(peer, b);
    await peer.client.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'Enabled' } }));
    srv = await startServer({ env: peer.seauEnv([B, V]) });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    await put(B, 'src/report.pdf', 'new report');
    await put(B, 'src/fresh.txt', 'fresh');
    await put(B, 'dst/report.pdf', 'old report');
    await put(B, 'src/dir/a.txt', 'dir a');
    await put(B, 'src/dir/b.txt', 'dir b');
    await put(B, 'dst/dir/a.txt', 'old dir a');
});

test('the field is validated; fail is the default and says conflict per object', async () => {
    assertFields(await copy({ bucket: B, sources: ['src/report.pdf'], destinationPrefix: 'dst/', conflict: 'merge' }), ['conflict']);
    assertFields(await copy({ bucket: B, sources: ['src/report.pdf'], destinationPrefix: 'dst/', conflict: 3 }), ['conflict']);
    assertFields(await rename({ bucket: B, key: 'src/report.pdf', newKey: 'dst/report.pdf', conflict: 'keep' }), ['conflict']);
    const r = await copy({ bucket: B, sources: ['src/report.pdf', 'src/fresh.txt'], destinationPrefix: 'dst/' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.copied, [{ from: 'src/fresh.txt', to: 'dst/fresh.txt' }]);
    assert.equal(r.body.errors.length, 1);
    assert.equal(r.body.errors[0].key, 'src/report.pdf');
    assert.equal(r.body.errors[0].code, 'conflict');
    assert.deepEqual(r.body.skipped, []);
    assert.equal(await bytes(B, 'dst/report.pdf'), 'old report');
    const f = await copy({ bucket: B, sources: ['src/report.pdf'], destinationPrefix: 'dst/', conflict: 'fail', move: true });
    assert.equal(f.body.errors[0].code, 'conflict');
    assert.equal(await bytes(B, 'src/report.pdf'), 'new report', 'a refused move keeps its source');
});

test('keepBoth numbers the copy, again and again; folders keep both object by object', async () => {
    const one = await copy({ bucket: B, sources: ['src/report.pdf'], destinationPrefix: 'dst/', conflict: 'keepBoth' });
    assert.deepEqual(one.body.copied, [{ from: 'src/report.pdf', to: 'dst/report (1).pdf' }], one.text);
    const two = await copy({ bucket: B, sources: ['src/report.pdf'], destinationPrefix: 'dst/', conflict: 'keepBoth' });
    assert.deepEqual(two.body.copied, [{ from: 'src/report.pdf', to: 'dst/report (2).pdf' }], two.text);
    assert.equal(await bytes(B, 'dst/report.pdf'), 'old report');
    assert.equal(await bytes(B, 'dst/report (2).pdf'), 'new report');
    const dir = await copy({ bucket: B, sources: ['src/dir/'], destinationPrefix: 'dst/', conflict: 'keepBoth' });
    assert.deepEqual(dir.body.copied.map((p: Json) => p.to).sort(), ['dst/dir/a (1).txt', 'dst/dir/b.txt']);
    assert.equal(await bytes(B, 'dst/dir/a.txt'), 'old dir a');
    /* The copies are found in the index under their numbered names. */
    const s = await req(srv, 'GET', `/api/search?bucket=${B}&q=report (2)`, { token: admin });
    assert.ok(s.body.files.some((x: Json) => x.key === 'dst/report (2).pdf'), s.text);
});

test('skip leaves taken names alone and says which', async () => {
    await put(B, 'src/skip-new.txt', 'skip new');
    const r = await copy({ bucket: B, sources: ['src/report.pdf', 'src/skip-new.txt'], destinationPrefix: 'dst/', conflict: 'skip', move: true });
    assert.deepEqual(r.body.skipped, ['src/report.pdf'], r.text);
    assert.deepEqual(r.body.copied, [{ from: 'src/skip-new.txt', to: 'dst/skip-new.txt' }]);
    assert.deepEqual(r.body.errors, []);
    assert.equal(await bytes(B, 'src/report.pdf'), 'new report', 'a skipped move keeps its source');
    assert.equal(await bytes(B, 'src/skip-new.txt'), null);
});

test('replace: the copy replaces; in a versioned bucket the old content stays a version', async () => {
    await put(V, 'a/doc.txt', 'version one');
    await put(V, 'b/doc.txt', 'version two');
    const buckets = await req(srv, 'GET', '/api/buckets', { token: admin });
    assert.equal(buckets.body.buckets.find((b: Json) => b.name === V).versioning, 'enabled', buckets.text);
    const r = await copy({ bucket: V, sources: ['b/doc.txt'], destinationPrefix: 'a/', conflict: 'replace' });
    assert.deepEqual(r.body.copied, [{ from: 'b/doc.txt', to: 'a/doc.txt' }], r.text);
    assert.equal(await bytes(V, 'a/doc.txt'), 'version two');
    const v = await peer.client.send(new ListObjectVersionsCommand({ Bucket: V, Prefix: 'a/doc.txt' }));
    assert.equal((v.Versions ?? []).length, 2, 'the replaced content is kept as a version');
    /* Unversioned: replaced, gone. */
    const u = await copy({ bucket: B, sources: ['src/fresh.txt'], destinationPrefix: 'dst/', conflict: 'replace' });
    assert.deepEqual(u.body.copied, [{ from: 'src/fresh.txt', to: 'dst/fresh.txt' }], u.text);
});

test('rename: fail, keepBoth, skip and replace for files; keepBoth for folders, never a merge', async () => {
    await put(B, 'r/one.txt', 'one');
    await put(B, 'r/two.txt', 'two');
    assertError(await rename({ bucket: B, key: 'r/one.txt', newKey: 'r/two.txt' }), 409, 'conflict');
    assertError(await rename({ bucket: B, key: 'r/one.txt', newKey: 'r/two.txt', conflict: 'fail' }), 409, 'conflict');
    const sk = await rename({ bucket: B, key: 'r/one.txt', newKey: 'r/two.txt', conflict: 'skip' });
    assert.equal(sk.status, 200, sk.text);
    assert.equal(sk.body.skipped, true);
    assert.equal(sk.body.file.key, 'r/one.txt');
    assert.equal(await bytes(B, 'r/one.txt'), 'one');
    const kb = await rename({ bucket: B, key: 'r/one.txt', newKey: 'r/two.txt', conflict: 'keepBoth' });
    assert.equal(kb.status, 200, kb.text);
    assert.equal(kb.body.file.key, 'r/two (1).txt');
    assert.equal(await bytes(B, 'r/two (1).txt'), 'one');
    assert.equal(await bytes(B, 'r/one.txt'), null);
    assert.equal(await bytes(B, 'r/two.txt'), 'two');
    const rp = await rename({ bucket: B, key: 'r/two (1).txt', newKey: 'r/two.txt', conflict: 'replace' });
    assert.equal(rp.status, 200, rp.text);
    assert.equal(await bytes(B, 'r/two.txt'), 'one');
    assert.equal(await bytes(B, 'r/two (1).txt'), null);

    await put(B, 'f/x/1.txt', 'x1');
    await put(B, 'f/y/1.txt', 'y1');
    assertError(await rename({ bucket: B, key: 'f/x/', newKey: 'f/y/' }), 409, 'conflict');
    assertFields(await rename({ bucket: B, key: 'f/x/', newKey: 'f/y/', conflict: 'replace' }), ['newKey']);
    const fk = await rename({ bucket: B, key: 'f/x/', newKey: 'f/y/', conflict: 'keepBoth' });
    assert.equal(fk.status, 200, fk.text);
    assert.equal(fk.body.file.key, 'f/y (1)/');
    assert.equal(await bytes(B, 'f/y (1)/1.txt'), 'x1');
    assert.equal(await bytes(B, 'f/y/1.txt'), 'y1');
    const a = await req(srv, 'GET', '/api/activity?action=object.rename&limit=20', { token: admin });
    assert.ok(a.body.entries.some((e: Json) => e.key === 'f/x/' && e.details?.storedAs === 'f/y (1)/'), 'the audit says where it went');
});
