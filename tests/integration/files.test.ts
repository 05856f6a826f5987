/*
 * Browse (API.md "Buckets and objects": GET /api/buckets, /api/list,
 * /api/object) against s3rver and Ceph RGW, with objects seeded and checked
 * through the AWS SDK, never through Seau.
 */
import { PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import {
    ADMIN,
    assertError,
    assertFields,
    createUser,
    login,
    req,
    startServer,
    test,
    type Json,
    type SeauServer,
} from './harness.ts';
import { rgwAvailable, startRgw, startS3rver, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
const BUCKETS = ['alpha', 'beta'];
const KEYS = [
    'root.txt',
    'sp ace/a b.txt',
    'uni/héllo-日本.txt',
    'sym/a+b.txt',
    'sym/50%.txt',
    'sym/t~x.txt',
    'team-a/x/1.txt',
    'team-a/x/2.txt',
    'team-a/top.txt',
    'team-b/y.txt',
    'other/secret.txt',
    'page/1',
    'page/2',
    'page/3',
    'page/4',
    'page/5',
];

interface Ctx {
    peer: S3Peer;
    srv: SeauServer;
    admin: string;
    user: string;
    manager: string;
}
const ctx: Record<string, Ctx> = {};
const PEERS = rgwAvailable() ? ['s3rver', 'rgw'] : ['s3rver'];

async function setup(peer: S3Peer): Promise<Ctx> {
    for (const k of KEYS)
        await peer.client.send(new PutObjectCommand({
            Bucket: 'alpha', Key: k, Body: `body of ${k}`, ContentType: 'text/plain',
            Metadata: { origin: 'seed' },
        }));
    await peer.client.send(new PutObjectCommand({ Bucket: 'beta', Key: 'team-a/b.txt', Body: 'b' }));
    const srv = await startServer({ env: { ...peer.seauEnv(BUCKETS), SEAU_LOGIN_MAX_FAILURES_IP: '1000' } });
    const admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const u = await createUser(srv, admin, { email: 'user@example.com', password: PASSWORD, role: 'user' });
    const m = await createUser(srv, admin, { email: 'm@example.com', password: PASSWORD, role: 'manager' });
    let r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: 'alpha', prefix: 'team-a/' }] } });
    assert.equal(r.status, 200, r.text);
    r = await req(srv, 'PUT', `/api/users/${m.id}/grants`, {
        token: admin,
        json: { grants: [{ bucket: 'alpha', prefix: 'team-a/x/' }, { bucket: 'alpha', prefix: 'team-b/' }, { bucket: 'beta', prefix: '' }] },
    });
    assert.equal(r.status, 200, r.text);
    const user = (await login(srv, 'user@example.com', PASSWORD)).token;
    const manager = (await login(srv, 'm@example.com', PASSWORD)).token;
    return { peer, srv, admin, user, manager };
}

before(async () => {
    const rgw = PEERS.includes('rgw') ? startRgw(BUCKETS) : null;
    ctx.s3rver = await setup(await startS3rver(BUCKETS));
    if (rgw)
        ctx.rgw = await setup(await rgw);
}, { timeout: 120_000 });

function q(params: Record<string, string | number>): string {
    return new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
}

async function list(c: Ctx, token: string, params: Record<string, string | number>): Promise<Json> {
    const r = await req(c.srv, 'GET', `/api/list?${q(params)}`, { token });
    assert.equal(r.status, 200, r.text);
    return r.body;
}

