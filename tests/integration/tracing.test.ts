/*
 * OpenTelemetry traces (README "Operations"): Seau exports spans over
 * OTLP/HTTP (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT, here a receiver of this
 * test that decodes what it gets. A proxied upload sent with a W3C
 * traceparent becomes a SERVER span that continues the caller's trace (its
 * parent is the caller's span), with the S3 calls and the store's
 * transactions as its descendants, the resource named by OTEL_SERVICE_NAME
 * and OTEL_RESOURCE_ATTRIBUTES, and the access log's request id is the trace
 * id. With the sampler off nothing is exported, and the request id is still
 * the trace id.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';

import { ADMIN, login, poll, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { STORE } from './store.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const BUCKET = 'trace-a';
let peer: S3Peer;
let receiver: http.Server;
let receiverUrl = '';
const spans: Json[] = [];
const resources: Json[] = [];
let posts = 0;

function attr(list: Json[] | undefined, key: string): Json {
    const a = (list ?? []).find((x: Json) => x.key === key);
    if (!a) return undefined;
    const v = a.value;
    return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue ?? v.doubleValue);
}

before(async () => {
    peer = await startRgw([BUCKET]);
    receiver = http.createServer((r, res) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
            posts++;
            assert.equal(r.url, '/v1/traces');
            assert.match(String(r.headers['content-type']), /^application\/json/);
            const doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            for (const rs of doc.resourceSpans) {
                resources.push(rs.resource);
                for (const ss of rs.scopeSpans)
                    for (const s of ss.spans)
                        spans.push({ ...s, resource: rs.resource });
            }
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{}');
        });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}, { timeout: 120_000 });

after(async () => {
    receiver?.closeAllConnections();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

function descendants(rootId: string): Json[] {
    const out: Json[] = [];
    const ids = new Set([rootId]);
    for (let grew = true; grew;) {
        grew = false;
        for (const s of spans)
            if (s.parentSpanId && ids.has(s.parentSpanId) && !ids.has(s.spanId)) {
                ids.add(s.spanId);
                out.push(s);
                grew = true;
            }
    }
    return out;
}

test('a proxied upload is one trace: the caller\'s span, the request, its S3 calls and store transactions', async () => {
    const srv = await startServer({
        env: {
            ...peer.seauEnv([BUCKET]),
            OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
            OTEL_SERVICE_NAME: 'seau-it',
            OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,service.namespace=files%20team',
            OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
            OTEL_TRACES_SAMPLER_ARG: '1',
            SEAU_INDEX_SYNC_AT_START: 'false',
        },
    });
    const token = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const f = new FormData();
    f.append('bucket', BUCKET);
    f.append('prefix', 'in/');
    f.append('file', new Blob(['traced bytes']), 'traced.txt');
    const up = await fetch(`${srv.url}/api/upload`, {
        method: 'POST',
        body: f,
        headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${parentId}-01` },
    });
    assert.equal(up.status, 201, await up.text());
    assert.equal(up.headers.get('x-request-id'), traceId, 'the request id is the trace id');

    const server = await poll('the request span', () =>
        spans.find((s) => s.traceId === traceId && s.kind === 2 && attr(s.attributes, 'http.route') === '/api/upload'), 15_000, 100);
    assert.equal(server.parentSpanId, parentId, 'the child of the caller\'s span');
    assert.equal(server.name, 'POST /api/upload');
    assert.equal(attr(server.attributes, 'http.response.status_code'), 201);
    assert.equal(attr(server.attributes, 'enduser.id'), 1);
    assert.equal(attr(server.resource.attributes, 'service.name'), 'seau-it');
    assert.equal(attr(server.resource.attributes, 'deployment.environment'), 'test');
    assert.equal(attr(server.resource.attributes, 'service.namespace'), 'files team');

    const kids = await poll('the S3 and store spans', () => {
        const d = descendants(server.spanId);
        return d.some((s) => s.name === 'PutObject' || s.name === 'CompleteMultipartUpload') && d.some((s) => s.name === 'db.transaction') ? d : undefined;
    }, 15_000, 100);
    for (const s of kids)
        assert.equal(s.traceId, traceId);
    const put = kids.find((s) => s.name === 'PutObject' || s.name === 'CompleteMultipartUpload');
    assert.equal(put.kind, 3);
    assert.equal(attr(put.attributes, 'rpc.method'), put.name);
    assert.equal(attr(put.attributes, 'aws.s3.bucket'), BUCKET);
    assert.equal(attr(put.attributes, 'http.response.status_code'), 200);
    assert.equal(attr(put.attributes, 'seau.s3.retries'), 0);
    const tx = kids.find((s) => s.name === 'db.transaction');
    assert.equal(attr(tx.attributes, 'db.system'), STORE === 'postgres' ? 'postgresql' : 'sqlite');
    assert.ok(BigInt(server.startTimeUnixNano) <= BigInt(put.startTimeUnixNano));
    assert.ok(BigInt(put.endTimeUnixNano) <= BigInt(server.endTimeUnixNano));

    /* The access log names the request by its trace id. */
    const line = srv.logLines().find((l: Json) => l.msg === 'request' && l.route === '/api/upload');
    assert.equal(line.requestId, traceId);

    /* A request without traceparent starts a trace of its own. */
    const r = await req(srv, 'GET', `/api/list?bucket=${BUCKET}`, { token });
    assert.equal(r.status, 200);
    const own = r.headers.get('x-request-id')!;
    assert.match(own, /^[0-9a-f]{32}$/);
    const root = await poll('the listing span', () => spans.find((s) => s.traceId === own && s.kind === 2), 15_000, 100);
    assert.equal(root.parentSpanId ?? '', '');
    assert.ok(descendants(root.spanId).some((s) => s.name === 'ListObjectsV2'));

    /* A ZIP is built on a thread of its own: its GetObject is still the request's child. */
    const zip = await fetch(`${srv.url}/api/download-zip?bucket=${BUCKET}&keys=in%2Ftraced.txt`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(zip.status, 200);
    await zip.arrayBuffer();
    const zipId = zip.headers.get('x-request-id')!;
    const zipSpan = await poll('the ZIP span', () => spans.find((s) => s.traceId === zipId && s.kind === 2), 15_000, 100);
    await poll('the ZIP\'s GetObject under it', () => descendants(zipSpan.spanId).some((s) => s.name === 'GetObject'), 15_000, 100);

    const m = await req(srv, 'GET', '/api/metrics');
    assert.match(m.text, /^seau_trace_spans_dropped_total 0$/m);
    assert.match(m.text, /^seau_trace_spans_exported_total [1-9]\d*$/m);
    await srv.stop();
});

test('with the sampler off nothing is exported, and the request id is still the trace id', async () => {
    const srv = await startServer({
        env: { ...peer.seauEnv([BUCKET]), OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_TRACES_SAMPLER: 'always_off', SEAU_INDEX_SYNC_AT_START: 'false' },
    });
    const before = posts;
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const r = await req(srv, 'GET', '/api/health', { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-request-id'), traceId);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(posts, before);
    assert.ok(!spans.some((s) => s.traceId === traceId));
    await srv.stop();
});

test('a sampler Seau does not know stops the start with one sentence', async () => {
    const { runCli } = await import('./harness.ts');
    const r = await runCli(['serve'], { env: { ...peer.seauEnv([BUCKET]), OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_TRACES_SAMPLER: 'sometimes', SEAU_LISTEN: '127.0.0.1:1' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /OTEL_TRACES_SAMPLER='sometimes'/);
});
