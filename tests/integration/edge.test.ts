/*
 * The server's edge, over raw sockets: the deadline for a request head, the
 * cap on connections per client address, libmicrohttpd's own error answers
 * in the JSON error shape, request framing a proxy could read differently
 * (RFC 9112), and the share page's single Content-Security-Policy.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { before } from 'node:test';

import {
    ADMIN,
    RawConnection,
    assertRawError,
    login,
    poll,
    rawRequest,
    req,
    sleep,
    startServer,
    test,
    type SeauServer,
} from './harness.ts';

const HEADER_TIMEOUT_MS = 1500;
const PER_CLIENT = 6;

let srv: SeauServer;

before(async () => {
    srv = await startServer({
        env: {
            SEAU_HEADER_TIMEOUT: `${HEADER_TIMEOUT_MS}ms`,
            SEAU_MAX_CONNECTIONS_PER_CLIENT: String(PER_CLIENT),
        },
    });
});

const host = () => `127.0.0.1:${srv.port}`;

/** Connects from a given local address (any 127/8 address reaches the loopback server). */
const connectFrom = (localAddress: string) => RawConnection.connect(srv.port, 10_000, localAddress);

/* ---------------------------------------------------------------- the head deadline */

test('a client trickling its headers is cut at the header deadline', async () => {
    const c = await RawConnection.connect(srv.port);
    const started = Date.now();
    try {
        await c.write(`GET /api/health HTTP/1.1\r\nHost: ${host()}\r\n`);
        /* One header byte every 200 ms: never idle for long, but never done. */
        let i = 0;
        while (!c.closed && Date.now() - started < HEADER_TIMEOUT_MS * 4) {
            await c.write('X').catch(() => undefined);
            await sleep(200);
            i++;
        }
        assert.ok(c.closed, 'the connection was closed');
        const took = Date.now() - started;
        assert.ok(took >= HEADER_TIMEOUT_MS - 100, `not before the deadline (${took} ms)`);
        assert.ok(took < HEADER_TIMEOUT_MS + 1500, `soon after the deadline (${took} ms)`);
        assert.equal(c.pending(), '', 'no response for a head that never finished');
        assert.ok(i > 3);
    } finally {
        c.close();
    }
    /* Everyone else is served as before, and operators see the cut. */
    assert.equal((await req(srv, 'GET', '/api/health')).status, 200);
    const cut = /^seau_http_heads_cut_total (\d+)$/m.exec((await req(srv, 'GET', '/api/metrics')).text);
    assert.ok(cut && Number(cut[1]) >= 1, `seau_http_heads_cut_total: ${cut?.[1]}`);
});

test('a head sent in pieces within the deadline is served, and keep-alive requests get a fresh deadline', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
        for (let round = 0; round < 3; round++) {
            await c.write(`GET /api/health HTTP/1.1\r\n`);
            await sleep(HEADER_TIMEOUT_MS / 3);
            await c.write(`Host: ${host()}\r\n`);
            await sleep(HEADER_TIMEOUT_MS / 3);
            await c.write(`\r\n`);
            const r = await c.response();
            assert.equal(r.status, 200, `round ${round}`);
        }
        /* A keep-alive connection may idle past the header timeout before its next request. */
        await sleep(HEADER_TIMEOUT_MS + 500);
        assert.equal(c.closed, false, 'idle keep-alive is bounded by the idle timeout, not the header deadline');
        await c.write(`GET /api/health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
        assert.equal((await c.response()).status, 200);
    } finally {
        c.close();
    }
});

test('a slow body is not cut by the header deadline', async () => {
    const c = await RawConnection.connect(srv.port);
    try {
        const body = JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password-1' });
        await c.write(
            `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        await sleep(HEADER_TIMEOUT_MS + 500);
        await c.write(body);
        const r = await c.response();
        assertRawError(r, 401, 'invalid_credentials');
    } finally {
        c.close();
    }
});

