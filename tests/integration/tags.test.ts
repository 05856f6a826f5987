/*
 * Details, tags and metadata (API.md "Versions, recycle bin, tags and
 * metadata") on Ceph RGW, bucket `tg-a` without versioning and `tg-v` with:
 * system metadata, S3's tag limits (400 validation_failed), who may re-tag,
 * search by tag and uploader, metadata edits checked with the AWS SDK.
 */
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, assertFields, login, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { body, enableVersioning, grantedUser, upload, versionsOf } from './recovery-common.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const A = 'tg-a';
const V = 'tg-v';
let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let adminId: number;
let alice: { token: string; id: number };
let bob: { token: string; id: number };

before(async () => {
    peer = await startRgw([A, V]);
    await enableVersioning(peer, V);
    srv = await startServer({ env: peer.seauEnv([A, V]) });
    const s = await login(srv, ADMIN.email, ADMIN.password);
    admin = s.token;
    adminId = s.user.id;
    const grants = [{ bucket: A, prefix: 'team/' }, { bucket: V, prefix: '' }];
    alice = await grantedUser(srv, admin, 'tg-alice@example.com', 'user', grants);
    bob = await grantedUser(srv, admin, 'tg-bob@example.com', 'user', grants);
});

test('the details carry system metadata and the uploader', async () => {
    await upload(srv, alice.token, A, 'team/report.txt', 'hello report');
    const r = await req(srv, 'GET', `/api/object?bucket=${A}&key=team/report.txt`, { token: bob.token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.file.uploadedBy, alice.id);
    assert.equal(r.body.system.size, 12);
    assert.equal(r.body.system.storageClass, 'STANDARD');
    assert.match(r.body.system.contentType, /^text\/plain/);
    assert.ok(r.body.system.etag);
    assert.ok(r.body.system.lastModified);
    assert.ok('encryption' in r.body.system);
});

test('tags: S3 limits, rights, the tag index in search, and the audit', async () => {
    const key = 'team/report.txt';
    const put = (token: string, tags: Json) => req(srv, 'PUT', '/api/tags', { token, json: { bucket: A, key, tags } });
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, `v${i}`]));
    const ok = await put(alice.token, ten);
    assert.equal(ok.status, 200, ok.text);
    const s3 = await peer.client.send(new GetObjectTaggingCommand({ Bucket: A, Key: key }));
    assert.equal(s3.TagSet?.length, 10);

    /* At the limits and one past them. */
    assertFields(await put(alice.token, { ...ten, k10: 'x' }), ['tags']);
    assert.equal((await put(alice.token, { ['k'.repeat(128)]: 'v'.repeat(256) })).status, 200);
    assertFields(await put(alice.token, { ['k'.repeat(129)]: 'v' }), ['tags']);
    assertFields(await put(alice.token, { k: 'v'.repeat(257) }), ['tags']);
    assertFields(await put(alice.token, { '': 'v' }), ['tags']);
    assertFields(await put(alice.token, 'not an object'), ['tags']);
    assertFields(await put(alice.token, { k: 1 }), ['tags']);

    /* Bob did not upload it: a user may not re-tag it; the admin may. */
    assertError(await put(bob.token, { project: 'x' }), 403, 'forbidden');
    const set = await put(alice.token, { project: 'apollo', status: 'final' });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.body.tags, { project: 'apollo', status: 'final' });
    const got = await req(srv, 'GET', `/api/tags?bucket=${A}&key=${key}`, { token: bob.token });
    assert.deepEqual(got.body.tags, { project: 'apollo', status: 'final' });

    await upload(srv, bob.token, A, 'team/other.txt', 'other');
    const byTag = await req(srv, 'GET', `/api/search?bucket=${A}&tag=${encodeURIComponent('project=apollo')}`, { token: admin });
    assert.equal(byTag.status, 200, byTag.text);
    assert.deepEqual(byTag.body.files.map((f: Json) => f.key), [key]);
    assert.equal((await req(srv, 'GET', `/api/search?bucket=${A}&tag=project=gemini`, { token: admin })).body.files.length, 0);
    const byUser = await req(srv, 'GET', `/api/search?bucket=${A}&uploadedBy=${bob.id}`, { token: admin });
    assert.deepEqual(byUser.body.files.map((f: Json) => f.key), ['team/other.txt']);
    /* Listings filter the same way (folders stay). */
    const lt = await req(srv, 'GET', `/api/list?bucket=${A}&prefix=team/&tag=${encodeURIComponent('project=apollo')}`, { token: admin });
    assert.equal(lt.status, 200, lt.text);
    assert.deepEqual(lt.body.files.map((f: Json) => f.key), [key]);
    const lu = await req(srv, 'GET', `/api/list?bucket=${A}&prefix=team/&uploadedBy=${bob.id}`, { token: admin });
    assert.deepEqual(lu.body.files.map((f: Json) => f.key), ['team/other.txt']);
    assert.equal(lu.body.files[0].uploadedBy, bob.id);
    const root = await req(srv, 'GET', `/api/list?bucket=${A}&uploadedBy=${bob.id}`, { token: admin });
    assert.deepEqual(root.body.folders, ['team/']);
    assertFields(await req(srv, 'GET', `/api/list?bucket=${A}&tag=noequals`, { token: admin }), ['tag']);
    assertFields(await req(srv, 'GET', `/api/list?bucket=${A}&uploadedBy=0`, { token: admin }), ['uploadedBy']);
    assertFields(await req(srv, 'GET', `/api/search?tag=noequals`, { token: admin }), ['tag']);
    assertFields(await req(srv, 'GET', `/api/search?uploadedBy=abc`, { token: admin }), ['uploadedBy']);

    const a = await req(srv, 'GET', '/api/activity?action=object.tags', { token: admin });
    assert.ok(a.body.entries.some((e: Json) => e.key === key && e.status === 'success' && e.userId === alice.id), a.text);
    assert.ok(a.body.entries.some((e: Json) => e.key === key && e.status === 'failure' && e.userId === bob.id), a.text);
});

