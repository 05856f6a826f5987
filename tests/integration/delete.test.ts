/*
 * Delete (API.md DELETE /api/delete/{key} and POST /api/delete) against
 * s3rver: objects are seeded with the AWS SDK and every effect is checked
 * with the SDK, never through Seau. Folder deletes use ~30 objects, not
 * >1000: s3rver is too slow for that here; the 1000-key batching is the
 * same code path (one DeleteObjects per 1000 keys, one listing page per 1000).
 */
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, assertFields, assertRawError, rawRequest, createUser, login, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { startS3rver, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let user: string;
let manager: string;

async function put(key: string, bucket = 'alpha'): Promise<void> {
    await peer.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
}

async function exists(key: string, bucket = 'alpha'): Promise<boolean> {
    try {
        await peer.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return false;
        throw e;
    }
}

async function count(prefix: string, bucket = 'alpha'): Promise<number> {
    const r = await peer.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return r.KeyCount ?? 0;
}

async function grantedUser(email: string, role: string, prefix: string): Promise<string> {
    const u = await createUser(srv, admin, { email, password: PASSWORD, role });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: 'alpha', prefix }] } });
    assert.equal(r.status, 200, r.text);
    return (await login(srv, email, PASSWORD)).token;
}

before(async () => {
    peer = await startS3rver(['alpha', 'beta']);
    srv = await startServer({ env: peer.seauEnv(['alpha', 'beta']) });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    user = await grantedUser('user@example.com', 'user', 'team-a/');
    manager = await grantedUser('manager@example.com', 'manager', 'team-a/');
});

const ODD = 'odd/a b+c%20d é 日本 100%.txt';