test('heads that arrived while every worker was busy are not cut: the deadline is the client\'s, not the queue\'s', async () => {
    /*
     * One worker thread: sign-ins (an argon2id check each, tens of
     * milliseconds) sent at once on open connections queue behind each other
     * for longer than the deadline. Their bytes wait unread in the kernel
     * meanwhile: the server is late, not the clients, and none is cut.
     */
    const busy = await startServer({ env: { SEAU_HTTP_THREADS: '1', SEAU_HEADER_TIMEOUT: '1500ms' } });
    const N = 60;
    const conns: RawConnection[] = [];
    try {
        conns.push(...(await Promise.all(Array.from({ length: N }, () => RawConnection.connect(busy.port)))));
        const body = JSON.stringify(ADMIN);
        const started = Date.now();
        const answers = await Promise.all(
            conns.map(async (c, i) => {
                await c.write(
                    `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${busy.port}\r\nX-Request-Id: queued-${i}\r\n` +
                        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
                );
                return c.response({ timeoutMs: 60_000 }).catch((e: Error) => e);
            }),
        );
        const took = Date.now() - started;
        const failed = answers.flatMap((a, i) => (a instanceof Error ? [`#${i}: ${a.message}`] : []));
        assert.deepEqual(failed, [], `${failed.length} of ${N} queued sign-ins got no answer (all took ${took} ms)`);
        for (const a of answers)
            assert.equal((a as { status: number }).status, 200);
        /* Otherwise the test proves nothing: the queue must have outlasted the deadline. */
        assert.ok(took > 1500, `the queue took ${took} ms, less than the deadline`);
        const m = await req(busy, 'GET', '/api/metrics');
        assert.match(m.text, /^seau_http_heads_cut_total 0$/m, 'no head was cut');
    } finally {
        for (const c of conns)
            c.close();
        await busy.stop();
    }
});

/* ---------------------------------------------------------------- the per-address cap */

test('connections past the per-address cap are refused, other addresses are still served', async () => {
    const held: RawConnection[] = [];
    try {
        for (let i = 0; i < PER_CLIENT; i++)
            held.push(await connectFrom('127.0.0.3'));
        /* The server counts a connection once a worker has taken it: make sure all are. */
        await Promise.all(held.map((c) => c.write(`GET /api/health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`)));
        for (const c of held)
            assert.equal((await c.response()).status, 200);

        const extra = await connectFrom('127.0.0.3');
        await extra.write(`GET /api/health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`).catch(() => undefined);
        await extra.waitClosed(5000);
        assert.equal(extra.pending(), '', 'refused without an answer');
        const refused = /^seau_http_connections_refused_total (\d+)$/m.exec((await req(srv, 'GET', '/api/metrics')).text);
        assert.ok(refused && Number(refused[1]) >= 1, `seau_http_connections_refused_total: ${refused?.[1]}`);

        /* Another address is not starved. */
        const other = await connectFrom('127.0.0.4');
        await other.write(`GET /api/health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
        assert.equal((await other.response()).status, 200);
        other.close();

        /* Once one closes, the address may connect again. */
        held.pop()!.close();
        await poll('a slot to free up', async () => {
            const again = await connectFrom('127.0.0.3');
            try {
                await again.write(`GET /api/health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`).catch(() => undefined);
                const r = await again.response({ timeoutMs: 2000 }).catch(() => null);
                return r?.status === 200;
            } finally {
                again.close();
            }
        }, 5000);
    } finally {
        for (const c of held)
            c.close();
    }
});

/* ---------------------------------------------------------------- libmicrohttpd's own errors */

test("libmicrohttpd's own error answers come in the JSON error shape", async () => {
    const long = 'a'.repeat(64 * 1024);
    const cases: Array<[string, string | Buffer, number, string]> = [
        ['request line past the connection memory', `GET /api/health?x=${long} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`, 414, 'uri_too_long'],
        ['headers past the connection memory', `GET /api/health HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${long}\r\n\r\n`, 431, 'headers_too_large'],
        ['HTTP/1.1 without Host', 'GET /api/health HTTP/1.1\r\n\r\n', 400, 'bad_request'],
        ['two Host headers', `GET /api/health HTTP/1.1\r\nHost: ${host()}\r\nHost: example.com\r\n\r\n`, 400, 'bad_request'],
        ['an unknown HTTP version', `GET /api/health HTTP/3.0\r\nHost: ${host()}\r\n\r\n`, 505, 'http_version_not_supported'],
        ['a header line starting with white space', `GET /api/health HTTP/1.1\r\n Host: ${host()}\r\n\r\n`, 400, 'bad_request'],
        ['a malformed chunk size', `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400, 'bad_request'],
        ['a chunk size past 64 bits', `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n`, 413, 'payload_too_large'],
    ];
    for (const [what, data, status, code] of cases) {
        const r = await rawRequest(srv.port, data);
        assert.doesNotMatch(r.text, /<html/i, what);
        assertRawError(r, status, code);
        assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
        assert.equal(r.headers['cache-control'], 'no-store', what);
        assert.match(r.headers['content-security-policy'] ?? '', /default-src 'none'/, what);
        assert.equal(r.headers.connection, 'close', what);
    }
    /*
     * A Content-Length libmicrohttpd cannot read: 0.9.75 raises these while
     * parsing the headers and then moves its state machine on, so it writes
     * its answer's header block twice (the same with its HTML). Checked on
     * the bytes received until it closes: one status, JSON, never HTML.
     */
    const unreadable: Array<[string, number, string]> = [
        ['99999999999999999999999', 413, 'payload_too_large'],
        ['12ab', 400, 'bad_request'],
    ];
    for (const [cl, status, code] of unreadable) {
        const c = await RawConnection.connect(srv.port);
        try {
            await c.write(
                `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: ${cl}\r\n\r\n{}`,
            );
            await c.waitClosed(5000);
            const raw = c.pending();
            assert.match(raw, new RegExp(`^HTTP/1\\.1 ${status} `), cl);
            assert.doesNotMatch(raw, /<html|text\/html/i, cl);
            assert.match(raw, /\r\nContent-Type: application\/json; charset=utf-8\r\n/, cl);
            const body = raw.slice(raw.lastIndexOf('\r\n\r\n') + 4);
            assert.equal(JSON.parse(body).error.code, code, raw);
        } finally {
            c.close();
        }
    }
    /* The server's own answers are unchanged afterwards, on the same threads. */
    for (let i = 0; i < 8; i++) {
        const h = await req(srv, 'GET', '/api/health');
        assert.equal(h.status, 200);
        assert.doesNotMatch(h.text, /"error"/);
    }
});