for (const name of PEERS) {
    test(`${name}: buckets by role`, async () => {
        const c = ctx[name]!;
        let r = await req(c.srv, 'GET', '/api/buckets', { token: c.admin });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body.buckets.map((b: Json) => b.name), BUCKETS);
        for (const b of r.body.buckets)
            assert.ok('region' in b && 'versioning' in b);
        if (name === 'rgw')
            assert.equal(r.body.buckets[0].versioning, 'off');
        r = await req(c.srv, 'GET', '/api/buckets', { token: c.user });
        assert.deepEqual(r.body.buckets.map((b: Json) => b.name), ['alpha']);
        r = await req(c.srv, 'GET', '/api/buckets', { token: c.manager });
        assert.deepEqual(r.body.buckets.map((b: Json) => b.name), BUCKETS);
        assertError(await req(c.srv, 'GET', '/api/buckets'), 401, 'unauthorized');
    });

    test(`${name}: listing the root, folders and odd keys`, async () => {
        const c = ctx[name]!;
        const root = await list(c, c.admin, {});
        assert.deepEqual(root.folders, ['other/', 'page/', 'sp ace/', 'sym/', 'team-a/', 'team-b/', 'uni/']);
        assert.deepEqual(root.files.map((f: Json) => f.key), ['root.txt']);
        assert.equal(root.nextCursor, null);
        const f = root.files[0];
        assert.deepEqual(Object.keys(f).sort(), ['bucket', 'contentType', 'etag', 'key', 'lastModified', 'size', 'uploadedBy']);
        assert.equal(f.bucket, 'alpha');
        assert.equal(f.size, 'body of root.txt'.length);
        assert.match(f.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        assert.match(f.etag, /^[0-9a-f]{32}$/);
        const sym = await list(c, c.admin, { prefix: 'sym/' });
        assert.deepEqual(sym.files.map((x: Json) => x.key), ['sym/50%.txt', 'sym/a+b.txt', 'sym/t~x.txt']);
        const uni = await list(c, c.admin, { prefix: 'uni/', bucket: 'alpha' });
        assert.deepEqual(uni.files.map((x: Json) => x.key), ['uni/héllo-日本.txt']);
        const sp = await list(c, c.admin, { prefix: 'sp ace/' });
        assert.deepEqual(sp.files.map((x: Json) => x.key), ['sp ace/a b.txt']);
        const desc = await list(c, c.admin, { sort: '-name' });
        assert.deepEqual(desc.folders, [...root.folders].reverse());
        const beta = await list(c, c.admin, { bucket: 'beta' });
        assert.deepEqual(beta.folders, ['team-a/']);
    });

    test(`${name}: paging with limit 2 through 5 objects, both orders`, async () => {
        const c = ctx[name]!;
        for (const sort of ['name', '-name']) {
            const seen: string[] = [];
            let cursor: string | null = null;
            let pages = 0;
            do {
                const body: Json = await list(c, c.admin, { prefix: 'page/', limit: 2, sort, ...(cursor ? { cursor } : {}) });
                assert.ok(body.files.length <= 2);
                seen.push(...body.files.map((f: Json) => f.key));
                cursor = body.nextCursor;
                pages++;
            } while (cursor && pages < 10);
            const want = ['page/1', 'page/2', 'page/3', 'page/4', 'page/5'];
            assert.deepEqual(seen, sort === 'name' ? want : want.reverse(), sort);
            assert.equal(pages, 3);
        }
    });

    test(`${name}: object details with metadata`, async () => {
        const c = ctx[name]!;
        for (const key of ['sym/50%.txt', 'sym/a+b.txt', 'uni/héllo-日本.txt', 'sp ace/a b.txt', 'sym/t~x.txt']) {
            const r = await req(c.srv, 'GET', `/api/object?${q({ key })}`, { token: c.admin });
            assert.equal(r.status, 200, r.text);
            assert.equal(r.body.file.key, key);
            assert.equal(r.body.file.size, Buffer.byteLength(`body of ${key}`));
            assert.equal(r.body.file.contentType, 'text/plain');
            assert.equal(r.body.file.uploadedBy, null);
            assert.deepEqual(r.body.metadata, { origin: 'seed' });
            assert.equal(r.body.versions, undefined);
        }
        assertError(await req(c.srv, 'GET', `/api/object?${q({ key: 'nope.txt' })}`, { token: c.admin }), 404, 'not_found');
    });

    test(`${name}: a user granted team-a/ sees and fetches nothing else`, async () => {
        const c = ctx[name]!;
        const root = await list(c, c.user, {});
        assert.deepEqual(root, { files: [], folders: ['team-a/'], nextCursor: null });
        const a = await list(c, c.user, { prefix: 'team-a/' });
        assert.deepEqual(a.folders, ['team-a/x/']);
        assert.deepEqual(a.files.map((f: Json) => f.key), ['team-a/top.txt']);
        const x = await list(c, c.user, { prefix: 'team-a/x/' });
        assert.deepEqual(x.files.map((f: Json) => f.key), ['team-a/x/1.txt', 'team-a/x/2.txt']);
        for (const path of [
            `/api/list?${q({ prefix: 'other/' })}`,
            `/api/list?${q({ prefix: 'nothing-here/' })}`,
            `/api/list?${q({ bucket: 'beta' })}`,
            `/api/list?${q({ bucket: 'beta', prefix: 'team-a/' })}`,
            `/api/list?${q({ bucket: 'gamma' })}`,
            `/api/object?${q({ key: 'other/secret.txt' })}`,
            `/api/object?${q({ key: 'root.txt' })}`,
            `/api/object?${q({ bucket: 'beta', key: 'team-a/b.txt' })}`,
        ])
            assertError(await req(c.srv, 'GET', path, { token: c.user }), 404, 'not_found');
        const ok = await req(c.srv, 'GET', `/api/object?${q({ key: 'team-a/x/1.txt' })}`, { token: c.user });
        assert.equal(ok.status, 200, ok.text);
        /* A manager with two grants below the root sees exactly the folders leading to them. */
        const m = await list(c, c.manager, {});
        assert.deepEqual(m, { files: [], folders: ['team-a/', 'team-b/'], nextCursor: null });
        const ma = await list(c, c.manager, { prefix: 'team-a/' });
        assert.deepEqual(ma, { files: [], folders: ['team-a/x/'], nextCursor: null });
        const mb = await list(c, c.manager, { bucket: 'beta' });
        assert.deepEqual(mb.folders, ['team-a/']);
    });

    test(`${name}: bad parameters name their field`, async () => {
        const c = ctx[name]!;
        const bad: Array<[string, string]> = [
            [`/api/list?${q({ prefix: '/abs' })}`, 'prefix'],
            [`/api/list?${q({ prefix: 'a/../b/' })}`, 'prefix'],
            [`/api/list?${q({ prefix: 'x'.repeat(1025) })}`, 'prefix'],
            [`/api/list?${q({ limit: 0 })}`, 'limit'],
            [`/api/list?${q({ limit: 1001 })}`, 'limit'],
            [`/api/list?${q({ limit: 'ten' })}`, 'limit'],
            [`/api/list?${q({ cursor: 'not-a-cursor!' })}`, 'cursor'],
            [`/api/list?${q({ sort: 'biggest' })}`, 'sort'],
            /* Size and date sorts read the index's '/' levels: another delimiter is refused. */
            [`/api/list?${q({ sort: 'size', delimiter: '-' })}`, 'sort'],
            [`/api/list?${q({ bucket: 'Bad_Bucket' })}`, 'bucket'],
            [`/api/object?${q({ key: '' })}`, 'key'],
            [`/api/object?${q({ key: 'a/./b' })}`, 'key'],
            [`/api/object?${q({ key: 'k'.repeat(1025) })}`, 'key'],
            ['/api/object', 'key'],
        ];
        for (const [path, field] of bad)
            assertFields(await req(c.srv, 'GET', path, { token: c.admin }), [field]);
        /* A cursor of one order is refused in the other. */
        const p = await list(c, c.admin, { prefix: 'page/', limit: 2 });
        assertFields(await req(c.srv, 'GET', `/api/list?${q({ prefix: 'page/', sort: '-name', cursor: p.nextCursor })}`, { token: c.admin }), ['cursor']);
        /* At the limits: a limit of 1000 and a 1024-byte prefix are accepted. */
        assert.equal((await req(c.srv, 'GET', `/api/list?${q({ limit: 1000 })}`, { token: c.admin })).status, 200);
        const long = await list(c, c.admin, { prefix: 'k'.repeat(1024) });
        assert.deepEqual(long, { files: [], folders: [], nextCursor: null });
    });
}

