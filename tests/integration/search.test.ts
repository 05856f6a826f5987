/*
 * Search (API.md GET /api/search) over the object index: objects are put with
 * the AWS SDK (not through Seau) into s3rver, `seau index sync` fills the
 * index on the server's own database while it runs, and the API answers,
 * never beyond the caller's grants.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, assertFields, createUser, login, req, runCli, startServer, test, type Json, type SeauServer } from './harness.ts';
import { startS3rver, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
const KEYS: Record<string, string> = {
    'team-a/Invoice-2026-01.pdf': 'application/pdf',
    'team-a/photos/Beach.JPG': 'image/jpeg',
    'team-a/notes/été.txt': 'text/plain',
    'team-ab/invoice-lookalike.pdf': 'application/pdf',
    'other/invoice-secret.pdf': 'application/pdf',
    'other/big.bin': 'application/octet-stream',
};

let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let user: string;

before(async () => {
    peer = await startS3rver(['alpha', 'beta']);
    for (const [key, type] of Object.entries(KEYS))
        await peer.client.send(new PutObjectCommand({ Bucket: 'alpha', Key: key, Body: key === 'other/big.bin' ? 'x'.repeat(5000) : key, ContentType: type }));
    await peer.client.send(new PutObjectCommand({ Bucket: 'beta', Key: 'team-a/invoice-beta.pdf', Body: 'b' }));
    /* The index is filled by `seau index sync` below, which this file tests: no walk at start. */
    srv = await startServer({ env: { ...peer.seauEnv(['alpha', 'beta']), SEAU_INDEX_SYNC_AT_START: 'false' } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const u = await createUser(srv, admin, { email: 'user@example.com', password: PASSWORD, role: 'user' });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: 'alpha', prefix: 'team-a/' }] } });
    assert.equal(r.status, 200, r.text);
    user = (await login(srv, 'user@example.com', PASSWORD)).token;
    const sync = await runCli(['index', 'sync'], { env: srv.env });
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stdout, /alpha: 6 objects listed in 1 pages: 6 added, 0 changed, 0 unchanged, 0 removed/);
    assert.match(sync.stdout, /beta: 1 objects listed/);
});

function keys(body: Json): string[] {
    return body.files.map((f: Json) => `${f.bucket}:${f.key}`);
}

test('an admin finds a substring in every bucket, case-insensitively', async () => {
    const r = await req(srv, 'GET', '/api/search?q=INVOICE', { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(keys(r.body), ['alpha:other/invoice-secret.pdf', 'alpha:team-a/Invoice-2026-01.pdf', 'alpha:team-ab/invoice-lookalike.pdf', 'beta:team-a/invoice-beta.pdf']);
    assert.equal(r.body.total, 4);
    assert.equal(r.body.totalCapped, false);
    const f = r.body.files.find((x: Json) => x.key === 'team-a/Invoice-2026-01.pdf');
    assert.equal(f.size, 'team-a/Invoice-2026-01.pdf'.length);
    assert.match(f.lastModified, /^\d{4}-\d\d-\d\dT/);
});

test('a user granted team-a/ in alpha never sees, nor counts, anything else', async () => {
    let r = await req(srv, 'GET', '/api/search?q=invoice', { token: user });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(keys(r.body), ['alpha:team-a/Invoice-2026-01.pdf']);
    assert.equal(r.body.total, 1);
    r = await req(srv, 'GET', '/api/search?q=secret', { token: user });
    assert.deepEqual(r.body.files, []);
    assert.equal(r.body.total, 0);
    assertError(await req(srv, 'GET', '/api/search?bucket=beta&q=invoice', { token: user }), 404, 'not_found');
    assertError(await req(srv, 'GET', '/api/search?bucket=gamma&q=invoice', { token: admin }), 404, 'not_found');
});

test('filters: type, size, prefix, Unicode and two-character queries', async () => {
    let r = await req(srv, 'GET', '/api/search?type=image', { token: admin });
    assert.deepEqual(keys(r.body), ['alpha:team-a/photos/Beach.JPG']);
    r = await req(srv, 'GET', '/api/search?minSize=1000', { token: admin });
    assert.deepEqual(keys(r.body), ['alpha:other/big.bin']);
    r = await req(srv, 'GET', '/api/search?bucket=alpha&prefix=team-a/&q=e', { token: admin });
    assertFields(r, ['q']);
    r = await req(srv, 'GET', `/api/search?q=${encodeURIComponent('ÉTÉ')}`, { token: admin });
    assert.deepEqual(keys(r.body), ['alpha:team-a/notes/été.txt']);
    r = await req(srv, 'GET', '/api/search?q=jp', { token: admin });
    assert.deepEqual(keys(r.body), ['alpha:team-a/photos/Beach.JPG']);
});

test('paging with a cursor walks every match once', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 10; i++) {
        const r = await req(srv, 'GET', `/api/search?q=invoice&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: admin });
        assert.equal(r.status, 200, r.text);
        seen.push(...keys(r.body));
        if (!r.body.nextCursor)
            break;
        cursor = r.body.nextCursor;
    }
    assert.equal(seen.length, 4);
    assert.equal(new Set(seen).size, 4);
});

test('bad parameters are named', async () => {
    const r = await req(srv, 'GET', '/api/search?q=a&type=hologram&minSize=-1&modifiedAfter=yesterday&limit=1001&cursor=zzz', { token: admin });
    assertFields(r, ['q', 'type', 'minSize', 'modifiedAfter', 'limit', 'cursor']);
});

test('a new sync removes what vanished from S3', async () => {
    await peer.client.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'other/big.bin' }));
    const sync = await runCli(['index', 'sync', '--bucket', 'alpha'], { env: srv.env });
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stdout, /1 removed/);
    const r = await req(srv, 'GET', '/api/search?minSize=1000', { token: admin });
    assert.deepEqual(r.body.files, []);
});
