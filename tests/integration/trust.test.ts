/*
 * GET /api/prefix-totals and GET /api/capabilities on Ceph RGW (bucket
 * tr-a, versioned) and s3rver (bucket tr-s, no ListParts): a folder's
 * totals as the index counts them, within grants; what each store can do.
 */
import { PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, createUser, login, req, runCli, startServer, test, type SeauServer } from './harness.ts';
import { emptyBucket, rgwAvailable, startRgw, startS3rver, type S3Peer } from './s3peer.ts';

const A = 'tr-a';
const S = 'tr-s';
const PASSWORD = 'user-password-0123456789';
const skip = rgwAvailable() || process.env.SEAU_IT_RGW_ENV ? false : 'Ceph RGW is not installed here';

const SEED: Array<[string, number]> = [
    ['reports/2026/a.pdf', 1000],
    ['reports/2026/b.pdf', 2000],
    ['reports/c.txt', 300],
    ['reportsx/d.txt', 40],
    ['other/e.bin', 5],
];

let peer: S3Peer;
let local: S3Peer;
let srv: SeauServer;
let local_srv: SeauServer;
let admin: string;
let user: string;

before(async () => {
    if (skip) return;
    peer = await startRgw([A]);
    await emptyBucket(peer, A);
    await peer.client.send(new PutBucketVersioningCommand({ Bucket: A, VersioningConfiguration: { Status: 'Enabled' } }));
    for (const [key, size] of SEED) await peer.client.send(new PutObjectCommand({ Bucket: A, Key: key, Body: Buffer.alloc(size, 'x') }));
    srv = await startServer({ env: { ...peer.seauEnv([A]), SEAU_INDEX_RECONCILE_INTERVAL: '0' } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const u = await createUser(srv, admin, { email: 'user@example.com', password: PASSWORD, role: 'user' });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: A, prefix: 'reports/2026/' }] } });
    assert.equal(r.status, 200, r.text);
    user = (await login(srv, 'user@example.com', PASSWORD)).token;
    const sync = await runCli(['index', 'sync'], { env: srv.env });
    assert.equal(sync.code, 0, sync.stderr);
    local = await startS3rver([S]);
    local_srv = await startServer({ env: { ...local.seauEnv([S]), SEAU_INDEX_RECONCILE_INTERVAL: '0' } });
});

test('a folder counts every object below it, at any depth, and nothing beside it', async () => {
    let r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=reports/`, { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { bucket: A, prefix: 'reports/', objects: 3, bytes: 3300 });
    r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=`, { token: admin });
    assert.deepEqual([r.body.objects, r.body.bytes], [5, 3345]);
    r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=nothing/`, { token: admin });
    assert.deepEqual([r.body.objects, r.body.bytes], [0, 0]);
}, { skip });

test('a user counts only what its grants show', async () => {
    let r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=reports/`, { token: user });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.objects, r.body.bytes], [2, 3000], 'reports/c.txt lies outside its grant');
    r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=other/`, { token: user });
    assert.deepEqual([r.body.objects, r.body.bytes], [0, 0]);
    assertError(await req(srv, 'GET', '/api/prefix-totals?bucket=tr-zzz&prefix=', { token: admin }), 404, 'not_found');
    assertError(await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=/abs/`, { token: admin }), 400, 'validation_failed');
    assertError(await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=`), 401, 'unauthorized');
}, { skip });

test('capabilities: RGW versions and lists parts, s3rver does neither', async () => {
    let r = await req(srv, 'GET', `/api/capabilities?bucket=${A}`, { token: user });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { bucket: A, versioning: true, listParts: true });
    const la = (await login(local_srv, ADMIN.email, ADMIN.password)).token;
    r = await req(local_srv, 'GET', `/api/capabilities?bucket=${S}`, { token: la });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { bucket: S, versioning: false, listParts: false });
    assertError(await req(local_srv, 'GET', '/api/capabilities?bucket=tr-zzz', { token: la }), 404, 'not_found');
}, { skip });
