/*
 * The SQS consumer against fauxqs as SNS and SQS (tests/peers): a topic and
 * a queue (with a dead-letter queue) subscribed to it, S3 event
 * notifications in AWS's documented shape sent to the queue directly and
 * published through the topic (SNS envelope), create and delete, a
 * duplicate, an s3:TestEvent, a malformed message; what WebSocket clients
 * of different users receive, what the history and the index say, what
 * stays in the queues; and SQS unreachable, then back.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before } from 'node:test';

import { WsClient } from './events-ws.ts';
import {
    ADMIN,
    HERE,
    createUser,
    freePort,
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

const PASSWORD = 'user-password-0123456789';
let fauxqs: ChildProcess | null = null;
let sqsPort = 0;
let endpoint = '';
let queueUrl = '';
let dlqUrl = '';
let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let bob: string; /* user, granted sq-a:bob/ */
let seq = 0x2000;

async function startFauxqs(port: number): Promise<void> {
    const p = spawn(process.execPath, [path.resolve(HERE, '../peers/fauxqs-loopback.mjs')], {
        env: { ...process.env, FAUXQS_PORT: String(port) },
        stdio: 'ignore',
    });
    fauxqs = p;
    await poll('fauxqs to answer', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 15_000, 50);
}

function stopFauxqs(): Promise<void> {
    const p = fauxqs;
    fauxqs = null;
    if (!p || p.exitCode !== null)
        return Promise.resolve();
    return new Promise((resolve) => {
        p.once('close', () => resolve());
        p.kill('SIGTERM');
    });
}

/** One SQS call in the AWS JSON protocol (fauxqs checks no signature). */
async function sqs(action: string, body: Json): Promise<Json> {
    const r = await fetch(endpoint + '/', {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
        body: JSON.stringify(body),
    });
    const text = await r.text();
    assert.equal(r.status, 200, `${action}: ${text}`);
    return text ? JSON.parse(text) : {};
}

/** One SNS call in the query protocol; returns the XML answer. */
async function sns(params: Record<string, string>): Promise<string> {
    const r = await fetch(endpoint + '/', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
    });
    const text = await r.text();
    assert.equal(r.status, 200, `${params.Action}: ${text}`);
    return text;
}

/** Creates the queues, the topic and the subscription (again after a restart of fauxqs). */
async function createQueues(): Promise<void> {
    dlqUrl = (await sqs('CreateQueue', { QueueName: 'ev-dlq' })).QueueUrl;
    const dlqArn = (await sqs('GetQueueAttributes', { QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })).Attributes.QueueArn;
    queueUrl = (await sqs('CreateQueue', {
        QueueName: 'ev-events',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '2' }) },
    })).QueueUrl;
    const queueArn = (await sqs('GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })).Attributes.QueueArn;
    const topic = /<TopicArn>([^<]+)<\/TopicArn>/.exec(await sns({ Action: 'CreateTopic', Name: 'ev-s3' }))![1]!;
    await sns({ Action: 'Subscribe', TopicArn: topic, Protocol: 'sqs', Endpoint: queueArn });
    topicArn = topic;
}
let topicArn = '';

/** An S3 event record in AWS's documented shape (the key URL-encoded, spaces as '+'). */
function awsRecord(name: string, bucket: string, key: string, opts: { size?: number; sequencer?: string } = {}): Json {
    const object: Json = {
        key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'),
        sequencer: opts.sequencer ?? (seq++).toString(16).toUpperCase().padStart(18, '0'),
    };
    if (opts.size !== undefined) {
        object.size = opts.size;
        object.eTag = 'd41d8cd98f00b204e9800998ecf8427e';
    }
    return {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date(Date.now() - 500).toISOString(),
        eventName: name,
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '203.0.113.9' },
        responseElements: { 'x-amz-request-id': 'R', 'x-amz-id-2': 'H' },
        s3: { s3SchemaVersion: '1.0', configurationId: 'seau', bucket: { name: bucket, ownerIdentity: { principalId: 'O' }, arn: `arn:aws:s3:::${bucket}` }, object },
    };
}