test('metadata edits copy the object onto itself; the uploader stays', async () => {
    const key = 'team/meta.txt';
    await upload(srv, alice.token, A, key, 'meta body');
    const r = await req(srv, 'PATCH', '/api/object', { token: alice.token, json: { bucket: A, key, contentType: 'text/markdown', metadata: { project: 'apollo', 'review-by': 'bob' } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.file.contentType, 'text/markdown');
    assert.deepEqual(r.body.metadata, { project: 'apollo', 'review-by': 'bob' });
    assert.equal(r.body.file.uploadedBy, alice.id);
    const h = await peer.client.send(new HeadObjectCommand({ Bucket: A, Key: key }));
    assert.equal(h.ContentType, 'text/markdown');
    assert.deepEqual(h.Metadata, { project: 'apollo', 'review-by': 'bob' });
    assert.equal(await body(peer, A, key), 'meta body');
    const d = await req(srv, 'GET', `/api/object?bucket=${A}&key=${key}`, { token: admin });
    assert.deepEqual(d.body.metadata, { project: 'apollo', 'review-by': 'bob' });
    assert.equal(d.body.file.uploadedBy, alice.id);

    /* The content type alone: the metadata stays, and the answer says what it is. */
    const ct = await req(srv, 'PATCH', '/api/object', { token: alice.token, json: { bucket: A, key, contentType: 'text/plain' } });
    assert.equal(ct.status, 200, ct.text);
    assert.equal(ct.body.file.contentType, 'text/plain');
    assert.deepEqual(ct.body.metadata, { project: 'apollo', 'review-by': 'bob' });
    assert.deepEqual((await peer.client.send(new HeadObjectCommand({ Bucket: A, Key: key }))).Metadata, { project: 'apollo', 'review-by': 'bob' });

    assertError(await req(srv, 'PATCH', '/api/object', { token: bob.token, json: { bucket: A, key, metadata: {} } }), 403, 'forbidden');
    assertFields(await req(srv, 'PATCH', '/api/object', { token: alice.token, json: { bucket: A, key, metadata: { 'bad name': 'x' } } }), ['metadata']);
    assertFields(await req(srv, 'PATCH', '/api/object', { token: alice.token, json: { bucket: A, key, contentType: 'nonsense' } }), ['contentType']);
    assertFields(await req(srv, 'PATCH', '/api/object', { token: alice.token, json: { bucket: A, key } }), ['metadata']);
    assertError(await req(srv, 'PATCH', '/api/object', { token: alice.token, json: { bucket: A, key: 'elsewhere/x.txt', metadata: {} } }), 404, 'not_found');
    const a = await req(srv, 'GET', '/api/activity?action=object.metadata', { token: admin });
    assert.ok(a.body.entries.some((e: Json) => e.key === key && e.status === 'success'), a.text);
});

test('in a versioned bucket a metadata edit is a new version', async () => {
    await upload(srv, admin, V, 'v.txt', 'versioned');
    const r = await req(srv, 'PATCH', '/api/object', { token: admin, json: { bucket: V, key: 'v.txt', metadata: { a: 'b' } } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await versionsOf(peer, V, 'v.txt')).length, 2);
    const vs = await req(srv, 'GET', `/api/versions?bucket=${V}&key=v.txt`, { token: admin });
    assert.equal(vs.body.versions[0].uploadedBy, adminId);
});