test('an admin deletes a single key with odd characters', async () => {
    await put(ODD);
    await put('odd/a b c d é 日本 100%.txt');
    assert.ok(await exists(ODD));
    const r = await req(srv, 'DELETE', `/api/delete/${ODD.split('/').map(encodeURIComponent).join('/')}?bucket=alpha`, { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { success: true });
    assert.equal(await exists(ODD), false);
    assert.ok(await exists('odd/a b c d é 日本 100%.txt'), 'a look-alike key must stay');
});

test('bad keys and buckets are 400 validation_failed', async () => {
    /* fetch removes dot segments (even %2e%2e) before sending: a raw request keeps them. */
    await put('a/../b');
    const raw = await rawRequest(srv.port, `DELETE /api/delete/a/%2e%2e/b?bucket=alpha HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nAuthorization: Bearer ${admin}\r\nConnection: close\r\n\r\n`);
    assertRawError(raw, 400, 'validation_failed');
    assert.match(raw.text, /"key"/);
    assert.ok(await exists('a/../b'));
    assertFields(await req(srv, 'DELETE', '/api/delete/a%01b', { token: admin }), ['key']);
    assertFields(await req(srv, 'DELETE', `/api/delete/${'k'.repeat(1025)}`, { token: admin }), ['key']);
    assertFields(await req(srv, 'DELETE', '/api/delete/x?bucket=NO', { token: admin }), ['bucket']);
    assertError(await req(srv, 'DELETE', '/api/delete/x?bucket=gamma', { token: admin }), 404, 'not_found');
    assertFields(await req(srv, 'POST', '/api/delete', { token: admin, json: { keys: ['ok', '/lead'], prefixes: ['no-slash'] } }), ['keys', 'prefixes']);
    assertFields(await req(srv, 'POST', '/api/delete', { token: admin, json: { keys: Array.from({ length: 1001 }, (_, i) => `k${i}`) } }), ['keys']);
    assertFields(await req(srv, 'POST', '/api/delete', { token: admin, json: { prefixes: Array.from({ length: 101 }, (_, i) => `p${i}/`) } }), ['prefixes']);
    assertFields(await req(srv, 'POST', '/api/delete', { token: admin, json: { keys: ['k'], extra: 1 } }), ['extra']);
    assertFields(await req(srv, 'POST', '/api/delete', { token: admin, json: { keys: [] } }), ['keys']);
});

test('an admin bulk-deletes keys and a folder of 30 objects', async () => {
    await put('bulk/one.txt');
    await put('bulk/two.txt');
    await put('bulk/keep.txt');
    for (let i = 0; i < 30; i++)
        await put(`bulk/folder/sub/${String(i).padStart(2, '0')} é.bin`);
    await put('bulk/folder-sibling.txt');
    const r = await req(srv, 'POST', '/api/delete', { token: admin, json: { bucket: 'alpha', keys: ['bulk/one.txt', 'bulk/two.txt'], prefixes: ['bulk/folder/'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.errors, []);
    assert.equal(r.body.deleted.length, 32);
    assert.ok(r.body.deleted.includes('bulk/folder/sub/07 é.bin'));
    assert.equal(await count('bulk/folder/'), 0);
    assert.equal(await exists('bulk/one.txt'), false);
    assert.equal(await exists('bulk/two.txt'), false);
    assert.ok(await exists('bulk/keep.txt'));
    assert.ok(await exists('bulk/folder-sibling.txt'));

    const a = await req(srv, 'GET', '/api/activity?action=object.delete&limit=10', { token: admin });
    assert.equal(a.status, 200, a.text);
    const e = a.body.entries.find((x: Json) => x.key === 'bulk/one.txt');
    assert.ok(e, a.text);
    assert.equal(e.bucket, 'alpha');
    assert.equal(e.status, 'success');
    const d = typeof e.details === 'string' ? JSON.parse(e.details) : e.details;
    assert.equal(d.count, 32);
    assert.equal(d.keys.length, 32);
    assert.deepEqual(d.prefixes, ['bulk/folder/']);
    const single = a.body.entries.find((x: Json) => x.key === ODD);
    assert.ok(single, 'the single delete is audited too');
    assert.equal(single.status, 'success');
});

test('a user cannot delete outside its grants, nor objects it did not upload', async () => {
    await put('team-a/theirs.txt');
    await put('other/secret.txt');
    await put('team-a/dir/x.txt');
    assertError(await req(srv, 'DELETE', '/api/delete/other/secret.txt?bucket=alpha', { token: user }), 404, 'not_found');
    assertError(await req(srv, 'DELETE', '/api/delete/team-a/x.txt?bucket=beta', { token: user }), 404, 'not_found');
    assertError(await req(srv, 'DELETE', '/api/delete/team-a/theirs.txt?bucket=alpha', { token: user }), 403, 'forbidden');
    const r = await req(srv, 'POST', '/api/delete', { token: user, json: { bucket: 'alpha', keys: ['other/secret.txt', 'team-a/theirs.txt'], prefixes: ['other/', 'team-a/dir/'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.deleted, []);
    const codes = Object.fromEntries(r.body.errors.map((x: Json) => [x.key, x.code]));
    assert.deepEqual(codes, { 'other/secret.txt': 'not_found', 'team-a/theirs.txt': 'forbidden', 'other/': 'not_found', 'team-a/dir/x.txt': 'forbidden' });
    for (const k of ['team-a/theirs.txt', 'other/secret.txt', 'team-a/dir/x.txt'])
        assert.ok(await exists(k), `${k} must stay`);
    const a = await req(srv, 'GET', '/api/activity?action=object.delete&limit=10', { token: admin });
    assert.ok(a.body.entries.some((x: Json) => x.key === 'team-a/theirs.txt' && x.status === 'failure'), a.text);
});

test('a manager deletes within its grants only', async () => {
    await put('team-a/m1.txt');
    await put('team-a/mdir/1.txt');
    await put('team-a/mdir/2.txt');
    await put('team-b/m2.txt');
    let r = await req(srv, 'DELETE', '/api/delete/team-a/m1.txt?bucket=alpha', { token: manager });
    assert.equal(r.status, 200, r.text);
    assert.equal(await exists('team-a/m1.txt'), false);
    assertError(await req(srv, 'DELETE', '/api/delete/team-b/m2.txt?bucket=alpha', { token: manager }), 404, 'not_found');
    r = await req(srv, 'POST', '/api/delete', { token: manager, json: { keys: ['team-b/m2.txt'], prefixes: ['team-a/mdir/'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.deleted.sort(), ['team-a/mdir/1.txt', 'team-a/mdir/2.txt']);
    assert.deepEqual(r.body.errors.map((x: Json) => [x.key, x.code]), [['team-b/m2.txt', 'not_found']]);
    assert.equal(await count('team-a/mdir/'), 0);
    assert.ok(await exists('team-b/m2.txt'));
});

test('without S3 the delete routes answer 503', async () => {
    const s = await startServer();
    const t = (await login(s, ADMIN.email, ADMIN.password)).token;
    assertError(await req(s, 'DELETE', '/api/delete/a', { token: t }), 503, 'upstream_unavailable');
    assertError(await req(s, 'POST', '/api/delete', { token: t, json: { keys: ['a'] } }), 503, 'upstream_unavailable');
    await s.stop();
});
