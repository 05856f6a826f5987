/*
 * The recycle bin (API.md "Versions, recycle bin, tags and metadata") on Ceph
 * RGW: `tr-on` with versioning ON (delete markers), `tr-bin` without
 * versioning but with Seau's trash prefix (SEAU_TRASH, a 3 s retention so the
 * janitor's purge is seen), `tr-off` with neither. Effects checked with the SDK.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, login, poll, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { body, enableVersioning, exists, grantedUser, upload, versionsOf } from './recovery-common.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const ON = 'tr-on';
const BIN = 'tr-bin';
const OFF = 'tr-off';
let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let alice: { token: string; id: number };
let bob: { token: string; id: number };
let manager: { token: string; id: number };

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
    const r = await peer.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (r.Contents ?? []).map((c) => c.Key!);
}

before(async () => {
    peer = await startRgw([ON, BIN, OFF]);
    await enableVersioning(peer, ON);
    srv = await startServer({ env: { ...peer.seauEnv([ON, BIN, OFF]), SEAU_TRASH: `${BIN}:.trash/:3s` } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const grants = [{ bucket: ON, prefix: 'team/' }, { bucket: BIN, prefix: 'team/' }];
    alice = await grantedUser(srv, admin, 'tr-alice@example.com', 'user', grants);
    bob = await grantedUser(srv, admin, 'tr-bob@example.com', 'user', grants);
    manager = await grantedUser(srv, admin, 'tr-manager@example.com', 'manager', grants);
});

test('buckets say whether a delete can be undone', async () => {
    const r = await req(srv, 'GET', '/api/buckets', { token: admin });
    const by = (n: string) => r.body.buckets.find((b: Json) => b.name === n);
    assert.equal(by(ON).recoverable, 'versions');
    assert.equal(by(BIN).recoverable, 'trash');
    assert.equal(by(OFF).recoverable, null);
});

test('versioned: delete, the recycle bin per user, restore, purge', async () => {
    await upload(srv, alice.token, ON, 'team/a.txt', 'alice a');
    await upload(srv, bob.token, ON, 'team/b.txt', 'bob b');
    assert.equal((await req(srv, 'DELETE', `/api/delete/team/a.txt?bucket=${ON}`, { token: alice.token })).status, 200);
    assert.equal((await req(srv, 'POST', '/api/delete', { token: bob.token, json: { bucket: ON, keys: ['team/b.txt'] } })).status, 200);
    assert.equal(await exists(peer, ON, 'team/a.txt'), false);

    const mine = await req(srv, 'GET', `/api/trash?bucket=${ON}`, { token: alice.token });
    assert.equal(mine.status, 200, mine.text);
    assert.deepEqual(mine.body.files.map((f: Json) => f.key), ['team/a.txt']);
    assert.equal(mine.body.files[0].deletedBy, alice.id);
    assert.equal(mine.body.files[0].size, 7);
    assert.ok(mine.body.files[0].deletedAt);
    const all = await req(srv, 'GET', `/api/trash?bucket=${ON}&prefix=team/`, { token: manager.token });
    assert.deepEqual(all.body.files.map((f: Json) => f.key).sort(), ['team/a.txt', 'team/b.txt']);

    /* Alice cannot restore Bob's delete: not even shown to her. */
    const bobs = all.body.files.find((f: Json) => f.key === 'team/b.txt');
    const refused = await req(srv, 'POST', '/api/trash/restore', { token: alice.token, json: { bucket: ON, items: [{ key: 'team/b.txt', restoreId: bobs.restoreId }] } });
    assert.equal(refused.status, 200, refused.text);
    assert.deepEqual(refused.body.restored, []);
    assert.equal(refused.body.errors[0].code, 'not_found');
    assert.equal(await exists(peer, ON, 'team/b.txt'), false);

    const ok = await req(srv, 'POST', '/api/trash/restore', { token: alice.token, json: { bucket: ON, items: [{ key: 'team/a.txt', restoreId: mine.body.files[0].restoreId }] } });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.restored, ['team/a.txt']);
    assert.equal(await body(peer, ON, 'team/a.txt'), 'alice a');
    assert.equal((await req(srv, 'GET', `/api/trash?bucket=${ON}`, { token: alice.token })).body.files.length, 0);

    /* Purge: managers only; every version of the key goes. */
    assertError(await req(srv, 'POST', '/api/trash/purge', { token: bob.token, json: { bucket: ON, items: [{ key: 'team/b.txt', restoreId: bobs.restoreId }] } }), 403, 'forbidden');
    const p = await req(srv, 'POST', '/api/trash/purge', { token: manager.token, json: { bucket: ON, items: [{ key: 'team/b.txt', restoreId: bobs.restoreId }] } });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.body.purged, ['team/b.txt']);
    assert.equal((await versionsOf(peer, ON, 'team/b.txt')).length, 0);

    const a = await req(srv, 'GET', '/api/activity?action=trash.restore', { token: admin });
    assert.ok(a.body.entries.some((e: Json) => e.key === 'team/a.txt' && e.status === 'success'), a.text);
    const a2 = await req(srv, 'GET', '/api/activity?action=trash.purge', { token: admin });
    assert.ok(a2.body.entries.some((e: Json) => e.key === 'team/b.txt'), a2.text);
});