test('414 is documented in the OpenAPI document', async () => {
    const r = await req(srv, 'GET', '/api/openapi.json');
    assert.equal(r.status, 200);
    const tooLong = r.body.components.responses.UriTooLong;
    assert.match(tooLong.description, /^414 uri_too_long/);
    assert.equal(tooLong.content['application/json'].examples.uri_too_long.value.error.code, 'uri_too_long');
    assert.match(r.body.info.description, /414 uri_too_long/);
});

/* ---------------------------------------------------------------- framing (RFC 9112) */

test('ambiguous framing is refused with 400 and the connection closed', async () => {
    const body = '{}';
    const heads = [
        `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`,
        `Transfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n`,
        `Content-Length: 2\r\nContent-Length: 3\r\n`,
        `Transfer-Encoding: gzip\r\n`,
        `Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n`,
        `Transfer-Encoding : chunked\r\n`,
        `Content-Length : 2\r\n`,
    ];
    for (const h of heads) {
        const c = await RawConnection.connect(srv.port);
        try {
            await c.write(
                `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\n${h}\r\n2\r\n{}\r\n0\r\n\r\n` +
                    `GET /api/health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`,
            );
            const r = await c.response();
            assertRawError(r, 400, 'bad_request');
            assert.equal(r.headers.connection, 'close', h);
            await c.waitClosed(5000);
            assert.equal(c.pending(), '', `nothing smuggled after the refusal: ${h}`);
        } finally {
            c.close();
        }
    }
    /* Equal repeated Content-Length values say one thing (RFC 9110 8.6): served. */
    const same = await rawRequest(
        srv.port,
        `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    assertRawError(same, 400, 'validation_failed');
    /* Plain chunked bodies still work. */
    const chunked = await rawRequest(
        srv.port,
        `POST /api/auth/login HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    );
    assertRawError(chunked, 400, 'validation_failed');
});

/* ---------------------------------------------------------------- share links */

