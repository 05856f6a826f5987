/*
 * The webhook fed for real by Ceph RGW bucket notifications: an RGW topic
 * (its SNS-compatible API) pushes to Seau's POST /api/events/s3 with the
 * secret in the push endpoint's query (RGW 16 sends no header of its own,
 * and refuses credentials in the endpoint URL), the bucket notifies on
 * creations and removals, and objects are changed with the AWS SDK, as any
 * application would: WebSocket clients hear of it, the history and the
 * index follow, and Seau's own delete is not shown twice.
 */
import { CopyObjectCommand, DeleteObjectCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before } from 'node:test';

import { WsClient } from './events-ws.ts';
import { ADMIN, login, poll, req, sleep, startServer, test, type Json, type SeauServer } from './harness.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const SECRET = 'rgw-webhook-secret-0123456789';
const BUCKET = 'ev-rgw';
let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let topic = '';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (k: Buffer | string, s: string) => createHmac('sha256', k).update(s).digest();

/** One call of RGW's SNS-compatible API (query protocol), signed with SigV4. */
async function rgwSns(params: Record<string, string>): Promise<string> {
    const url = new URL(peer.endpoint);
    const body = new URLSearchParams(params).toString();
    const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    const hash = sha256(body);
    const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        host: url.host,
        'x-amz-content-sha256': hash,
        'x-amz-date': amzDate,
    };
    const names = Object.keys(headers).sort();
    const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), hash].join('\n');
    const scope = `${day}/${peer.region}/sns/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
    let key = hmac('AWS4' + peer.secretAccessKey, day);
    for (const part of [peer.region, 'sns', 'aws4_request'])
        key = hmac(key, part);
    const signature = createHmac('sha256', key).update(toSign).digest('hex');
    const r = await fetch(peer.endpoint + '/', {
        method: 'POST',
        headers: { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${peer.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` },
        body,
    });
    const text = await r.text();
    assert.equal(r.status, 200, `${params.Action}: ${text}`);
    return text;
}

async function history(q = ''): Promise<Json[]> {
    const r = await req(srv, 'GET', `/api/notifications${q}`, { token: admin });
    assert.equal(r.status, 200, r.text);
    return r.body.notifications;
}

async function searchKeys(q: string): Promise<string[]> {
    const r = await req(srv, 'GET', `/api/search?q=${encodeURIComponent(q)}`, { token: admin });
    assert.equal(r.status, 200, r.text);
    return r.body.files.map((f: Json) => f.key);
}