async function sendDirect(body: Json | string, url = queueUrl): Promise<void> {
    await sqs('SendMessage', { QueueUrl: url, MessageBody: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function publishSns(body: Json): Promise<void> {
    await sns({ Action: 'Publish', TopicArn: topicArn, Message: JSON.stringify(body), Subject: 'Amazon S3 Notification' });
}

async function queueCounts(url = queueUrl): Promise<[number, number]> {
    const a = (await sqs('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })).Attributes;
    return [Number(a.ApproximateNumberOfMessages), Number(a.ApproximateNumberOfMessagesNotVisible)];
}

async function metric(name: string): Promise<number> {
    const r = await req(srv, 'GET', '/api/metrics');
    const line = r.text.split('\n').find((l) => l.startsWith(name + ' '));
    return line ? Number(line.split(' ').pop()) : NaN;
}

async function searchKeys(token: string, q: string): Promise<string[]> {
    const r = await req(srv, 'GET', `/api/search?q=${encodeURIComponent(q)}`, { token });
    assert.equal(r.status, 200, r.text);
    return r.body.files.map((f: Json) => f.key);
}

before(async () => {
    sqsPort = await freePort();
    endpoint = `http://127.0.0.1:${sqsPort}`;
    await startFauxqs(sqsPort);
    await createQueues();
    assert.match(queueUrl, /^http:\/\/sqs\.us-east-1\.localhost:\d+\/\d+\/ev-events$/);
    peer = await startS3rver(['sq-a', 'sq-b']);
    srv = await startServer({
        env: {
            ...peer.seauEnv(['sq-a', 'sq-b']),
            /* The queue URL as fauxqs gives it (its host does not resolve here); calls go to the endpoint. */
            SEAU_SQS_QUEUE_URL: queueUrl,
            AWS_ENDPOINT_URL_SQS: endpoint,
            /* The events here are written by hand and name objects that were never stored:
             * Seau must take them as they come (events-rgw.test.ts tests the check). */
            SEAU_EVENTS_VERIFY: 'false',
        },
    });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const b = await createUser(srv, admin, { email: 'bob@example.com', password: PASSWORD, role: 'user' });
    const r = await req(srv, 'PUT', `/api/users/${b.id}/grants`, { token: admin, json: { grants: [{ bucket: 'sq-a', prefix: 'bob/' }] } });
    assert.equal(r.status, 200, r.text);
    bob = (await login(srv, 'bob@example.com', PASSWORD)).token;
    await poll('the consumer to receive', async () => (await req(srv, 'GET', '/api/ready')).body?.checks?.sqs === 'ok', 15_000, 100);
});

after(async () => {
    await stopFauxqs();
});

test('S3 events sent to SQS directly and through SNS reach clients, the history and the index', async () => {
    const wa = await WsClient.connect(srv.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` });
    const wb = await WsClient.connect(srv.port, `/api/notifications/ws?token=${bob}`);
    await sendDirect({ Records: [awsRecord('ObjectCreated:Put', 'sq-a', 'bob/direct file.txt', { size: 11 })] });
    const n1 = (await wa.waitNotes(1))[0];
    assert.deepEqual([n1.type, n1.metadata.key, n1.metadata.fileSize, n1.metadata.source, n1.metadata.actor],
        ['upload', 'bob/direct file.txt', 11, 's3', 'AWS:AIDAEXAMPLE']);
    assert.equal((await wb.waitNotes(1))[0].id, n1.id);
    /* Through SNS: the S3 event is the envelope's Message. */
    await publishSns({ Records: [awsRecord('ObjectCreated:CompleteMultipartUpload', 'sq-a', 'bob/via sns.bin', { size: 22 })] });
    await publishSns({ Records: [awsRecord('ObjectCreated:Put', 'sq-a', 'elsewhere/hidden.bin', { size: 1 })] });
    const got = await wa.waitNotes(3);
    assert.deepEqual(got.slice(1).map((n) => n.metadata.key).sort(), ['bob/via sns.bin', 'elsewhere/hidden.bin']);
    await wb.waitNotes(2);
    await sleep(300);
    assert.deepEqual(wb.notes().map((n) => n.metadata.key), ['bob/direct file.txt', 'bob/via sns.bin']);
    assert.deepEqual((await searchKeys(bob, 'via sns')), ['bob/via sns.bin']);
    /* A deletion through SNS: the index forgets it. */
    await publishSns({ Records: [awsRecord('ObjectRemoved:Delete', 'sq-a', 'bob/via sns.bin')] });
    const del = (await wb.waitNotes(3))[2];
    assert.deepEqual([del.type, del.metadata.key], ['delete', 'bob/via sns.bin']);
    assert.deepEqual(await searchKeys(bob, 'via sns'), []);
    const h = await req(srv, 'GET', '/api/notifications', { token: bob });
    assert.deepEqual(h.body.notifications.map((n: Json) => n.type), ['delete', 'upload', 'upload']);
    /* Handled messages are deleted from the queue. */
    await poll('the queue to be empty', async () => (await queueCounts()).join() === '0,0', 10_000, 100);
    assert.ok((await metric('seau_sqs_lag_seconds')) >= 0.4);
    assert.equal(await metric('seau_sqs_up'), 1);
    await wa.close();
    await wb.close();
});

test('a duplicate is dropped, an s3:TestEvent ignored, and both are deleted from the queue', async () => {
    const wa = await WsClient.connect(srv.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` });
    const dupsBefore = await metric('seau_events_duplicates_total');
    const rec = awsRecord('ObjectCreated:Put', 'sq-b', 'dup/once.txt', { size: 1, sequencer: '0055AED6DCD90281E5' });
    await sendDirect({ Records: [rec] });
    await sendDirect({ Records: [rec] }); /* delivered twice, as S3 may */
    await sendDirect({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date().toISOString(), Bucket: 'sq-b', RequestId: 'R', HostId: 'H' });
    await publishSns({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date().toISOString(), Bucket: 'sq-b', RequestId: 'R', HostId: 'H' });
    await poll('the duplicate to be counted', async () => (await metric('seau_events_duplicates_total')) === dupsBefore + 1, 10_000, 100);
    await poll('the queue to be empty', async () => (await queueCounts()).join() === '0,0', 10_000, 100);
    assert.equal(wa.messages.length, 1);
    assert.equal(wa.notes()[0].metadata.key, 'dup/once.txt');
    await wa.close();
});

test('a malformed message is not deleted: retried, logged, then dead-lettered by the queue', async () => {
    const failedBefore = await metric('seau_sqs_messages_failed_total');
    await sendDirect('{"Records": [ this is not JSON');
    /* A good message behind it is not held up. */
    await sendDirect({ Records: [awsRecord('ObjectCreated:Put', 'sq-b', 'after/bad.txt', { size: 1 })] });
    await poll('the good one', async () => (await req(srv, 'GET', '/api/notifications?limit=1', { token: admin })).body.notifications[0]?.metadata.key === 'after/bad.txt', 10_000, 100);
    await srv.waitForLog('the failure to be logged', (l) => l.msg === 'an SQS message could not be handled; it will be retried' && l.receiveCount === 1);
    /* Received again after its short retry visibility (2 s), then moved by the redrive policy (2 receives). */
    await srv.waitForLog('the second failure', (l) => l.msg?.startsWith('an SQS message') && l.receiveCount === 2, 20_000);
    const dead = await poll('the message in the dead-letter queue', async () => {
        const r = await sqs('ReceiveMessage', { QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
        return r.Messages?.length ? r.Messages : undefined;
    }, 30_000, 200);
    assert.equal(dead[0].Body, '{"Records": [ this is not JSON');
    assert.ok((await metric('seau_sqs_messages_failed_total')) >= failedBefore + 2);
    /* Never the body in the log. */
    assert.ok(!srv.stderr.includes('this is not JSON'));
});

test('SQS unreachable: the consumer backs off, says so on /api/ready and in metrics, and resumes', async () => {
    await stopFauxqs();
    await srv.waitForLog('the outage to be logged', (l) => l.msg === 'the SQS queue cannot be reached; retrying', 30_000);
    let ready = await req(srv, 'GET', '/api/ready');
    assert.equal(ready.status, 200, 'SQS down must not take the console out of service');
    assert.equal(ready.body.checks.sqs, 'failing');
    assert.equal(await metric('seau_sqs_up'), 0);
    assert.ok((await metric('seau_sqs_errors_total')) >= 1);
    await sleep(1500); /* a few back-off rounds */
    await startFauxqs(sqsPort);
    await createQueues(); /* fauxqs keeps nothing across a restart; the URL is the same */
    const wa = await WsClient.connect(srv.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` });
    await sendDirect({ Records: [awsRecord('ObjectCreated:Put', 'sq-b', 'back/again.txt', { size: 1 })] });
    const n = (await wa.waitNotes(1, 'the event after the outage', 90_000))[0];
    assert.equal(n.metadata.key, 'back/again.txt');
    ready = await req(srv, 'GET', '/api/ready');
    assert.equal(ready.body.checks.sqs, 'ok');
    assert.equal(await metric('seau_sqs_up'), 1);
    await srv.waitForLog('the recovery to be logged', (l) => l.msg === 'the SQS queue answers again');
    await wa.close();
}, { timeout: 180_000 });

test('without AWS_ENDPOINT_URL_SQS, calls go to the queue URL\'s own host', async () => {
    /* sqs.us-east-1.localhost: libcurl resolves every *.localhost to the loopback itself. */
    const url = (await sqs('CreateQueue', { QueueName: 'ev-own-host' })).QueueUrl;
    const s2 = await startServer({ env: { ...peer.seauEnv(['sq-a']), SEAU_SQS_QUEUE_URL: url, AWS_ENDPOINT_URL_SQS: undefined, SEAU_EVENTS_VERIFY: 'false' } });
    const t = (await login(s2, ADMIN.email, ADMIN.password)).token;
    const c = await WsClient.connect(s2.port, '/api/notifications/ws', { Authorization: `Bearer ${t}` });
    await sendDirect({ Records: [awsRecord('ObjectCreated:Put', 'sq-a', 'own/host.txt', { size: 1 })] }, url);
    assert.equal((await c.waitNotes(1))[0].metadata.key, 'own/host.txt');
    await c.close();
    /* Stopping cancels the 20 s long poll: the exit is quick. */
    const t0 = Date.now();
    await s2.stop();
    assert.ok(Date.now() - t0 < 5000, `stopping took ${Date.now() - t0} ms`);
});

test('S3 events from SQS are in the audit log with the S3 principal and the source address', async () => {
    await sendDirect({ Records: [awsRecord('ObjectCreated:Put', 'sq-a', 'audit/from sqs.txt', { size: 4 })] });
    const entry = await poll('the audit entry', async () => {
        const r = await req(srv, 'GET', '/api/activity?action=s3.object.created&limit=100', { token: admin });
        assert.equal(r.status, 200, r.text);
        return r.body.entries.find((e: Json) => e.key === 'audit/from sqs.txt');
    }, 15_000, 100);
    assert.deepEqual([entry.userEmail, entry.ip, entry.bucket, entry.status], ['s3:AWS:AIDAEXAMPLE', '203.0.113.9', 'sq-a', 'success']);
    assert.deepEqual([entry.details.source, entry.details.event, entry.details.size], ['s3', 'ObjectCreated:Put', 4]);
    await sendDirect({ Records: [awsRecord('ObjectRemoved:Delete', 'sq-a', 'audit/from sqs.txt')] });
    await poll('the removal audited', async () => {
        const r = await req(srv, 'GET', '/api/activity?action=s3.object.removed&limit=100', { token: admin });
        return r.body.entries.some((e: Json) => e.key === 'audit/from sqs.txt' && e.userEmail === 's3:AWS:AIDAEXAMPLE');
    }, 15_000, 100);
});
