/*
 * Real-time events (API.md "Notifications and activity"): the webhook fed
 * with MinIO-shaped S3 events, what WebSocket clients of different users
 * receive, the history and its filters, replay with ?since=, a slow client
 * closed with 1008, Seau's own deletes and user changes published (and the
 * S3 echo of a delete merged), WebSocket authentication and CSRF, metrics,
 * and close frames at shutdown. Objects live in s3rver; every effect on the
 * index is checked through GET /api/search (the index's own reader).
 * SQS (fauxqs) and Ceph RGW's own notifications have their own files.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { WsClient } from './events-ws.ts';
import {
    ADMIN,
    assertError,
    assertFields,
    createUser,
    login,
    poll,
    req,
    sleep,
    startServer,
    test,
    type Json,
    type SeauServer,
} from './harness.ts';
import { startS3rver, type S3Peer } from './s3peer.ts';

const SECRET = 'events-webhook-secret-0123456789';
const PASSWORD = 'user-password-0123456789';
let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let alice: string; /* user, granted ev-a:team/ */
let aliceId: number;
let mgr: string; /* manager, granted ev-a */
let seq = 0x1000;

/** MinIO's key encoding: Go's url.QueryEscape (spaces as '+'). */
function queryEscape(key: string): string {
    return encodeURIComponent(key).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** One record as MinIO's webhook target sends it. */
function minioRecord(name: string, bucket: string, key: string, opts: { size?: number; etag?: string; sequencer?: string } = {}): Json {
    const object: Json = { key: queryEscape(key), sequencer: opts.sequencer ?? (seq++).toString(16).toUpperCase().padStart(16, '0') };
    if (opts.size !== undefined)
        object.size = opts.size;
    if (opts.etag)
        object.eTag = opts.etag;
    return {
        eventVersion: '2.0',
        eventSource: 'minio:s3',
        awsRegion: '',
        eventTime: new Date().toISOString(),
        eventName: `s3:${name}`,
        userIdentity: { principalId: 'minio' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        s3: { s3SchemaVersion: '1.0', configurationId: 'Config', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object },
    };
}

function minioBody(records: Json[]): Json {
    const r = records[0];
    return { EventName: r?.eventName, Key: r ? `${r.s3.bucket.name}/${r.s3.object.key}` : '', Records: records };
}

async function hook(body: Json, token: string | null = SECRET, server: SeauServer = srv) {
    return req(server, 'POST', '/api/events/s3', { json: body, token: token ?? undefined });
}

async function ws(token: string, query = ''): Promise<WsClient> {
    return WsClient.connect(srv.port, `/api/notifications/ws${query}`, { Authorization: `Bearer ${token}` });
}

async function history(token: string, query = ''): Promise<Json[]> {
    const r = await req(srv, 'GET', `/api/notifications${query}`, { token });
    assert.equal(r.status, 200, r.text);
    return r.body.notifications;
}

async function metric(name: string): Promise<number> {
    const r = await req(srv, 'GET', '/api/metrics');
    const line = r.text.split('\n').find((l) => l.startsWith(name + ' '));
    return line ? Number(line.split(' ').pop()) : NaN;
}

async function metricLine(prefix: string): Promise<number> {
    const r = await req(srv, 'GET', '/api/metrics');
    const line = r.text.split('\n').find((l) => l.startsWith(prefix));
    return line ? Number(line.split(' ').pop()) : NaN;
}

async function searchKeys(token: string, q: string): Promise<string[]> {
    const r = await req(srv, 'GET', `/api/search?q=${encodeURIComponent(q)}`, { token });
    assert.equal(r.status, 200, r.text);
    return r.body.files.map((f: Json) => f.key);
}

before(async () => {
    peer = await startS3rver(['ev-a', 'ev-b']);
    /* The events here are written by hand and name objects that were never stored: Seau must
     * take them as they come (events-rgw.test.ts tests the check of real ones). */
    srv = await startServer({ env: { ...peer.seauEnv(['ev-a', 'ev-b']), SEAU_WEBHOOK_SECRET: SECRET, SEAU_EVENTS_VERIFY: 'false' } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const a = await createUser(srv, admin, { email: 'alice@example.com', password: PASSWORD, role: 'user' });
    aliceId = a.id;
    let r = await req(srv, 'PUT', `/api/users/${a.id}/grants`, { token: admin, json: { grants: [{ bucket: 'ev-a', prefix: 'team/' }] } });
    assert.equal(r.status, 200, r.text);
    alice = (await login(srv, 'alice@example.com', PASSWORD)).token;
    const m = await createUser(srv, admin, { email: 'mgr@example.com', password: PASSWORD, role: 'manager' });
    r = await req(srv, 'PUT', `/api/users/${m.id}/grants`, { token: admin, json: { grants: [{ bucket: 'ev-a', prefix: '' }] } });
    assert.equal(r.status, 200, r.text);
    mgr = (await login(srv, 'mgr@example.com', PASSWORD)).token;
});

test('the webhook takes only its secret and S3 event JSON', async () => {
    const body = minioBody([minioRecord('ObjectCreated:Put', 'ev-a', 'auth/x', { size: 1 })]);
    assertError(await hook(body, null), 401, 'unauthorized');
    assertError(await hook(body, 'wrong-secret-0123456789'), 401, 'unauthorized');
    assertError(await req(srv, 'POST', '/api/events/s3?token=nope', { json: body }), 401, 'unauthorized');
    /* A prefix of the secret is not the secret. */
    assertError(await hook(body, SECRET.slice(0, -1)), 401, 'unauthorized');
    assertError(await req(srv, 'POST', '/api/events/s3', { token: SECRET, body: 'not json', headers: { 'content-type': 'application/json' } }), 400, 'bad_request');
    assertError(await req(srv, 'POST', '/api/events/s3', { token: SECRET, body: JSON.stringify(body), headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    assertError(await hook({ hello: 'world' }), 400, 'bad_request');
    assertError(await hook({ Records: [{ eventSource: 'minio:s3', eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'ev-a' }, object: { key: '' } } }] }), 400, 'bad_request');
    const big = 'x'.repeat(1024 * 1024);
    assertError(await req(srv, 'POST', '/api/events/s3', { token: SECRET, json: { Records: [], pad: big } }), 413, 'payload_too_large');
    assertError(await req(srv, 'GET', '/api/events/s3', { token: SECRET }), 405, 'method_not_allowed');
    /* The secret in the query (Ceph RGW cannot send headers) and as a Bearer token both work. */
    let r = await req(srv, 'POST', `/api/events/s3?token=${encodeURIComponent(SECRET)}`, { json: { Records: [] } });
    assert.equal(r.status, 204, r.text);
    r = await hook(body);
    assert.equal(r.status, 204, r.text);
    /* Without a configured secret the webhook does not exist. */
    const off = await startServer({ env: peer.seauEnv(['ev-a']) });
    assertError(await hook(body, SECRET, off), 404, 'not_found');
    await off.stop();
});

test('MinIO events reach the clients allowed to see them, the history and the index', async () => {
    const wa = await ws(admin);
    const wu = await WsClient.connect(srv.port, `/api/notifications/ws?token=${alice}`);
    const wm = await WsClient.connect(srv.port, '/api/notifications/ws', { Cookie: `seau_session=${mgr}`, Origin: srv.origin });
    const before = wa.messages.length;
    let r = await hook(minioBody([
        minioRecord('ObjectCreated:Put', 'ev-a', 'team/report 1+2 é.pdf', { size: 1234, etag: '0123abcd' }),
        minioRecord('ObjectCreated:CompleteMultipartUpload', 'ev-a', 'private/x.txt', { size: 5 }),
        minioRecord('ObjectCreated:Copy', 'ev-b', 'team/y.txt', { size: 7 }),
    ]));
    assert.equal(r.status, 204, r.text);
    const got = (await wa.waitNotes(before + 3)).slice(before);
    assert.deepEqual(got.map((n) => [n.type, n.metadata.bucket, n.metadata.key]), [
        ['upload', 'ev-a', 'team/report 1+2 é.pdf'],
        ['upload', 'ev-a', 'private/x.txt'],
        ['copy', 'ev-b', 'team/y.txt'],
    ]);
    const n = got[0];
    assert.equal(typeof n.id, 'number');
    assert.match(n.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof n.message, 'string');
    assert.deepEqual(n.metadata, { bucket: 'ev-a', key: 'team/report 1+2 é.pdf', fileName: 'report 1+2 é.pdf', fileSize: 1234, actor: 'minio', source: 's3' });
    /* alice sees her prefix only; the manager the whole of ev-a; both in order. */
    assert.deepEqual((await wu.waitNotes(1)).map((x) => x.id), [n.id]);
    assert.deepEqual((await wm.waitNotes(2)).map((x) => x.id), [got[0].id, got[1].id]);
    await sleep(300);
    assert.equal(wu.messages.length, 1, 'alice must not receive what she may not see');
    assert.equal(wm.messages.length, 2);

    /* The history says the same, per caller. */
    assert.deepEqual((await history(alice)).map((x: Json) => x.id).slice(0, 1), [n.id]);
    assert.ok(!(await history(alice)).some((x: Json) => x.metadata.key === 'private/x.txt'));
    assert.deepEqual((await history(admin, '?limit=3')).map((x: Json) => x.id), got.map((x) => x.id).reverse());
    /* The index: search finds the new object, with its size, for those who may see it. */
    assert.deepEqual(await searchKeys(alice, 'report 1+2'), ['team/report 1+2 é.pdf']);
    const s = await req(srv, 'GET', `/api/search?q=${encodeURIComponent('report 1+2')}`, { token: alice });
    assert.equal(s.body.files[0].size, 1234);
    assert.deepEqual(await searchKeys(alice, 'x.txt'), []);

    /* Deleted outside Seau: the index forgets it, clients hear of it. */
    r = await hook(minioBody([minioRecord('ObjectRemoved:Delete', 'ev-a', 'team/report 1+2 é.pdf')]));
    assert.equal(r.status, 204, r.text);
    const del = (await wu.waitNotes(2))[1];
    assert.equal(del.type, 'delete');
    assert.equal(del.metadata.fileSize, null);
    assert.deepEqual(await searchKeys(alice, 'report 1+2'), []);
    for (const c of [wa, wu, wm])
        await c.close();
});

test('duplicates are dropped and the S3 echo of a change Seau made is merged into it', async () => {
    const wa = await ws(admin);
    /* S3 delivers at least once: the same record (bucket, key, sequencer) twice is one notification. */
    const dup = minioRecord('ObjectCreated:Put', 'ev-a', 'team/dup.bin', { size: 3, sequencer: '00000000000F0001' });
    const dupsBefore = await metric('seau_events_duplicates_total');
    assert.equal((await hook(minioBody([dup]))).status, 204);
    assert.equal((await hook(minioBody([dup]))).status, 204);
    await wa.waitNotes(1);
    assert.equal(await metric('seau_events_duplicates_total'), dupsBefore + 1);

    /* Seau deletes an object: one notification from Seau, and the bucket's own event merges. */
    await peer.client.send(new PutObjectCommand({ Bucket: 'ev-a', Key: 'team/own.txt', Body: 'own' }));
    const r = await req(srv, 'DELETE', '/api/delete/team/own.txt?bucket=ev-a', { token: admin });
    assert.equal(r.status, 200, r.text);
    const mine = (await wa.waitNotes(2))[1];
    assert.equal(mine.type, 'delete');
    assert.deepEqual([mine.metadata.key, mine.metadata.source, mine.metadata.actor], ['team/own.txt', 'seau', ADMIN.email]);
    const mergedBefore = await metric('seau_events_merged_total');
    assert.equal((await hook(minioBody([minioRecord('ObjectRemoved:Delete', 'ev-a', 'team/own.txt')]))).status, 204);
    await poll('the echo to be merged', async () => (await metric('seau_events_merged_total')) === mergedBefore + 1);
    await sleep(300);
    assert.equal(wa.messages.length, 2, 'the echo must not be shown again');
    const own = (await history(admin)).filter((x: Json) => x.metadata.key === 'team/own.txt');
    assert.equal(own.length, 1);
    assert.equal(own[0].metadata.source, 'seau');
    /* A bulk delete publishes every key. */
    for (const k of ['team/b1', 'team/b2'])
        await peer.client.send(new PutObjectCommand({ Bucket: 'ev-a', Key: k, Body: k }));
    const bulk = await req(srv, 'POST', '/api/delete', { token: admin, json: { bucket: 'ev-a', keys: ['team/b1', 'team/b2'] } });
    assert.equal(bulk.status, 200, bulk.text);
    const last = (await wa.waitNotes(4)).slice(2);
    assert.deepEqual(last.map((x) => [x.type, x.metadata.key]).sort(), [['delete', 'team/b1'], ['delete', 'team/b2']]);
    await wa.close();
});

test('history: limit, cursor, type, since (id or time), and refused parameters', async () => {
    const t0 = new Date(Date.now() - 1000).toISOString();
    const keys = ['h/1', 'h/2', 'h/3', 'h/4', 'h/5'];
    assert.equal((await hook(minioBody(keys.map((k) => minioRecord('ObjectCreated:Put', 'ev-b', k, { size: 1 }))))).status, 204);
    assert.equal((await hook(minioBody([minioRecord('ObjectRemoved:Delete', 'ev-b', 'h/1')]))).status, 204);
    const all = await history(admin, '?limit=1000');
    const mine = all.filter((x: Json) => x.metadata.key?.startsWith('h/'));
    assert.equal(mine.length, 6);
    /* Newest first, paged by an opaque cursor. */
    const r1 = await req(srv, 'GET', '/api/notifications?limit=2', { token: admin });
    assert.equal(r1.body.notifications.length, 2);
    assert.equal(typeof r1.body.nextCursor, 'string');
    assert.ok(r1.body.notifications[0].id > r1.body.notifications[1].id);
    const r2 = await req(srv, 'GET', `/api/notifications?limit=2&cursor=${r1.body.nextCursor}`, { token: admin });
    assert.ok(r2.body.notifications[0].id < r1.body.notifications[1].id);
    const end = await req(srv, 'GET', `/api/notifications?limit=1000`, { token: admin });
    assert.equal(end.body.nextCursor, null);
    const dels = await history(admin, '?type=delete&limit=1000');
    assert.ok(dels.length >= 1 && dels.every((x: Json) => x.type === 'delete'));
    const sinceId = mine[2].id; /* the third newest of ours */
    const after = await history(admin, `?since=${sinceId}`);
    assert.deepEqual(after.map((x: Json) => x.id), mine.slice(0, 2).map((x: Json) => x.id));
    const byTime = await history(admin, `?since=${encodeURIComponent(t0)}&limit=1000`);
    assert.ok(byTime.length >= 6 && byTime.length < all.length + 1);
    assert.equal((await history(admin, `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length, 0);
    assertFields(await req(srv, 'GET', '/api/notifications?limit=0', { token: admin }), ['limit']);
    assertFields(await req(srv, 'GET', '/api/notifications?limit=1001', { token: admin }), ['limit']);
    assertFields(await req(srv, 'GET', '/api/notifications?type=nope', { token: admin }), ['type']);
    assertFields(await req(srv, 'GET', '/api/notifications?since=yesterday', { token: admin }), ['since']);
    assertFields(await req(srv, 'GET', '/api/notifications?cursor=bad', { token: admin }), ['cursor']);
    assertError(await req(srv, 'GET', '/api/notifications'), 401, 'unauthorized');
});

test('replay with since, then live, each notification once and in order', async () => {
    assert.equal((await hook(minioBody(['r/1', 'r/2', 'r/3'].map((k) => minioRecord('ObjectCreated:Put', 'ev-b', k, { size: 1 }))))).status, 204);
    const h = (await history(admin, '?limit=3')).reverse();
    assert.deepEqual(h.map((x: Json) => x.metadata.key), ['r/1', 'r/2', 'r/3']);
    const c = await ws(admin, `?since=${h[0].id}`);
    const replayed = await c.waitNotes(2);
    assert.deepEqual(replayed.map((x) => x.id), [h[1].id, h[2].id]);
    assert.equal((await hook(minioBody([minioRecord('ObjectCreated:Put', 'ev-b', 'r/4', { size: 1 })]))).status, 204);
    const all = await c.waitNotes(3);
    assert.equal(all[2].metadata.key, 'r/4');
    await sleep(200);
    assert.equal(c.messages.length, 3);
    /* alice replays only what she may see: nothing of ev-b. */
    const u = await WsClient.connect(srv.port, `/api/notifications/ws?token=${alice}&since=${h[0].id}`);
    await sleep(300);
    assert.equal(u.messages.length, 0);
    await c.close();
    await u.close();
    /* since must be an id. */
    const bad = await WsClient.open(srv.port, '/api/notifications/ws?since=soon', { Authorization: `Bearer ${admin}` });
    assert.ok(!(bad instanceof WsClient) && bad.status === 400, JSON.stringify(bad));
});

test('a slow client is closed with 1008 while the others keep receiving', async () => {
    const slow = await ws(admin);
    const fast = await ws(admin);
    slow.pause(); /* stops reading: the kernel buffers fill, then its queue in Seau */
    const droppedBefore = await metric('seau_websocket_slow_clients_dropped_total');
    const long = 'slow/' + 'k'.repeat(900);
    let sent = 0;
    for (let batch = 0; batch < 40; batch++) {
        const recs = [];
        for (let i = 0; i < 100; i++)
            recs.push(minioRecord('ObjectCreated:Put', 'ev-b', `${long}/${sent++}`, { size: 1 }));
        assert.equal((await hook(minioBody(recs))).status, 204);
        await fast.waitNotes(sent, `the fast client to get ${sent}`);
        if ((await metric('seau_websocket_slow_clients_dropped_total')) > droppedBefore)
            break;
    }
    assert.equal(await metric('seau_websocket_slow_clients_dropped_total'), droppedBefore + 1);
    slow.resume();
    assert.equal(await slow.waitClose(), 1008);
    assert.ok(slow.messages.length > 0 && slow.messages.length < sent, `the slow one got ${slow.messages.length} of ${sent}`);
    /* The fast one still receives. */
    assert.equal((await hook(minioBody([minioRecord('ObjectCreated:Put', 'ev-b', 'slow/after', { size: 1 })]))).status, 204);
    const got = await fast.waitNotes(sent + 1);
    assert.equal(got[sent].metadata.key, 'slow/after');
    await fast.close();
});

test('WebSocket: authentication, CSRF and handshake checks', async () => {
    const open = (path: string, headers: Record<string, string> = {}) => WsClient.open(srv.port, path, headers);
    const refused = async (path: string, headers: Record<string, string>, status: number, code: string) => {
        const r = await open(path, headers);
        assert.ok(!(r instanceof WsClient), `${path} must be refused`);
        assert.equal(r.status, status, r.body);
        assert.equal(JSON.parse(r.body).error.code, code, r.body);
    };
    await refused('/api/notifications/ws', {}, 401, 'unauthorized');
    await refused('/api/notifications/ws?token=nope', {}, 401, 'unauthorized');
    await refused('/api/notifications/ws', { Cookie: `seau_session=${mgr}`, Origin: 'https://evil.example' }, 403, 'csrf_rejected');
    await refused('/api/notifications/ws', { Cookie: `seau_session=${mgr}` }, 403, 'csrf_rejected');
    await refused('/api/notifications/ws', { Cookie: `seau_session=${mgr}`, 'Sec-Fetch-Site': 'cross-site', Origin: srv.origin }, 403, 'csrf_rejected');
    /* ?token= only on this route. */
    assertError(await req(srv, 'GET', `/api/notifications?token=${admin}`), 401, 'unauthorized');
    /* A plain GET is not an upgrade; a wrong version names the one spoken. */
    assertError(await req(srv, 'GET', '/api/notifications/ws', { token: admin }), 400, 'bad_request');
    const r = await req(srv, 'GET', '/api/notifications/ws', { token: admin, headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '8' } }).catch(() => null);
    if (r) {
        assertError(r, 400, 'bad_request');
        assert.equal(r.headers.get('sec-websocket-version'), '13');
    }
    const ok = await WsClient.connect(srv.port, '/api/notifications/ws', { Cookie: `seau_session=${mgr}`, Origin: srv.origin });
    await ok.close();
});

test('user changes are published to admins and managers, and close the changed account\'s sockets', async () => {
    const wa = await ws(admin);
    const wm = await ws(mgr);
    const wu = await WsClient.connect(srv.port, `/api/notifications/ws?token=${alice}`);
    const r = await req(srv, 'PUT', `/api/users/${aliceId}/grants`, { token: admin, json: { grants: [{ bucket: 'ev-a', prefix: 'team/' }, { bucket: 'ev-b', prefix: '' }] } });
    assert.equal(r.status, 200, r.text);
    const n = (await wa.waitNotes(1))[0];
    assert.equal(n.type, 'user');
    assert.match(n.message, /changed the grants/);
    assert.deepEqual([n.metadata.bucket, n.metadata.key, n.metadata.actor], [null, null, ADMIN.email]);
    assert.equal((await wm.waitNotes(1))[0].id, n.id);
    /* alice's socket closes so that she reconnects with her new grants; she never sees user events. */
    assert.equal(await wu.waitClose(), 1008);
    assert.equal(wu.messages.length, 0);
    const again = await WsClient.connect(srv.port, `/api/notifications/ws?token=${alice}`);
    assert.equal((await hook(minioBody([minioRecord('ObjectCreated:Put', 'ev-b', 'granted/now', { size: 1 })]))).status, 204);
    assert.equal((await again.waitNotes(1))[0].metadata.key, 'granted/now');
    const created = await createUser(srv, admin, { email: 'carol@example.com', password: PASSWORD, role: 'user' });
    const c = (await wa.waitNotes(3))[2];
    assert.match(c.message, /created the account carol@example\.com/);
    assert.equal((await req(srv, 'DELETE', `/api/users/${created.id}`, { token: admin })).status, 204);
    assert.match((await wa.waitNotes(4))[3].message, /deleted the account/);
    assert.ok(!(await history(alice, '?limit=1000')).some((x: Json) => x.type === 'user'));
    for (const x of [wa, wm, again])
        await x.close();
});

test('metrics and readiness show the events', async () => {
    const c = await ws(admin);
    await poll('the client to be counted', async () => (await metric('seau_websocket_clients')) >= 1);
    assert.ok((await metricLine('seau_events_received_total{source="webhook"}')) > 0);
    assert.ok((await metricLine('seau_events_received_total{source="seau"}')) > 0);
    assert.ok((await metric('seau_notifications_stored_total')) > 0);
    assert.ok((await metric('seau_websocket_messages_sent_total')) > 0);
    const ready = await req(srv, 'GET', '/api/ready');
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.body.checks.sqs, 'not_configured');
    await c.close();
});

test('at shutdown every WebSocket gets a close frame (1001) and the server exits cleanly', async () => {
    const s2 = await startServer({ env: { ...peer.seauEnv(['ev-a']), SEAU_WEBHOOK_SECRET: SECRET } });
    const t = (await login(s2, ADMIN.email, ADMIN.password)).token;
    const clients: WsClient[] = [];
    for (let i = 0; i < 20; i++)
        clients.push(await WsClient.connect(s2.port, '/api/notifications/ws', { Authorization: `Bearer ${t}` }));
    const started = Date.now();
    await s2.stop();
    assert.ok(Date.now() - started < 10_000);
    for (const c of clients) {
        await c.waitClose();
        assert.equal(c.closeCode, 1001);
    }
});