test('POST to a malformed share link is 404 like the GET', async () => {
    for (const token of ['short', 'x'.repeat(200), '%00%00', `${'a'.repeat(42)}!`, `${'a'.repeat(41)}%20b`]) {
        const get = await rawRequest(srv.port, `GET /s/${token} HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
        assertRawError(get, 404, 'not_found');
        const post = await rawRequest(
            srv.port,
            `POST /s/${token} HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        assertRawError(post, 404, 'not_found');
        const bare = await rawRequest(srv.port, `POST /s/${token} HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        assertRawError(bare, 404, 'not_found');
        const postJson = await rawRequest(
            srv.port,
            `POST /s/${token} HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
        );
        assertRawError(postJson, 404, 'not_found');
    }
});

/* ---------------------------------------------------------------- the access log */

test('access-log lines queued for the background writer survive a prompt shutdown', async () => {
    const s = await startServer();
    const N = 300;
    const ids = Array.from({ length: N }, (_, i) => `shutdown-line-${i}`);
    const conns = await Promise.all(Array.from({ length: 6 }, () => RawConnection.connect(s.port)));
    try {
        await Promise.all(
            conns.map(async (c, k) => {
                for (let i = k; i < N; i += conns.length) {
                    await c.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nX-Request-Id: ${ids[i]}\r\n\r\n`);
                    assert.equal((await c.response()).status, 200);
                }
            }),
        );
    } finally {
        for (const c of conns)
            c.close();
    }
    /* At once: well within the writer's flush period, so the lines are still queued. */
    const info = await s.stop();
    assert.equal(info.code, 0);
    const logged = new Set(s.logLines().filter((l) => l.msg === 'request').map((l) => l.requestId));
    const missing = ids.filter((id) => !logged.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${N} access-log lines lost at shutdown`);
    const stopped = s.logLines().findIndex((l) => l.msg === 'stopped');
    assert.ok(stopped >= 0);
});

test('the access log keeps its shape and /api/metrics counts dropped lines', async () => {
    const r = await req(srv, 'GET', '/api/health', { headers: { 'x-request-id': 'shape-check-1' } });
    assert.equal(r.status, 200);
    const line = await srv.waitForLog('the access log line', (l) => l.requestId === 'shape-check-1');
    assert.deepEqual(Object.keys(line), ['time', 'level', 'msg', 'requestId', 'method', 'path', 'status', 'durationMs', 'bytes', 'ip', 'route']);
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'request');
    assert.equal(line.status, 200);
    assert.equal(line.route, '/api/health');
    const m = await req(srv, 'GET', '/api/metrics');
    assert.match(m.text, /^# TYPE seau_log_lines_dropped_total counter$/m);
    assert.match(m.text, /^seau_log_lines_dropped_total 0$/m);
});

/* ---------------------------------------------------------------- no stalls */

test('a slow S3 holds no HTTP worker: /api/health answers at once while proxied downloads wait on it', async () => {
    const SLOW_MS = 3000;
    const body = Buffer.alloc(1024 * 1024, 1);
    const pending = new Set<http.ServerResponse>();
    /* An S3 endpoint whose object requests take SLOW_MS before their headers. */
    const s3 = http.createServer((rq, rs) => {
        const objectPath = /^\/slow\/.+/.test(rq.url ?? '');
        const answer = () => {
            pending.delete(rs);
            if (!objectPath) {
                rs.writeHead(200, { 'content-length': '0' }).end();
                return;
            }
            rs.writeHead(200, {
                'content-length': String(body.length),
                etag: '"0123456789abcdef0123456789abcdef"',
                'last-modified': new Date(0).toUTCString(),
                'content-type': 'application/octet-stream',
            });
            rs.end(rq.method === 'HEAD' ? undefined : body);
        };
        pending.add(rs);
        if (objectPath)
            setTimeout(answer, SLOW_MS);
        else
            answer();
    });
    await new Promise<void>((r) => s3.listen(0, '127.0.0.1', r));
    const s3port = (s3.address() as net.AddressInfo).port;
    const s = await startServer({
        env: {
            SEAU_S3_ENDPOINT: `http://127.0.0.1:${s3port}`,
            SEAU_S3_FORCE_PATH_STYLE: 'true',
            SEAU_BUCKETS: 'slow',
            SEAU_DOWNLOAD_MODE: 'proxy',
            AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE01',
            AWS_SECRET_ACCESS_KEY: 'example-secret-example-secret-example-00',
            AWS_REGION: 'us-east-1',
        },
    });
    try {
        const token = (await login(s, ADMIN.email, ADMIN.password)).token;
        /* More downloads than the server has workers, each waiting on S3. */
        const clients: RawConnection[] = [];
        for (let i = 0; i < 8; i++) {
            const c = await RawConnection.connect(s.port);
            await c.write(`GET /api/download?bucket=slow&key=f${i}.bin HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
            clients.push(c);
        }
        await sleep(300);
        let worst = 0;
        for (let i = 0; i < 10; i++) {
            const t = performance.now();
            assert.equal((await req(s, 'GET', '/api/health', { timeoutMs: 10_000 })).status, 200);
            worst = Math.max(worst, performance.now() - t);
        }
        assert.ok(worst < SLOW_MS / 3, `/api/health took ${worst.toFixed(0)} ms while downloads waited on S3`);
        /* Clients leaving before S3 answers do not hold the workers either. */
        for (const c of clients.slice(0, 4))
            c.close();
        for (let i = 0; i < 8; i++) {
            const c = await RawConnection.connect(s.port);
            await c.write(`GET /api/download?bucket=slow&key=g${i}.bin HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
            await sleep(50);
            c.close();
        }
        const t = performance.now();
        assert.equal((await req(s, 'GET', '/api/health', { timeoutMs: 10_000 })).status, 200);
        assert.ok(performance.now() - t < SLOW_MS / 3, 'health after clients left mid-download');
        /* The downloads that stayed get their bytes. */
        for (const c of clients.slice(4)) {
            const r = await c.response({ timeoutMs: SLOW_MS * 4 });
            assert.equal(r.status, 200);
            assert.equal(r.body.length, body.length);
            c.close();
        }
    } finally {
        await s.stop();
        for (const rs of pending)
            rs.destroy();
        s3.close();
    }
});
