/*
 * GET /api/metrics after real traffic against s3rver: a proxied upload, a
 * direct upload (presigned PUT, then complete), a listing and a refused
 * sign-in move the S3, upload, sign-in and active-user series; the live
 * exposition passes `promtool check metrics` (Debian's prometheus package).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before } from 'node:test';

import { ADMIN, login, poll, req, requirePrograms, startServer, test, type SeauServer } from './harness.ts';
import { startS3rver, type S3Peer } from './s3peer.ts';

const BUCKETS = ['metrics-a'];
const PROMTOOL = '/usr/bin/promtool';

let peer: S3Peer;
let srv: SeauServer;
let admin: string;

/** The value of one exact series line (name and labels as rendered), or undefined. */
function value(text: string, series: string): number | undefined {
    for (const line of text.split('\n'))
        if (line.startsWith(series + ' '))
            return Number(line.slice(series.length + 1));
    return undefined;
}

/** The sum of every line of a metric whose labels include all the given pairs. */
function sum(text: string, name: string, labels: Record<string, string> = {}): number {
    let total = 0;
    for (const line of text.split('\n')) {
        const m = /^([a-z0-9_]+)(\{([^}]*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name)
            continue;
        const have = m[3] ?? '';
        if (Object.entries(labels).every(([k, v]) => have.split(',').includes(`${k}="${v}"`)))
            total += Number(m[4]);
    }
    return total;
}

async function scrape(): Promise<string> {
    const r = await req(srv, 'GET', '/api/metrics');
    assert.equal(r.status, 200);
    return r.text;
}

before(async () => {
    requirePrograms(PROMTOOL);
    peer = await startS3rver(BUCKETS);
    srv = await startServer({ env: peer.seauEnv(BUCKETS) });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
});

test('an upload, a listing and a refused sign-in move their series', async () => {
    const before = await scrape();
    const seen = {
        put: sum(before, 'seau_s3_requests_total', { operation: 'PutObject', status: '2xx' }),
        list: sum(before, 'seau_s3_requests_total', { operation: 'ListObjectsV2', status: '2xx' }),
        listTimed: sum(before, 'seau_s3_request_duration_seconds_count', { operation: 'ListObjectsV2' }),
        proxied: value(before, 'seau_upload_bytes_count{path="proxied"}')!,
        proxiedSum: value(before, 'seau_upload_bytes_sum{path="proxied"}')!,
        direct: value(before, 'seau_upload_bytes_count{path="direct"}')!,
        failures: value(before, 'seau_login_failures_total')!,
    };
    assert.equal(seen.proxied, 0);
    assert.equal(seen.direct, 0);

    /* Proxied: two files through the server. */
    const f = new FormData();
    f.append('bucket', 'metrics-a');
    f.append('prefix', 'm/');
    f.append('file', new Blob([new Uint8Array(3000)]), 'a.bin');
    f.append('file', new Blob([new Uint8Array(70000)]), 'b.bin');
    const up = await fetch(`${srv.url}/api/upload`, { method: 'POST', body: f, headers: { authorization: `Bearer ${admin}` } });
    assert.equal(up.status, 201, await up.text());

    /* Direct: a session, the presigned PUT straight to S3, then complete. */
    const body = Buffer.from('direct upload bytes\n');
    const s = await req(srv, 'POST', '/api/uploads', { token: admin, json: { bucket: 'metrics-a', key: 'm/direct.txt', size: body.length, contentType: 'text/plain' } });
    assert.equal(s.status, 201, s.text);
    const put = await fetch(s.body.url, { method: s.body.method, headers: s.body.headers, body });
    assert.equal(put.status, 200, await put.text());
    const etag = put.headers.get('etag') ?? '';
    const done = await req(srv, 'POST', `/api/uploads/${s.body.uploadId}/complete`, { token: admin, json: { parts: [{ partNumber: 1, etag }] } });
    assert.equal(done.status, 200, done.text);

    const list = await req(srv, 'GET', '/api/list?bucket=metrics-a&prefix=m/', { token: admin });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.files.length, 3);

    const bad = await req(srv, 'POST', '/api/auth/login', { json: { email: ADMIN.email, password: 'not the password at all' } });
    assert.equal(bad.status, 401);

    const after = await poll('the series to move', async () => {
        const t = await scrape();
        return value(t, 'seau_login_failures_total') === seen.failures + 1 ? t : undefined;
    });
    assert.ok(sum(after, 'seau_s3_requests_total', { operation: 'PutObject', status: '2xx' }) >= seen.put + 2, 'PutObject of the proxied files');
    assert.ok(sum(after, 'seau_s3_requests_total', { operation: 'ListObjectsV2', status: '2xx' }) >= seen.list + 1, 'the listing');
    assert.ok(sum(after, 'seau_s3_request_duration_seconds_count', { operation: 'ListObjectsV2' }) >= seen.listTimed + 1);
    assert.equal(value(after, 'seau_upload_bytes_count{path="proxied"}'), 2);
    assert.equal(value(after, 'seau_upload_bytes_sum{path="proxied"}'), seen.proxiedSum + 73000);
    assert.equal(value(after, 'seau_upload_bytes_bucket{path="proxied",le="4096"}'), 1);
    assert.equal(value(after, 'seau_upload_bytes_bucket{path="proxied",le="65536"}'), 1);
    assert.equal(value(after, 'seau_upload_bytes_bucket{path="proxied",le="262144"}'), 2);
    assert.equal(value(after, 'seau_upload_bytes_count{path="direct"}'), 1);
    assert.equal(value(after, 'seau_upload_bytes_sum{path="direct"}'), body.length);
    /* Only the admin signed in and made requests. */
    assert.equal(value(after, 'seau_active_users{window="5m"}'), 1);
    assert.equal(value(after, 'seau_active_users{window="24h"}'), 1);
    assert.match(after, /^seau_build_info\{version="[^"]+"\} 1$/m);
});

test('the live exposition passes promtool check metrics', async () => {
    await req(srv, 'GET', '/api/list?bucket=metrics-a', { token: admin });
    const text = await scrape();
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
    assert.equal((r.stdout + r.stderr).trim(), '', 'no lint findings');
});