test('trash prefix: deletes move objects, hidden from listings, search and stats; restore a folder', async () => {
    await upload(srv, alice.token, BIN, 'team/docs/one.txt', 'one');
    await upload(srv, alice.token, BIN, 'team/docs/two.txt', 'two!');
    await upload(srv, bob.token, BIN, 'team/bob.txt', 'bob');
    await upload(srv, admin, BIN, 'team/keep.txt', 'kept');
    const before = await req(srv, 'GET', `/api/stats?bucket=${BIN}`, { token: admin });
    const d = await req(srv, 'POST', '/api/delete', { token: alice.token, json: { bucket: BIN, prefixes: ['team/docs/'] } });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.body.deleted.length, 2, d.text);
    assert.equal((await req(srv, 'DELETE', `/api/delete/team/bob.txt?bucket=${BIN}`, { token: bob.token })).status, 200);
    assert.equal(await exists(peer, BIN, 'team/docs/one.txt'), false);
    assert.equal((await keysUnder(BIN, '.trash/')).length, 3, 'the objects moved under the trash prefix');

    /* Hidden: the root listing, search, stats, direct reads. */
    const root = await req(srv, 'GET', `/api/list?bucket=${BIN}`, { token: admin });
    assert.equal(root.status, 200, root.text);
    assert.deepEqual(root.body.folders, ['team/']);
    const hidden = (await keysUnder(BIN, '.trash/'))[0]!;
    const s = await req(srv, 'GET', `/api/search?bucket=${BIN}&q=trash`, { token: admin });
    assert.equal(s.body.files.length, 0, s.text);
    const st = await req(srv, 'GET', `/api/stats?bucket=${BIN}`, { token: admin });
    assert.equal(st.body.objects, before.body.objects - 3, st.text);
    assertError(await req(srv, 'GET', `/api/object?bucket=${BIN}&key=${encodeURIComponent(hidden)}`, { token: admin }), 404, 'not_found');
    assertError(await req(srv, 'DELETE', `/api/delete/${hidden}?bucket=${BIN}`, { token: admin }), 404, 'not_found');

    /* Each user sees its own deletes. */
    const mine = await req(srv, 'GET', `/api/trash?bucket=${BIN}`, { token: alice.token });
    assert.deepEqual(mine.body.files.map((f: Json) => f.key).sort(), ['team/docs/one.txt', 'team/docs/two.txt']);
    assert.deepEqual((await req(srv, 'GET', `/api/trash?bucket=${BIN}`, { token: bob.token })).body.files.map((f: Json) => f.key), ['team/bob.txt']);
    assert.equal((await req(srv, 'GET', `/api/trash?bucket=${BIN}`, { token: admin })).body.files.length, 3);

    /* A whole folder back. */
    const r = await req(srv, 'POST', '/api/trash/restore', { token: alice.token, json: { bucket: BIN, prefix: 'team/docs/' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.restored.sort(), ['team/docs/one.txt', 'team/docs/two.txt']);
    assert.equal(await body(peer, BIN, 'team/docs/two.txt'), 'two!');
    assert.equal((await keysUnder(BIN, '.trash/')).length, 1);
    const again = await req(srv, 'GET', `/api/search?bucket=${BIN}&q=docs`, { token: admin });
    assert.equal(again.body.files.length, 2, 'restored files are searchable again');
});

test('nobody writes into the trash folder: uploads, copies, moves, renames and new folders there are refused', async () => {
    /* What lands there is purged at the retention: a file put there would be lost. */
    const f = new FormData();
    f.append('bucket', BIN);
    f.append('prefix', '.trash/');
    f.append('file', new Blob(['lost'], { type: 'text/plain' }), 'put-here.txt');
    const proxied = await fetch(`${srv.url}/api/upload`, { method: 'POST', body: f, headers: { authorization: `Bearer ${admin}` } });
    assert.equal(proxied.status, 403, await proxied.text());
    assertError(await req(srv, 'POST', '/api/uploads', { token: admin, json: { bucket: BIN, key: '.trash/direct.txt', size: 4, contentType: 'text/plain' } }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/folders', { token: admin, json: { bucket: BIN, prefix: '.trash/new/' } }), 403, 'forbidden');
    await upload(srv, admin, BIN, 'team/stays.txt', 'stays');
    assertError(await req(srv, 'POST', '/api/rename', { token: admin, json: { bucket: BIN, key: 'team/stays.txt', newKey: '.trash/stays.txt' } }), 403, 'forbidden');
    for (const move of [false, true]) {
        const c = await req(srv, 'POST', '/api/copy', { token: admin, json: { bucket: BIN, sources: ['team/stays.txt'], destinationBucket: BIN, destinationPrefix: '.trash/', move } });
        assert.equal(c.body.copied?.length ?? 0, 0, c.text);
        assert.ok(c.status === 403 || c.body.errors?.length === 1, c.text);
    }
    assert.equal(await body(peer, BIN, 'team/stays.txt'), 'stays', 'the source is untouched');
    assert.deepEqual((await keysUnder(BIN, '.trash/')).filter((k) => /put-here|direct|new\/|stays/.test(k)), [], 'nothing was written there');
    /* A bucket without a trash folder takes the same names as ordinary keys. */
    await upload(srv, admin, OFF, '.trash/ordinary.txt', 'fine');
});

test('a restore gives the file back to its uploader, not to whoever deleted it', async () => {
    await upload(srv, alice.token, ON, 'team/owned.txt', 'mine');
    await upload(srv, alice.token, BIN, 'team/owned.txt', 'mine too');
    for (const b of [ON, BIN]) {
        assert.equal((await req(srv, 'DELETE', `/api/delete/team/owned.txt?bucket=${b}`, { token: manager.token })).status, 200);
        const t = await req(srv, 'GET', `/api/trash?bucket=${b}&prefix=team/`, { token: manager.token });
        const item = t.body.files.find((f: Json) => f.key === 'team/owned.txt');
        assert.ok(item, t.text);
        assert.equal(item.deletedBy, manager.id);
        const r = await req(srv, 'POST', '/api/trash/restore', { token: manager.token, json: { bucket: b, items: [{ key: 'team/owned.txt', restoreId: item.restoreId }] } });
        assert.deepEqual(r.body.restored, ['team/owned.txt'], r.text);
        const s = await req(srv, 'GET', `/api/search?bucket=${b}&q=owned`, { token: admin });
        assert.equal(s.body.files[0]?.uploadedBy, alice.id, s.text);
        /* So Alice may still delete her own file, which Bob may not. */
        assertError(await req(srv, 'DELETE', `/api/delete/team/owned.txt?bucket=${b}`, { token: bob.token }), 403, 'forbidden');
        assert.equal((await req(srv, 'DELETE', `/api/delete/team/owned.txt?bucket=${b}`, { token: alice.token })).status, 200);
    }
});

test('the janitor purges the trash prefix after the retention', async () => {
    await upload(srv, admin, BIN, 'team/old.txt', 'old');
    assert.equal((await req(srv, 'DELETE', `/api/delete/team/old.txt?bucket=${BIN}`, { token: admin })).status, 200);
    assert.ok((await keysUnder(BIN, '.trash/')).length >= 1);
    await poll('the trash prefix emptied by the janitor', async () => ((await keysUnder(BIN, '.trash/')).length === 0 ? true : undefined), 20_000, 500);
    const t = await req(srv, 'GET', `/api/trash?bucket=${BIN}`, { token: admin });
    assert.equal(t.body.files.length, 0, t.text);
    const a = await req(srv, 'GET', '/api/activity?action=trash.expire', { token: admin });
    assert.ok(a.body.entries.length >= 1, a.text);
});

test('where nothing can be undone the bin is empty and says so', async () => {
    await upload(srv, admin, OFF, 'gone.txt', 'x');
    assert.equal((await req(srv, 'DELETE', `/api/delete/gone.txt?bucket=${OFF}`, { token: admin })).status, 200);
    const t = await req(srv, 'GET', `/api/trash?bucket=${OFF}`, { token: admin });
    assert.equal(t.status, 200, t.text);
    assert.equal(t.body.files.length, 0);
    assert.equal(t.body.mode, 'versions');
});