before(async () => {
    peer = await startRgw([BUCKET]);
    srv = await startServer({ env: { ...peer.seauEnv([BUCKET]), SEAU_WEBHOOK_SECRET: SECRET } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    /* One topic per server: RGW is shared between test files and runs. */
    topic = `seau-ev-${srv.port}`;
    const push = `${srv.url}/api/events/s3?token=${encodeURIComponent(SECRET)}`;
    const answer = await rgwSns({
        Action: 'CreateTopic',
        Name: topic,
        'Attributes.entry.1.key': 'push-endpoint',
        'Attributes.entry.1.value': push,
    });
    const arn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(answer)?.[1];
    assert.ok(arn, answer);
    await peer.client.send(new PutBucketNotificationConfigurationCommand({
        Bucket: BUCKET,
        NotificationConfiguration: {
            TopicConfigurations: [{ Id: 'seau', TopicArn: arn, Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'] }],
        },
    }));
});

after(async () => {
    if (!peer)
        return;
    await peer.client.send(new PutBucketNotificationConfigurationCommand({ Bucket: BUCKET, NotificationConfiguration: {} })).catch(() => undefined);
    if (topic)
        await rgwSns({ Action: 'DeleteTopic', TopicArn: `arn:aws:sns:default::${topic}` }).catch(() => undefined);
});

test('RGW pushes reach WebSocket clients, the history and the index', async () => {
    const c = await WsClient.connect(srv.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` });
    const key = 'docs/a b+c%/é 1.txt';
    await peer.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'hello rgw' }));
    const up = (await c.waitNotes(1, 'the upload pushed by RGW'))[0];
    assert.equal(up.type, 'upload');
    assert.deepEqual([up.metadata.bucket, up.metadata.key, up.metadata.fileSize, up.metadata.source], [BUCKET, key, 9, 's3']);
    assert.deepEqual(await searchKeys('b+c%'), [key]);
    await peer.client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'docs/copy.txt', CopySource: `${BUCKET}/${encodeURIComponent(key)}` }));
    const cp = (await c.waitNotes(2, 'the copy'))[1];
    assert.deepEqual([cp.type, cp.metadata.key], ['copy', 'docs/copy.txt']);
    await peer.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const del = (await c.waitNotes(3, 'the removal'))[2];
    assert.deepEqual([del.type, del.metadata.key, del.metadata.source], ['delete', key, 's3']);
    await poll('the index to forget it', async () => (await searchKeys('b+c%')).length === 0);
    assert.deepEqual((await history('?limit=3')).map((n: Json) => n.type), ['delete', 'copy', 'upload']);
    await c.close();
});

test('a delete made through Seau is shown once, though RGW reports it too', async () => {
    await peer.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'mine/own.txt', Body: 'x' }));
    await poll('the upload to arrive', async () => (await history('?limit=1'))[0]?.metadata.key === 'mine/own.txt');
    const c = await WsClient.connect(srv.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` });
    const merged = async () => {
        const r = await req(srv, 'GET', '/api/metrics');
        return Number(r.text.split('\n').find((l) => l.startsWith('seau_events_merged_total '))!.split(' ')[1]);
    };
    const before = await merged();
    const r = await req(srv, 'DELETE', '/api/delete/mine/own.txt?bucket=' + BUCKET, { token: admin });
    assert.equal(r.status, 200, r.text);
    /* RGW pushes while the DeleteObject call is answering, so its report usually comes first:
     * Seau's own notification then takes it over and is sent again under the same id. */
    await poll('the two to be merged', async () => (await merged()) === before + 1, 15_000, 100);
    await poll('Seau\'s notification', () => c.notes().some((x) => x.metadata.source === 'seau'));
    await sleep(300);
    const got = c.notes();
    assert.ok(got.length === 1 || got.length === 2, JSON.stringify(got));
    assert.equal(new Set(got.map((x) => x.id)).size, 1, 'one notification, sent once or completed once');
    const last = got[got.length - 1];
    assert.deepEqual([last.type, last.metadata.key, last.metadata.source, last.metadata.actor], ['delete', 'mine/own.txt', 'seau', ADMIN.email]);
    const h = (await history()).filter((x: Json) => x.metadata.key === 'mine/own.txt' && x.type === 'delete');
    assert.equal(h.length, 1);
    assert.deepEqual([h[0].id, h[0].metadata.source], [last.id, 'seau']);
    await c.close();
}, {
    /* Measured: radosgw 16.2.15 (Debian bookworm) aborts in its HTTP push endpoint
     * (RGWPubSubHTTPEndpoint::send_to_completion_async → rgw_http_req_data::async_wait)
     * during this scenario, hanging the DeleteObject and killing the RGW every other test
     * shares; with a persistent topic it aborts at once. The merge of Seau's own change with
     * the S3 report is covered with the webhook in events.test.ts. */
    skip: 'radosgw 16.2.15 aborts in its push endpoint here (see the comment)',
});

async function activity(q: string): Promise<Json[]> {
    const r = await req(srv, 'GET', `/api/activity?${q}`, { token: admin });
    assert.equal(r.status, 200, r.text);
    return r.body.entries;
}

test('changes made with other tools are in the audit log with the S3 principal and address', async () => {
    const key = 'audit/outside.txt';
    await peer.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'made elsewhere' }));
    const created = await poll('the creation audited', async () =>
        (await activity('action=s3.object.created&limit=50')).find((e: Json) => e.key === key), 15_000, 100);
    assert.equal(created.status, 'success');
    assert.equal(created.bucket, BUCKET);
    assert.match(created.userEmail, /^s3:.+/, 'actor s3:<principalId>');
    assert.equal(created.details.source, 's3');
    assert.match(created.details.event, /^ObjectCreated:/);
    assert.deepEqual(await searchKeys('outside'), [key]);
    await peer.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const removed = await poll('the removal audited', async () =>
        (await activity('action=s3.object.removed&limit=50')).find((e: Json) => e.key === key), 15_000, 100);
    assert.equal(removed.userEmail, created.userEmail);
});

/** An event as RGW would push it, sent straight to the webhook (forged or stale). */
function forged(key: string): Json {
    return {
        Records: [{
            eventVersion: '2.2', eventSource: 'ceph:s3', eventTime: new Date().toISOString(),
            eventName: 'ObjectCreated:Put', userIdentity: { principalId: 'mallory' },
            requestParameters: { sourceIPAddress: '203.0.113.9' },
            s3: { bucket: { name: BUCKET }, object: { key, size: 3, eTag: '0123456789abcdef0123456789abcdef', sequencer: '' } },
        }],
    };
}

test('an event for a key that does not exist, or breaks the key rules, is audited as rejected and not indexed', async () => {
    for (const key of ['forged/nothing-here.txt', 'forged/../escape.txt']) {
        const r = await req(srv, 'POST', '/api/events/s3', { json: forged(key), headers: { authorization: `Bearer ${SECRET}` } });
        assert.equal(r.status, 204, r.text);
        const e = (await activity('action=s3.object.created&limit=50')).find((x: Json) => x.key === key);
        assert.ok(e, `audit entry for ${key}`);
        assert.deepEqual([e.status, e.userEmail, e.ip], ['rejected', 's3:mallory', '203.0.113.9']);
        assert.ok(e.details.reason, JSON.stringify(e.details));
    }
    assert.deepEqual(await searchKeys('nothing-here'), []);
    assert.deepEqual(await searchKeys('escape'), []);
    assert.equal((await history('?limit=20')).filter((n: Json) => String(n.metadata.key).startsWith('forged/')).length, 0);
});
