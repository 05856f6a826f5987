/*
 * Cross-site request forgery (API.md "Conventions"): a state-changing request
 * authenticated by the session cookie must come from the same origin.
 */
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, login, req, startServer, test, type SeauServer } from './harness.ts';

let srv: SeauServer;
let token: string;
let adminId: number;

before(async () => {
    srv = await startServer();
    const s = await login(srv, ADMIN.email, ADMIN.password);
    token = s.token;
    adminId = s.user.id;
});

/** A cheap state-changing request: renaming oneself. */
function rename(name: string, headers: Record<string, string>, auth: { cookie?: string; token?: string }) {
    return req(srv, 'PATCH', `/api/users/${adminId}`, { json: { name }, headers, ...auth });
}

async function currentName(): Promise<string> {
    const r = await req(srv, 'GET', '/api/auth/me', { token });
    assert.equal(r.status, 200);
    return r.body.user.name;
}

test('a cookie-authenticated POST from a foreign Origin is refused with csrf_rejected', async () => {
    const r = await req(srv, 'POST', '/api/users', {
        cookie: token,
        headers: { origin: 'https://evil.example' },
        json: { email: 'evil@example.com', name: 'Evil', password: 'evil-password-123', role: 'admin' },
    });
    assertError(r, 403, 'csrf_rejected');
    const users = await req(srv, 'GET', '/api/users', { token });
    assert.ok(
        !users.body.users.some((u: { email: string }) => u.email === 'evil@example.com'),
        'nothing was created',
    );
    /* A foreign origin that merely starts like ours is foreign too. */
    assertError(await rename('x', { origin: `${srv.origin}.evil.example` }, { cookie: token }), 403, 'csrf_rejected');
    assertError(await rename('x', { origin: 'null' }, { cookie: token }), 403, 'csrf_rejected');
    assertError(await rename('x', { origin: `https://127.0.0.1:${srv.port}` }, { cookie: token }), 403, 'csrf_rejected');
    assert.equal(await currentName(), 'Administrator');
});

test('a cookie-authenticated logout with Sec-Fetch-Site: cross-site is refused and the session lives', async () => {
    assertError(
        await req(srv, 'POST', '/api/auth/logout', { cookie: token, headers: { 'sec-fetch-site': 'cross-site' } }),
        403,
        'csrf_rejected',
    );
    assertError(
        await req(srv, 'POST', '/api/auth/logout', { cookie: token, headers: { 'sec-fetch-site': 'same-site' } }),
        403,
        'csrf_rejected',
    );
    /* Sec-Fetch-Site is what the browser vouches for: it wins over a matching Origin. */
    assertError(
        await rename('x', { 'sec-fetch-site': 'cross-site', origin: srv.origin }, { cookie: token }),
        403,
        'csrf_rejected',
    );
    assert.equal((await req(srv, 'GET', '/api/auth/me', { token })).status, 200);
});

test('a cookie-authenticated change with neither Origin nor Sec-Fetch-Site is refused', async () => {
    assertError(await rename('No Headers', {}, { cookie: token }), 403, 'csrf_rejected');
    assertError(await req(srv, 'POST', '/api/auth/logout', { cookie: token }), 403, 'csrf_rejected');
    assert.equal(await currentName(), 'Administrator');
});

test('the same Origin or Sec-Fetch-Site: same-origin is allowed with the cookie', async () => {
    const a = await rename('Via Origin', { origin: srv.origin }, { cookie: token });
    assert.equal(a.status, 200, a.text);
    assert.equal(await currentName(), 'Via Origin');
    const b = await rename('Via Fetch Metadata', { 'sec-fetch-site': 'same-origin' }, { cookie: token });
    assert.equal(b.status, 200, b.text);
    assert.equal(await currentName(), 'Via Fetch Metadata');
    /* Origins compare case-insensitively, as browsers may send either. */
    const c = await rename('Upper Case', { origin: srv.origin.toUpperCase() }, { cookie: token });
    assert.equal(c.status, 200, c.text);
});

test('a bearer-authenticated change with a foreign Origin is allowed', async () => {
    const r = await rename('Via Bearer', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, { token });
    assert.equal(r.status, 200, r.text);
    assert.equal(await currentName(), 'Via Bearer');
});

test('a GET with the cookie and a foreign Origin is allowed', async () => {
    const variants: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of variants) {
        const r = await req(srv, 'GET', '/api/users', { cookie: token, headers });
        assert.equal(r.status, 200, r.text);
        assert.ok(Array.isArray(r.body.users));
    }
});

test('login from a foreign origin is refused (login CSRF), from ours it works', async () => {
    const evil = await req(srv, 'POST', '/api/auth/login', {
        json: { email: ADMIN.email, password: ADMIN.password },
        headers: { origin: 'https://evil.example' },
    });
    assertError(evil, 403, 'csrf_rejected');
    assert.equal(evil.headers.get('set-cookie'), null, 'no session for a cross-site login');
    const ours = await req(srv, 'POST', '/api/auth/login', {
        json: { email: ADMIN.email, password: ADMIN.password },
        headers: { origin: srv.origin, 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(ours.status, 200, ours.text);
});

test('a same-origin cookie logout ends the session', async () => {
    const { token: t } = await login(srv, ADMIN.email, ADMIN.password);
    const r = await req(srv, 'POST', '/api/auth/logout', { cookie: t, headers: { origin: srv.origin } });
    assert.equal(r.status, 204, r.text);
    assertError(await req(srv, 'GET', '/api/auth/me', { cookie: t }), 401, 'unauthorized');
});

test('with a public URL, its origin is the one expected', async () => {
    const s = await startServer({ env: { SEAU_PUBLIC_URL: 'http://Files.Example.com:8443/console' } });
    const { token: t, user } = await login(s, ADMIN.email, ADMIN.password);
    const patch = (origin: string) =>
        req(s, 'PATCH', `/api/users/${user.id}`, { cookie: t, headers: { origin }, json: { name: 'Renamed' } });
    assertError(await patch(s.origin), 403, 'csrf_rejected');
    assertError(await patch('http://files.example.com'), 403, 'csrf_rejected');
    const ok = await patch('http://files.example.com:8443');
    assert.equal(ok.status, 200, ok.text);
    await s.stop();
});