if (PEERS.includes('rgw')) {
    test('rgw: versions of an overwritten key in a versioned bucket', async () => {
        const c = ctx.rgw!;
        await c.peer.client.send(new PutBucketVersioningCommand({ Bucket: 'beta', VersioningConfiguration: { Status: 'Enabled' } }));
        await c.peer.client.send(new PutObjectCommand({ Bucket: 'beta', Key: 'v.txt', Body: 'one' }));
        await c.peer.client.send(new PutObjectCommand({ Bucket: 'beta', Key: 'v.txt', Body: 'three' }));
        await c.peer.client.send(new PutObjectCommand({ Bucket: 'beta', Key: 'v.txt2', Body: 'other key' }));
        const b = await req(c.srv, 'GET', '/api/buckets', { token: c.admin });
        assert.equal(b.body.buckets[1].versioning, 'enabled');
        const r = await req(c.srv, 'GET', `/api/object?${q({ bucket: 'beta', key: 'v.txt' })}`, { token: c.admin });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.file.size, 5);
        assert.equal(r.body.versions.length, 2);
        assert.deepEqual(r.body.versions.map((v: Json) => [v.size, v.isLatest, v.deleteMarker]), [[5, true, false], [3, false, false]]);
        for (const v of r.body.versions)
            assert.equal(typeof v.versionId, 'string');
    });
}

test('without S3 the browse routes answer 503 and the others keep working', async () => {
    /* S3 is configured by SEAU_BUCKETS or SEAU_S3_ENDPOINT (src/cli/s3.c): neither here. */
    const srv = await startServer();
    const admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    for (const path of ['/api/buckets', '/api/list', '/api/object?key=a'])
        assert.match(assertError(await req(srv, 'GET', path, { token: admin }), 503, 'upstream_unavailable').message, /S3 is not configured/);
    assert.equal((await req(srv, 'GET', '/api/auth/me', { token: admin })).status, 200);
    assert.equal((await req(srv, 'GET', '/api/users', { token: admin })).status, 200);
    await srv.stop();
});
