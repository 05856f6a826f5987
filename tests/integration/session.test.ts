/*
 * Session expiry in real time. The shortest idle timeout the configuration
 * allows is one minute, so this file takes a little over a minute; it runs
 * alongside the other files.
 */
import assert from 'node:assert/strict';

import { ADMIN, assertError, login, req, sleep, startServer, test } from './harness.ts';

test('an unused session idles out after SEAU_SESSION_IDLE_TIMEOUT; a used one does not', async () => {
    const srv = await startServer({ env: { SEAU_SESSION_IDLE_TIMEOUT: '1m', SEAU_SESSION_MAX_AGE: '1h' } });
    const idle = await login(srv, ADMIN.email, ADMIN.password);
    const busy = await login(srv, ADMIN.email, ADMIN.password);
    const t0 = Date.now();
    const statuses: string[] = [];
    /* The busy session is used every 15 s, well within its one-minute idle timeout. */
    for (let i = 1; i <= 5; i++) {
        await sleep(t0 + i * 15_000 - Date.now());
        const r = await req(srv, 'GET', '/api/auth/me', { token: busy.token });
        statuses.push(`${Math.round((Date.now() - t0) / 1000)}s:${r.status}`);
    }
    assertError(await req(srv, 'GET', '/api/auth/me', { token: idle.token }), 401, 'unauthorized');
    assert.ok(
        statuses.every((s) => s.endsWith(':200')),
        `a session used every 15 s must not idle out with a 1m idle timeout: ${statuses.join(' ')}`,
    );
    await srv.stop();
}, { timeout: 120_000 });
