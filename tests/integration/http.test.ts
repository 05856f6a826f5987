/*
 * The HTTP layer: error shape, request ids, security headers, limits,
 * operations endpoints, the access log, many keep-alive connections, and
 * static files of the web client.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before } from 'node:test';

import {
    ADMIN,
    RawConnection,
    assertError,
    assertFields,
    assertRawError,
    login,
    poll,
    rawRequest,
    req,
    runCli,
    startServer,
    tempDir,
    test,
    type Json,
    type RawResponse,
    type SeauServer,
} from './harness.ts';

const LOGIN_LIMIT = 4096; /* the login route's body limit (src/api/routes.c) */
const HEADER_LIMIT = 16 * 1024; /* total request header bytes (src/cli/serve.c) */

const INDEX = '<!doctype html><title>Seau</title><p>the app shell</p>\n';
const ABOUT = '<!doctype html><title>About</title><p>about page</p>\n';
const DOCS = '<!doctype html><title>Docs</title><p>docs index</p>\n';
const APP_JS = "console.log('app-abc123');\n";
const SECRET = 'TOP-SECRET-CONTENT-OUTSIDE-THE-WEB-ROOT';

let srv: SeauServer;

before(async () => {
    const dir = tempDir();
    const web = path.join(dir, 'web');
    mkdirSync(path.join(web, '_next', 'static'), { recursive: true });
    mkdirSync(path.join(web, 'docs'), { recursive: true });
    writeFileSync(path.join(web, 'index.html'), INDEX);
    writeFileSync(path.join(web, 'about.html'), ABOUT);
    writeFileSync(path.join(web, 'docs', 'index.html'), DOCS);
    writeFileSync(path.join(web, '_next', 'static', 'app-abc123.js'), APP_JS);
    writeFileSync(path.join(dir, 'secret.txt'), SECRET);
    srv = await startServer({ dataDir: dir, env: { SEAU_WEB_ROOT: web } });
});

const host = () => `127.0.0.1:${srv.port}`;

/** A login request with exactly n body bytes: valid JSON padded with spaces. */
function paddedLoginBody(n: number): string {
    const json = JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password-123' });
    assert.ok(json.length <= n);
    return json + ' '.repeat(n - json.length);
}

function chunked(body: string, size = 1000): string {
    let out = '';
    for (let i = 0; i < body.length; i += size) {
        const c = body.slice(i, i + size);
        out += `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`;
    }
    return `${out}0\r\n\r\n`;
}

/* ---------------------------------------------------------------- errors and headers */

test('an unknown API path is 404 with the JSON error shape and a request id', async () => {
    const r = await req(srv, 'GET', '/api/nope');
    assertError(r, 404, 'not_found');
    assert.deepEqual(Object.keys(r.body), ['error']);
    assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f]{24}$/);
    assertError(await req(srv, 'GET', '/api'), 404, 'not_found');
    assertError(await req(srv, 'GET', '/api/users/1/nope'), 404, 'not_found');
});

test('request ids are never repeated, across the random pool each worker thread refills', async () => {
    /* 200 requests use each thread's pool of 32 ids several times over. */
    const ids = await Promise.all(Array.from({ length: 200 }, async () => {
        const r = await req(srv, 'GET', '/api/health');
        return r.headers.get('x-request-id') ?? '';
    }));
    for (const id of ids)
        assert.match(id, /^[0-9a-f]{24}$/);
    assert.equal(new Set(ids).size, ids.length);
});

test('a wrong method is 405 with Allow', async () => {
    const r = await req(srv, 'DELETE', '/api/health');
    assertError(r, 405, 'method_not_allowed');
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
    const login = await req(srv, 'GET', '/api/auth/login');
    assertError(login, 405, 'method_not_allowed');
    assert.equal(login.headers.get('allow'), 'POST');
    const user = await req(srv, 'POST', '/api/users/1');
    assertError(user, 405, 'method_not_allowed');
    assert.deepEqual(user.headers.get('allow')?.split(', ').sort(), ['DELETE', 'PATCH']);
});

