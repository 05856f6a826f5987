/* Graceful shutdown: SIGTERM lets in-flight requests finish, readiness turns 503, and a deadline holds. */
import assert from 'node:assert/strict';

import {
    ADMIN,
    RawConnection,
    poll,
    req,
    startServer,
    test,
    type SeauServer,
} from './harness.ts';

const LOGIN_BODY = JSON.stringify({ email: ADMIN.email, password: ADMIN.password });

function loginHead(srv: SeauServer): string {
    return (
        `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(LOGIN_BODY)}\r\n\r\n`
    );
}

/** Waits until the server counts at least n requests in flight (the metrics request included). */
async function waitInFlight(srv: SeauServer, n: number): Promise<void> {
    await poll(`${n} requests in flight`, async () => {
        const m = await req(srv, 'GET', '/api/metrics');
        const line = m.text.split('\n').find((l) => l.startsWith('seau_http_requests_in_flight '));
        return line !== undefined && Number(line.split(' ')[1]) >= n;
    });
}

/** Sends a login whose body stops after 10 bytes; returns once the server holds it in flight. */
async function startStuckLogin(srv: SeauServer): Promise<RawConnection> {
    const c = await RawConnection.connect(srv.port);
    await c.write(loginHead(srv) + LOGIN_BODY.slice(0, 10));
    await waitInFlight(srv, 2);
    return c;
}

async function getOn(c: RawConnection, srv: SeauServer, path: string) {
    await c.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`);
    return c.response();
}

test('a request in flight at SIGTERM still gets its complete answer, then the process exits 0', async () => {
    const srv = await startServer();
    const idle = await RawConnection.connect(srv.port);
    assert.equal((await getOn(idle, srv, '/api/ready')).status, 200, 'ready before the signal');
    const stuck = await startStuckLogin(srv);

    srv.kill('SIGTERM');
    /* Readiness turns 503 at once, seen on a connection that was already open. */
    const notReady = await poll('readiness to turn 503', async () => {
        const r = await getOn(idle, srv, '/api/ready');
        return r.status === 503 ? r : undefined;
    });
    const err = JSON.parse(notReady.text).error;
    assert.equal(err.code, 'upstream_unavailable');
    assert.equal(err.details?.checks?.server, 'shutting_down');
    assert.ok(srv.running, 'the in-flight request holds the shutdown');

    await stuck.write(LOGIN_BODY.slice(10));
    const answer = await stuck.response({ timeoutMs: 20_000 });
    assert.equal(answer.status, 200, answer.raw.slice(0, 400));
    const body = JSON.parse(answer.text);
    assert.match(body.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.user.email, ADMIN.email);

    const t0 = Date.now();
    srv.assertCleanExit(await srv.waitForExit(10_000));
    assert.ok(Date.now() - t0 < 10_000);
    const shutting = srv.logLines().find((l) => l.msg === 'shutting down');
    assert.equal(shutting?.signal, 'SIGTERM');
    assert.ok(srv.logLines().some((l) => l.msg === 'stopped'));
    assert.ok(!srv.logLines().some((l) => l.msg === 'requests were cut off at the shutdown deadline'));
    idle.close();
    stuck.close();
});

test('with SEAU_SHUTDOWN_DRAIN, /api/ready is 503 while /api/health stays 200, then the process exits 0', async () => {
    const srv = await startServer({ env: { SEAU_SHUTDOWN_DRAIN: '2s' } });
    const t0 = Date.now();
    srv.kill('SIGTERM');
    const notReady = await poll('readiness to turn 503', async () => {
        const r = await req(srv, 'GET', '/api/ready', { timeoutMs: 2000 });
        return r.status === 503 ? r : undefined;
    });
    assert.equal(notReady.body.error.code, 'upstream_unavailable');
    assert.equal(notReady.body.error.details?.checks?.server, 'shutting_down');
    const health = await req(srv, 'GET', '/api/health', { timeoutMs: 2000 });
    assert.equal(health.status, 200, 'liveness holds during the drain');
    assert.equal(health.body.status, 'ok');
    const metrics = await req(srv, 'GET', '/api/metrics', { timeoutMs: 2000 });
    assert.match(metrics.text, /^seau_ready 0$/m);
    /*
     * A kept-alive connection (a load balancer's) still gets its answer, but
     * told to go: "Connection: close", then the server closes it, so the
     * balancer sends its next request elsewhere instead of into a socket the
     * stop is about to cut.
     */
    const kept = await RawConnection.connect(srv.port);
    await kept.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`);
    const answer = await kept.response({ timeoutMs: 2000 });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.connection, 'close', answer.raw.slice(0, 400));
    await kept.waitClosed(2000);
    kept.close();

    srv.assertCleanExit(await srv.waitForExit(10_000));
    const took = Date.now() - t0;
    assert.ok(took >= 1950, `the drain of 2s was honoured (exited after ${took} ms)`);
    assert.ok(took < 7000, `exited after ${took} ms`);
});

test('a request stuck beyond SEAU_SHUTDOWN_TIMEOUT does not keep the process alive', async () => {
    const srv = await startServer({ env: { SEAU_SHUTDOWN_TIMEOUT: '1s' } });
    const stuck = await startStuckLogin(srv);
    const t0 = Date.now();
    srv.kill('SIGTERM');
    srv.assertCleanExit(await srv.waitForExit(10_000));
    const took = Date.now() - t0;
    assert.ok(took >= 950, `it waited for the in-flight request first (${took} ms)`);
    assert.ok(took < 3500, `exited ${took} ms after SIGTERM; the deadline is 1s`);
    await stuck.waitClosed(5000);
    assert.ok(!/^HTTP\/1\.1 2/.test(stuck.pending()), 'the cut-off request got no success answer');
    const cut = srv.logLines().find((l) => l.msg === 'requests were cut off at the shutdown deadline');
    assert.equal(cut?.requests, 1);
    stuck.close();
});

test('SIGINT stops the server as cleanly as SIGTERM', async () => {
    const srv = await startServer();
    assert.equal((await req(srv, 'GET', '/api/health')).status, 200);
    srv.kill('SIGINT');
    srv.assertCleanExit(await srv.waitForExit(10_000));
    assert.equal(srv.logLines().find((l) => l.msg === 'shutting down')?.signal, 'SIGINT');
});

test('idle keep-alive connections do not hold the shutdown', async () => {
    const srv = await startServer();
    const conns = await Promise.all(Array.from({ length: 100 }, () => RawConnection.connect(srv.port)));
    try {
        await Promise.all(conns.map((c) => getOn(c, srv, '/api/health')));
        const t0 = Date.now();
        srv.kill('SIGTERM');
        srv.assertCleanExit(await srv.waitForExit(10_000));
        const took = Date.now() - t0;
        assert.ok(took < 5000, `exited ${took} ms after SIGTERM; idle connections are not requests in flight`);
        assert.ok(!srv.logLines().some((l) => l.msg === 'requests were cut off at the shutdown deadline'));
        await Promise.all(conns.map((c) => c.waitClosed(5000)));
    } finally {
        for (const c of conns)
            c.close();
    }
});
