/*
 * Versions (API.md "Versions, recycle bin, tags and metadata") on Ceph RGW:
 * bucket `vr-on` with versioning ON and `vr-off` without. Every effect is
 * checked with the AWS SDK, never through Seau alone.
 */
import { DeleteBucketLifecycleCommand, GetBucketLifecycleConfigurationCommand, GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, assertFields, login, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { body, enableVersioning, grantedUser, upload, versionsOf } from './recovery-common.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const ON = 'vr-on';
const OFF = 'vr-off';
const LATER = 'vr-later';
let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let adminId: number;
let user: { token: string; id: number };
let manager: { token: string; id: number };

before(async () => {
    peer = await startRgw([ON, OFF, LATER]);
    await enableVersioning(peer, ON);
    /* A shared RGW may keep the rule of an earlier run. */
    await peer.client.send(new DeleteBucketLifecycleCommand({ Bucket: LATER })).catch(() => undefined);
    srv = await startServer({ env: peer.seauEnv([ON, OFF, LATER]) });
    const s = await login(srv, ADMIN.email, ADMIN.password);
    admin = s.token;
    adminId = s.user.id;
    user = await grantedUser(srv, admin, 'vr-user@example.com', 'user', [{ bucket: ON, prefix: 'u/' }]);
    manager = await grantedUser(srv, admin, 'vr-manager@example.com', 'manager', [{ bucket: ON, prefix: '' }]);
});

test('buckets report versioning and how a delete can be undone', async () => {
    const r = await req(srv, 'GET', '/api/buckets', { token: admin });
    assert.equal(r.status, 200, r.text);
    const on = r.body.buckets.find((b: Json) => b.name === ON);
    const off = r.body.buckets.find((b: Json) => b.name === OFF);
    assert.equal(on.versioning, 'enabled');
    assert.equal(on.recoverable, 'versions');
    assert.equal(off.versioning, 'off');
    assert.equal(off.recoverable, null);
});

test('versions are listed newest first with their uploader, downloaded and restored', async () => {
    await upload(srv, admin, ON, 'doc/report.txt', 'first');
    await new Promise((r) => setTimeout(r, 1100));
    await upload(srv, manager.token, ON, 'doc/report.txt', 'second');
    const r = await req(srv, 'GET', `/api/versions?bucket=${ON}&key=doc/report.txt`, { token: admin });
    assert.equal(r.status, 200, r.text);
    const vs = r.body.versions;
    assert.equal(vs.length, 2, r.text);
    assert.equal(vs[0].isLatest, true);
    assert.equal(vs[0].isDeleteMarker, false);
    assert.equal(vs[0].size, 6);
    assert.equal(vs[1].size, 5);
    assert.equal(vs[0].uploadedBy, manager.id, 'the latest: from the index');
    assert.equal(vs[1].uploadedBy, adminId, 'an older one: from the audit log');
    assert.equal(r.body.nextCursor, null);
    const s3v = await versionsOf(peer, ON, 'doc/report.txt');
    assert.deepEqual(vs.map((v: Json) => v.versionId).sort(), s3v.map((v) => v.VersionId).sort());

    /* Paging: one a page. */
    const p1 = await req(srv, 'GET', `/api/versions?bucket=${ON}&key=doc/report.txt&limit=1`, { token: admin });
    assert.equal(p1.body.versions.length, 1);
    assert.ok(p1.body.nextCursor);
    const p2 = await req(srv, 'GET', `/api/versions?bucket=${ON}&key=doc/report.txt&limit=1&cursor=${encodeURIComponent(p1.body.nextCursor)}`, { token: admin });
    assert.equal(p2.status, 200, p2.text);
    assert.equal(p2.body.versions[0].versionId, vs[1].versionId);
    assertFields(await req(srv, 'GET', `/api/versions?bucket=${ON}&key=doc/report.txt&cursor=nope`, { token: admin }), ['cursor']);

    /* Download of the old version, in proxy-free redirect mode: the presigned URL names it. */
    const d = await req(srv, 'GET', `/api/download?bucket=${ON}&key=doc/report.txt&versionId=${encodeURIComponent(vs[1].versionId)}`, { token: admin });
    assert.equal(d.status, 302, d.text);
    const got = await fetch(d.headers.get('location')!);
    assert.equal(await got.text(), 'first');

    /* Restore: the old version becomes the latest; the replaced one stays. */
    const rs = await req(srv, 'POST', '/api/versions/restore', { token: manager.token, json: { bucket: ON, key: 'doc/report.txt', versionId: vs[1].versionId } });
    assert.equal(rs.status, 200, rs.text);
    assert.equal(rs.body.file.size, 5);
    assert.equal(await body(peer, ON, 'doc/report.txt'), 'first');
    const after = await versionsOf(peer, ON, 'doc/report.txt');
    assert.equal(after.length, 3);
    assert.ok(after.some((v) => v.VersionId === vs[0].versionId), 'the replaced version stays');

    const a = await req(srv, 'GET', '/api/activity?action=version.restore', { token: admin });
    const e = a.body.entries.find((x: Json) => x.key === 'doc/report.txt');
    assert.ok(e, a.text);
    assert.equal(e.status, 'success');
});

test('restore is refused for a delete marker, an unknown version, and others\' files for a user', async () => {
    await upload(srv, admin, ON, 'u/admins.txt', 'admin wrote');
    const vs = (await req(srv, 'GET', `/api/versions?bucket=${ON}&key=u/admins.txt`, { token: admin })).body.versions;
    assertError(await req(srv, 'POST', '/api/versions/restore', { token: user.token, json: { bucket: ON, key: 'u/admins.txt', versionId: vs[0].versionId } }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/versions/restore', { token: user.token, json: { bucket: ON, key: 'doc/report.txt', versionId: vs[0].versionId } }), 404, 'not_found');
    await upload(srv, user.token, ON, 'u/mine.txt', 'v1');
    await upload(srv, user.token, ON, 'u/mine.txt', 'v22');
    const mine = (await req(srv, 'GET', `/api/versions?bucket=${ON}&key=u/mine.txt`, { token: user.token })).body.versions;
    const ok = await req(srv, 'POST', '/api/versions/restore', { token: user.token, json: { bucket: ON, key: 'u/mine.txt', versionId: mine[1].versionId } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(await body(peer, ON, 'u/mine.txt'), 'v1');
    assert.equal(ok.body.file.uploadedBy, user.id, 'ownership stays');

    const del = await req(srv, 'DELETE', `/api/delete/u/mine.txt?bucket=${ON}`, { token: user.token });
    assert.equal(del.status, 200, del.text);
    const withMarker = (await req(srv, 'GET', `/api/versions?bucket=${ON}&key=u/mine.txt`, { token: user.token })).body.versions;
    assert.equal(withMarker[0].isDeleteMarker, true);
    assertFields(await req(srv, 'POST', '/api/versions/restore', { token: admin, json: { bucket: ON, key: 'u/mine.txt', versionId: withMarker[0].versionId } }), ['versionId']);
    assertFields(await req(srv, 'POST', '/api/versions/restore', { token: admin, json: { bucket: ON, key: 'u/mine.txt' } }), ['versionId']);
});

test('only an admin deletes a single version', async () => {
    await upload(srv, admin, ON, 'doc/two.txt', 'one');
    await upload(srv, admin, ON, 'doc/two.txt', 'two');
    const vs = (await req(srv, 'GET', `/api/versions?bucket=${ON}&key=doc/two.txt`, { token: admin })).body.versions;
    const q = `/api/versions?bucket=${ON}&key=doc/two.txt&versionId=${encodeURIComponent(vs[1].versionId)}`;
    assertError(await req(srv, 'DELETE', q, { token: manager.token }), 403, 'forbidden');
    assertError(await req(srv, 'DELETE', q, { token: user.token }), 403, 'forbidden');
    assert.equal((await versionsOf(peer, ON, 'doc/two.txt')).length, 2);
    const r = await req(srv, 'DELETE', q, { token: admin });
    assert.equal(r.status, 200, r.text);
    const left = await versionsOf(peer, ON, 'doc/two.txt');
    assert.equal(left.length, 1);
    assert.equal(left[0].VersionId, vs[0].versionId);
    assert.equal(await body(peer, ON, 'doc/two.txt'), 'two');
    const a = await req(srv, 'GET', '/api/activity?action=version.delete', { token: admin });
    assert.ok(a.body.entries.some((x: Json) => x.key === 'doc/two.txt' && x.status === 'success'), a.text);
});

test('without versioning a key has one version and nothing to restore', async () => {
    await upload(srv, admin, OFF, 'plain.txt', 'a');
    await upload(srv, admin, OFF, 'plain.txt', 'bb');
    const r = await req(srv, 'GET', `/api/versions?bucket=${OFF}&key=plain.txt`, { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.versions.length, 1);
    assert.equal(r.body.versions[0].size, 2);
});

test('an admin turns versioning on, the lifecycle rule only when asked', async () => {
    assertError(await req(srv, 'PUT', '/api/buckets/versioning', { token: manager.token, json: { bucket: LATER, enabled: true } }), 403, 'forbidden');
    const r = await req(srv, 'PUT', '/api/buckets/versioning', { token: admin, json: { bucket: LATER, enabled: true } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.lifecycle, null);
    const v = await peer.client.send(new GetBucketVersioningCommand({ Bucket: LATER }));
    assert.equal(v.Status, 'Enabled');
    await assert.rejects(peer.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: LATER })), 'no rule was set silently');

    const r2 = await req(srv, 'PUT', '/api/buckets/versioning', { token: admin, json: { bucket: LATER, enabled: true, noncurrentDays: 30 } });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.body.lifecycle.noncurrentDays, 30);
    const lc = await peer.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: LATER }));
    assert.equal(lc.Rules?.length, 1);
    assert.equal(lc.Rules?.[0]?.NoncurrentVersionExpiration?.NoncurrentDays, 30);
    assertFields(await req(srv, 'PUT', '/api/buckets/versioning', { token: admin, json: { bucket: LATER, noncurrentDays: 0 } }), ['noncurrentDays']);
    const b = await req(srv, 'GET', '/api/buckets', { token: admin });
    assert.equal(b.body.buckets.find((x: Json) => x.name === LATER).recoverable, 'versions');
});