test('404 and 405 are answered even when the request carries a body', async () => {
    const send = (method: string, p: string) =>
        rawRequest(
            srv.port,
            `${method} ${p} HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        );
    assertRawError(await send('POST', '/api/nope'), 404, 'not_found');
    const r = await send('DELETE', '/api/health');
    assertRawError(r, 405, 'method_not_allowed');
    assert.equal(r.headers.allow, 'GET, HEAD');
    assertRawError(await send('PUT', '/api/auth/login'), 405, 'method_not_allowed');
    assertRawError(await send('POST', '/about'), 405, 'method_not_allowed');
});

test('malformed JSON is 400 bad_request', async () => {
    for (const body of ['{"email":', 'not json', '[]', '"a string"', '', '{"email":"a@b.c","email":"d@e.f","password":"x"}']) {
        const r = await req(srv, 'POST', '/api/auth/login', { body, headers: { 'content-type': 'application/json' } });
        assertError(r, 400, 'bad_request');
    }
});

test('a JSON route refuses other content types with 415', async () => {
    const body = JSON.stringify({ email: ADMIN.email, password: ADMIN.password });
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x']) {
        const r = await req(srv, 'POST', '/api/auth/login', { body, headers: { 'content-type': ct } });
        assertError(r, 415, 'unsupported_media_type');
    }
    const none = await rawRequest(
        srv.port,
        `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assertRawError(none, 415, 'unsupported_media_type');
    const ok = await req(srv, 'POST', '/api/auth/login', { body, headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(ok.status, 200, ok.text);
});

test('JSON nested 16 levels is parsed, 17 levels is 413', async () => {
    const nested = (depth: number) => `{"email":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)},"password":"x"}`;
    const at = await req(srv, 'POST', '/api/auth/login', { body: nested(16), headers: { 'content-type': 'application/json' } });
    assertFields(at, ['email'], false); /* parsed: the email is just not a string */
    const over = await req(srv, 'POST', '/api/auth/login', { body: nested(17), headers: { 'content-type': 'application/json' } });
    assertError(over, 413, 'payload_too_large');
    /* Brackets inside strings are not nesting. */
    const inString = await req(srv, 'POST', '/api/auth/login', {
        json: { email: 'nobody@example.com', password: `${'['.repeat(40)}\\"{{{{{{{{{{{{{{{{{{{{` },
    });
    assertError(inString, 401, 'invalid_credentials');
});

test('a client X-Request-Id is echoed when plain and at most 64 characters', async () => {
    for (const id of ['my-request-123', 'a_b.c:d-E', 'x'.repeat(64)]) {
        const r = await req(srv, 'GET', '/api/health', { headers: { 'x-request-id': id } });
        assert.equal(r.headers.get('x-request-id'), id);
        const e = await req(srv, 'GET', '/api/nope', { headers: { 'x-request-id': id } });
        assert.equal(e.headers.get('x-request-id'), id, 'errors echo it too');
    }
    for (const id of ['x'.repeat(65), 'has space', 'semi;colon', 'quote"d']) {
        const r = await req(srv, 'GET', '/api/health', { headers: { 'x-request-id': id } });
        assert.match(r.headers.get('x-request-id') ?? '', /^[0-9a-f]{24}$/, `replaced: ${id}`);
    }
});

test('security headers are on API answers, errors and pages', async () => {
    const check = (h: Headers, page: boolean) => {
        assert.equal(h.get('x-content-type-options'), 'nosniff');
        assert.equal(h.get('referrer-policy'), 'no-referrer');
        assert.equal(h.get('x-frame-options'), 'DENY');
        const csp = h.get('content-security-policy') ?? '';
        assert.match(csp, /frame-ancestors 'none'/);
        assert.match(csp, page ? /default-src 'self'/ : /default-src 'none'/);
        assert.ok(h.get('x-request-id'));
    };
    const health = await req(srv, 'GET', '/api/health');
    check(health.headers, false);
    assert.equal(health.headers.get('cache-control'), 'no-store');
    check((await req(srv, 'GET', '/api/nope')).headers, false);
    check((await req(srv, 'POST', '/api/auth/login', { json: {} })).headers, false);
    check((await req(srv, 'GET', '/')).headers, true);
    check((await req(srv, 'GET', '/missing.png')).headers, true);
});

/* ---------------------------------------------------------------- limits */

test('a login body of exactly 4096 bytes is parsed; 4097 is 413 (Content-Length)', async () => {
    const send = (n: number) =>
        rawRequest(
            srv.port,
            `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\n\r\n${paddedLoginBody(n)}`,
        );
    assertRawError(await send(LOGIN_LIMIT), 401, 'invalid_credentials');
    const over = await send(LOGIN_LIMIT + 1);
    assertRawError(over, 413, 'payload_too_large');
    assert.equal(over.headers.connection, 'close');
});

test('a chunked login body of exactly 4096 bytes is parsed', async () => {
    const r = await rawRequest(
        srv.port,
        `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(paddedLoginBody(LOGIN_LIMIT))}`,
    );
    assertRawError(r, 401, 'invalid_credentials');
});

test('a chunked login body of 4097 bytes is answered 413', async () => {
    const r = await rawRequest(
        srv.port,
        `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(paddedLoginBody(LOGIN_LIMIT + 1))}`,
    );
    assertRawError(r, 413, 'payload_too_large');
});

test('every route enforces its own body limit: at the limit parsed, one byte past 413', async () => {
    const { token } = await login(srv, ADMIN.email, ADMIN.password);
    const pad = (json: string, n: number) => json + ' '.repeat(n - json.length);
    const cases: Array<{ method: string; path: string; limit: number; json: string; atLimit: number }> = [
        /* An invalid user: parsed, then refused field by field. */
        { method: 'POST', path: '/api/users', limit: 8 * 1024, json: '{"email":"bad"}', atLimit: 400 },
        { method: 'PATCH', path: '/api/users/1', limit: 8 * 1024, json: '{"role":"nobody"}', atLimit: 400 },
        { method: 'PUT', path: '/api/users/1/grants', limit: 320 * 1024, json: '{"grants":[]}', atLimit: 200 },
    ];
    for (const c of cases) {
        const at = await req(srv, c.method, c.path, { token, body: pad(c.json, c.limit), headers: { 'content-type': 'application/json' } });
        assert.equal(at.status, c.atLimit, `${c.method} ${c.path} with ${c.limit} bytes: ${at.text}`);
        /* One byte past: the declared length alone is refused, before any body is read. */
        const over = await rawRequest(
            srv.port,
            `${c.method} ${c.path} HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${token}\r\n` +
                `Content-Type: application/json\r\nContent-Length: ${c.limit + 1}\r\n\r\n`,
        );
        assertRawError(over, 413, 'payload_too_large');
    }
    /* Routes without a body take none. */
    const get = await rawRequest(srv.port, `GET /api/health HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 1\r\n\r\n`);
    assertRawError(get, 413, 'payload_too_large');
    const logout = await req(srv, 'POST', '/api/auth/logout', { token, body: ' '.repeat(1024) });
    assert.equal(logout.status, 204, logout.text);
});

test('Expect: 100-continue gets 100 Continue within the limit and 413 at once past it', async () => {
    const body = paddedLoginBody(100);
    const c = await RawConnection.connect(srv.port);
    try {
        await c.write(
            `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\n` +
                `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
        );
        const cont = await c.response();
        assert.equal(cont.status, 100);
        await c.write(body);
        assertRawError(await c.response(), 401, 'invalid_credentials');
        /* Past the limit the client is told before it sends anything. */
        await c.write(
            `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\n` +
                `Content-Length: ${LOGIN_LIMIT + 1}\r\nExpect: 100-continue\r\n\r\n`,
        );
        assertRawError(await c.response(), 413, 'payload_too_large');
    } finally {
        c.close();
    }
});

test('pipelined requests on one connection are answered in order', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
        const one = (path: string, id: string) => `GET ${path} HTTP/1.1\r\nHost: ${host()}\r\nX-Request-Id: ${id}\r\n\r\n`;
        await c.write(one('/api/health', 'pipe-1') + one('/api/nope', 'pipe-2') + one('/api/ready', 'pipe-3'));
        const a = await c.response();
        const b = await c.response();
        const d = await c.response();
        assert.deepEqual([a.status, b.status, d.status], [200, 404, 200]);
        assert.deepEqual([a.headers['x-request-id'], b.headers['x-request-id'], d.headers['x-request-id']], ['pipe-1', 'pipe-2', 'pipe-3']);
        assert.equal(JSON.parse(d.text).status, 'ready');
    } finally {
        c.close();
    }
});

/** A request whose headers add up to exactly total bytes by the server's rule (name + value + 4). */
function requestWithHeaderBytes(total: number): string {
    const lines = [`Host: ${host()}`];
    let used = 'Host'.length + host().length + 4;
    for (let i = 0; used < total; i++) {
        const name = `X-Fill-${String(i).padStart(2, '0')}`;
        const room = total - used - name.length - 4;
        const value = Math.min(room, 2000);
        assert.ok(value >= 1, 'the filler arithmetic went wrong');
        lines.push(`${name}: ${'v'.repeat(value)}`);
        used += name.length + value + 4;
    }
    assert.equal(used, total);
    return `GET /api/health HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

test('request headers of exactly 16 KiB are accepted; one byte more is 431 in JSON', async () => {
    const at = await rawRequest(srv.port, requestWithHeaderBytes(HEADER_LIMIT));
    assert.equal(at.status, 200, at.raw.slice(0, 300));
    assert.equal(JSON.parse(at.text).status, 'ok');
    const over = await rawRequest(srv.port, requestWithHeaderBytes(HEADER_LIMIT + 1));
    assertRawError(over, 431, 'headers_too_large');
    assert.equal(over.headers.connection, 'close');
});

/* ---------------------------------------------------------------- operations */

test('GET /api/health answers {status, version}', async () => {
    const r = await req(srv, 'GET', '/api/health');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
    assert.deepEqual(Object.keys(r.body).sort(), ['status', 'version']);
    assert.equal(r.body.status, 'ok');
    const v = await runCli(['version']);
    assert.equal(`seau ${r.body.version}`, v.stdout.trim());
    const head = await rawRequest(srv.port, `HEAD /api/health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`, { head: true });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
});

test('GET /api/ready answers 200 while the database answers', async () => {
    const r = await req(srv, 'GET', '/api/ready');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'ready');
    assert.equal(r.body.checks?.database, 'ok');
});

function metricValue(text: string, series: string): number | undefined {
    for (const line of text.split('\n'))
        if (line.startsWith(`${series} `))
            return Number(line.slice(series.length + 1));
    return undefined;
}

test('GET /api/metrics exposes request durations and process metrics', async () => {
    await req(srv, 'GET', '/api/health');
    const countSeries = 'seau_http_request_duration_seconds_count{method="GET",route="/api/health",status="200"}';
    const first = await poll('the health request in the metrics', async () => {
        const m = await req(srv, 'GET', '/api/metrics');
        return metricValue(m.text, countSeries) !== undefined ? m : undefined;
    });
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.ok(
        first.text.includes('seau_http_request_duration_seconds_bucket{method="GET",route="/api/health",status="200"'),
        first.text.slice(0, 2000),
    );
    assert.match(first.text, /# TYPE seau_http_request_duration_seconds histogram/);
    const rss = metricValue(first.text, 'process_resident_memory_bytes');
    const fds = metricValue(first.text, 'process_open_fds');
    const start = metricValue(first.text, 'process_start_time_seconds');
    assert.ok(rss !== undefined && rss > 1024 * 1024, `process_resident_memory_bytes ${rss}`);
    assert.ok(fds !== undefined && fds >= 3 && fds < 10_000, `process_open_fds ${fds}`);
    assert.ok(start !== undefined && Math.abs(start - Date.now() / 1000) < 3600, `process_start_time_seconds ${start}`);

    /* The count goes up by one per request. */
    const before = metricValue(first.text, countSeries)!;
    await req(srv, 'GET', '/api/health');
    await poll('the count to go up', async () => {
        const m = await req(srv, 'GET', '/api/metrics');
        return metricValue(m.text, countSeries) === before + 1;
    });
});

test('GET /api/openapi.json is an OpenAPI 3.1 document naming every route', async () => {
    const r = await req(srv, 'GET', '/api/openapi.json');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    const doc = JSON.parse(r.text);
    assert.equal(typeof doc.openapi, 'string');
    assert.ok(doc.openapi.startsWith('3.1'), doc.openapi);
    for (const p of ['/api/health', '/api/ready', '/api/metrics', '/api/auth/login', '/api/auth/logout', '/api/auth/me', '/api/users', '/api/users/{id}', '/api/users/{id}/grants', '/api/activity'])
        assert.ok(doc.paths?.[p], `paths has ${p}`);
});

/* ---------------------------------------------------------------- the access log */

test('access log lines are JSON with the request fields and never a secret', async () => {
    const id = 'it-access-log-1';
    const s = await login(srv, ADMIN.email, ADMIN.password, { 'x-request-id': id });
    const querySecret = 'query-secret-value-42';
    await req(srv, 'GET', `/api/auth/me?token=${querySecret}`, { token: s.token, headers: { 'x-request-id': 'it-access-log-2' } });
    await req(srv, 'GET', '/api/auth/me', { cookie: s.token, headers: { 'x-request-id': 'it-access-log-3' } });

    const line = await srv.waitForLog('the access log line', (l) => l.msg === 'request' && l.requestId === id);
    assert.equal(line.method, 'POST');
    assert.equal(line.path, '/api/auth/login');
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(line.durationMs >= 0);
    assert.equal(line.ip, '127.0.0.1');
    assert.equal(line.route, '/api/auth/login');
    assert.equal(line.bytes, Number(s.res.headers.get('content-length')));
    assert.equal(line.level, 'info');
    assert.match(line.time, /Z$/);
    const me = await srv.waitForLog('the second line', (l) => l.requestId === 'it-access-log-2');
    assert.equal(me.path, '/api/auth/me', 'the path is logged without its query string');
    assert.equal(me.user, ADMIN.email);
    await srv.waitForLog('the third line', (l) => l.requestId === 'it-access-log-3');

    for (const raw of srv.stderr.split('\n').filter((l) => l.trim()))
        assert.doesNotThrow(() => JSON.parse(raw), `every log line is JSON: ${raw}`);
    for (const secret of [s.token, ADMIN.password, querySecret])
        assert.ok(!srv.stderr.includes(secret), `the log must not contain ${secret}`);
});

test('a request whose path is not UTF-8 still gets a complete access log line', async () => {
    const id = 'it-bad-utf8-path';
    const r = await rawRequest(srv.port, Buffer.from(`GET /api/%ff%fe HTTP/1.1\r\nHost: ${host()}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n`, 'latin1'));
    assertRawError(r, 404, 'not_found');
    const line = await srv
        .waitForLog('the access log line of the request', (l) => l.msg === 'request' && l.requestId === id, 3000)
        .catch(() => undefined);
    const bare = srv.logLines().filter((l) => l.msg === 'request' && l.requestId === undefined);
    assert.ok(line, `no access log line names request ${id}; lines without any request field: ${JSON.stringify(bare)}`);
    assert.equal(line.status, 404);
    assert.equal(line.method, 'GET');
    assert.equal(typeof line.path, 'string');
});

test('a request refused for its header size is counted under a route label', async () => {
    const id = 'it-431-label';
    const big = requestWithHeaderBytes(HEADER_LIMIT + 100).replace('\r\n\r\n', `\r\nX-Request-Id: ${id}\r\n\r\n`);
    assertRawError(await rawRequest(srv.port, big), 431, 'headers_too_large');
    const line = await srv.waitForLog('the access log line', (l) => l.requestId === id);
    assert.notEqual(line.route, '', `the access log names no route: ${JSON.stringify(line)}`);
    const m = await req(srv, 'GET', '/api/metrics');
    assert.doesNotMatch(m.text, /route=""/, 'no metric series has an empty route label');
});

test('a client that goes away mid-body is logged as 499 and costs the server nothing', async () => {
    const id = 'it-gone-away';
    const c = await RawConnection.connect(srv.port);
    await c.write(
        `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nX-Request-Id: ${id}\r\n` +
            `Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":`,
    );
    await poll('the request to be in flight', async () => {
        const m = await req(srv, 'GET', '/api/metrics');
        return /^seau_http_requests_in_flight [2-9]/m.test(m.text);
    });
    c.close();
    const line = await srv.waitForLog('the access log line', (l) => l.requestId === id);
    assert.equal(line.status, 499);
    assert.equal((await req(srv, 'GET', '/api/health')).status, 200);
    await poll('in-flight to drop back', async () => {
        const m = await req(srv, 'GET', '/api/metrics');
        return /^seau_http_requests_in_flight 1$/m.test(m.text);
    });
});

/* ---------------------------------------------------------------- connections */

test('more than 512 concurrent keep-alive connections are all answered', async () => {
    const N = 600;
    const conns: RawConnection[] = [];
    try {
        for (let i = 0; i < N; i += 100) {
            const batch = await Promise.all(Array.from({ length: Math.min(100, N - i) }, () => RawConnection.connect(srv.port)));
            conns.push(...batch);
        }
        for (let round = 1; round <= 3; round++) {
            await Promise.all(conns.map((c, i) => c.write(`GET /api/health HTTP/1.1\r\nHost: ${host()}\r\nX-Request-Id: conn-${round}-${i}\r\n\r\n`)));
            const answers = await Promise.all(
                conns.map((c) => c.response({ timeoutMs: 30_000 }).catch((e: Error) => e)),
            );
            const failed = answers
                .map((a, i) => (a instanceof Error ? `#${i} (local port ${conns[i]!.socket.localPort}): ${a.message}` : ''))
                .filter(Boolean);
            assert.deepEqual(failed, [], `round ${round}: ${failed.length} of ${N} connections got no answer`);
            (answers as RawResponse[]).forEach((a, i) => {
                assert.equal(a.status, 200, `connection ${i}, round ${round}`);
                assert.equal(a.headers['x-request-id'], `conn-${round}-${i}`);
                assert.notEqual(a.headers.connection, 'close', 'the connection is kept alive');
            });
        }
        assert.equal(conns.filter((c) => c.closed).length, 0, 'no connection was dropped');
    } finally {
        for (const c of conns)
            c.close();
    }
});

/* ---------------------------------------------------------------- static files */

test('static files: pages, folder indexes, the app shell fallback and 404s', async () => {
    const root = await req(srv, 'GET', '/');
    assert.equal(root.status, 200);
    assert.equal(root.text, INDEX);
    assert.equal(root.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(root.headers.get('cache-control'), 'no-cache');

    const about = await req(srv, 'GET', '/about');
    assert.equal(about.status, 200);
    assert.equal(about.text, ABOUT);
    assert.match(about.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal((await req(srv, 'GET', '/about.html')).text, ABOUT);

    for (const p of ['/docs/', '/docs']) {
        const docs = await req(srv, 'GET', p);
        assert.equal(docs.status, 200, p);
        assert.equal(docs.text, DOCS, p);
        assert.match(docs.headers.get('content-type') ?? '', /^text\/html/);
    }

    const fallback = await req(srv, 'GET', '/files/x');
    assert.equal(fallback.status, 200);
    assert.equal(fallback.text, INDEX, 'a client route falls back to the app shell');
    assert.match(fallback.headers.get('content-type') ?? '', /^text\/html/);

    for (const p of ['/missing.png', '/_next/static/missing.js', '/files/x.y']) {
        const r = await req(srv, 'GET', p);
        assertError(r, 404, 'not_found');
    }
    const post = await req(srv, 'POST', '/');
    assertError(post, 405, 'method_not_allowed');
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('hashed assets are immutable and typed as JavaScript', async () => {
    const r = await req(srv, 'GET', '/_next/static/app-abc123.js');
    assert.equal(r.status, 200);
    assert.equal(r.text, APP_JS);
    assert.match(r.headers.get('content-type') ?? '', /^(text|application)\/javascript/);
    assert.match(r.headers.get('cache-control') ?? '', /immutable/);
    assert.match(r.headers.get('cache-control') ?? '', /max-age=\d{6,}/);
});

test('query strings such as ?_rsc= are ignored for static files', async () => {
    const a = await req(srv, 'GET', '/about?_rsc=abc');
    assert.equal(a.status, 200);
    assert.equal(a.text, ABOUT);
    const js = await req(srv, 'GET', '/_next/static/app-abc123.js?_rsc=abc&x=1');
    assert.equal(js.text, APP_JS);
    assert.equal((await req(srv, 'GET', '/?_rsc=1')).text, INDEX);
});

test('If-None-Match with the ETag gives 304', async () => {
    const first = await req(srv, 'GET', '/about');
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[^"]+"$/);
    const again = await req(srv, 'GET', '/about', { headers: { 'if-none-match': etag! } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assert.equal(again.headers.get('etag'), etag);
    assert.ok(again.headers.get('x-request-id'));
    const other = await req(srv, 'GET', '/about', { headers: { 'if-none-match': '"something-else"' } });
    assert.equal(other.status, 200);
    assert.equal(other.text, ABOUT);
    const js = await req(srv, 'GET', '/_next/static/app-abc123.js');
    const js304 = await req(srv, 'GET', '/_next/static/app-abc123.js', { headers: { 'if-none-match': js.headers.get('etag')! } });
    assert.equal(js304.status, 304);
    assert.match(js304.headers.get('cache-control') ?? '', /immutable/);
});

test('HEAD on a page answers its headers without a body', async () => {
    const r = await rawRequest(srv.port, `HEAD /about HTTP/1.1\r\nHost: ${host()}\r\n\r\n`, { head: true });
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(ABOUT));
    assert.equal(r.body.length, 0);
});

test('path traversal never reaches a file outside the web root', async () => {
    const paths = [
        '/../../etc/passwd',
        '/%2e%2e/etc/passwd',
        '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        '/..%2f..%2f..%2fetc%2fpasswd',
        '/%2e%2e%2fsecret.txt',
        '/../secret.txt',
        '/docs/../../secret.txt',
        '/docs/%2e%2e/%2e%2e/secret.txt',
        '/..%5csecret.txt',
        '/.%2e/secret.txt',
        '//etc/passwd',
        '/%00/../secret.txt',
    ];
    for (const p of paths) {
        const r = await rawRequest(srv.port, `GET ${p} HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
        assert.ok(!r.raw.includes('root:x:0:0') && !r.raw.includes('root:'), `${p} leaked /etc/passwd`);
        assert.ok(!r.raw.includes(SECRET), `${p} leaked a file outside the web root`);
        assert.ok([200, 400, 404].includes(r.status), `${p}: ${r.status}`);
        if (r.status === 200)
            assert.equal(r.text, INDEX, `${p} may at most fall back to the app shell`);
    }
});

test('the server still answers after all of the above', async () => {
    const r = await req(srv, 'GET', '/api/health');
    assert.equal(r.status, 200);
    const u: Json = await req(srv, 'GET', '/api/ready');
    assert.equal(u.status, 200);
});
