/* Sign-in, sessions, throttling and the first admin (API.md "Authentication and users"). */
import assert from 'node:assert/strict';
import { before } from 'node:test';

import {
    ADMIN,
    assertError,
    assertFields,
    createUser,
    login,
    median,
    poll,
    req,
    startServer,
    test,
    type Res,
    type SeauServer,
} from './harness.ts';

const USER_KEYS = ['createdAt', 'disabled', 'email', 'id', 'lastLoginAt', 'mfa', 'mustChangePassword', 'name', 'provider', 'role'];
const PASSWORD = 'user-password-0123456789';

let srv: SeauServer;
let adminToken: string;

before(async () => {
    /* Three failures lock an account; the per-address limit is out of the way here. */
    srv = await startServer({
        env: { SEAU_LOGIN_MAX_FAILURES: '3', SEAU_LOGIN_MAX_FAILURES_IP: '1000' },
    });
    adminToken = (await login(srv, ADMIN.email, ADMIN.password)).token;
});

function loginAttempt(s: SeauServer, email: string, password: string): Promise<Res> {
    return req(s, 'POST', '/api/auth/login', { json: { email, password } });
}

/** The attributes of a Set-Cookie value, lower-cased names. */
function cookieAttributes(setCookie: string): { name: string; value: string; attrs: Map<string, string> } {
    const [pair, ...rest] = setCookie.split(';').map((p) => p.trim());
    const eq = pair!.indexOf('=');
    const attrs = new Map<string, string>();
    for (const a of rest) {
        const i = a.indexOf('=');
        attrs.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
    }
    return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attrs };
}

function assertUserShape(user: unknown): void {
    assert.ok(user && typeof user === 'object');
    assert.deepEqual(Object.keys(user).sort(), USER_KEYS, 'the user object has exactly these fields');
    const text = JSON.stringify(user).toLowerCase();
    assert.ok(!text.includes('hash') && !text.includes('argon'), `no password hash: ${text}`);
}

test('login answers 200 with a token, the user without a hash, and a session cookie', async () => {
    const r = await loginAttempt(srv, ADMIN.email, ADMIN.password);
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.token, /^[A-Za-z0-9_-]{43}$/);
    assertUserShape(r.body.user);
    assert.equal(r.body.user.email, ADMIN.email);
    assert.equal(r.body.user.role, 'admin');
    assert.equal(r.body.user.disabled, false);
    assert.match(r.body.user.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.match(r.body.user.lastLoginAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(!r.text.includes(ADMIN.password), 'the password is never echoed');

    const cookies = r.headers.getSetCookie();
    assert.equal(cookies.length, 1, `one Set-Cookie: ${JSON.stringify(cookies)}`);
    const c = cookieAttributes(cookies[0]!);
    assert.equal(c.name, 'seau_session');
    assert.equal(c.value, r.body.token, 'the cookie carries the same session as the token');
    assert.ok(c.attrs.has('httponly'), 'HttpOnly');
    assert.equal(c.attrs.get('samesite'), 'Lax');
    assert.equal(c.attrs.get('path'), '/');
    assert.equal(c.attrs.get('max-age'), String(7 * 24 * 3600), 'Max-Age is the session max age (7d)');
    assert.ok(!c.attrs.has('secure'), 'no Secure attribute over plain http');
    assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS over plain http');
});

test('the email is matched case-insensitively', async () => {
    const r = await loginAttempt(srv, ADMIN.email.toUpperCase(), ADMIN.password);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.user.email, ADMIN.email);
});

test('login without email or password names the missing fields', async () => {
    assertFields(await req(srv, 'POST', '/api/auth/login', { json: {} }), ['email', 'password']);
    assertFields(
        await req(srv, 'POST', '/api/auth/login', { json: { email: 42, password: 'x' } }),
        ['email'],
    );
});

test('behind an https public URL the cookie is Secure and responses carry HSTS', async () => {
    const s = await startServer({ env: { SEAU_PUBLIC_URL: 'https://files.example.com' } });
    const r = await loginAttempt(s, ADMIN.email, ADMIN.password);
    assert.equal(r.status, 200, r.text);
    const c = cookieAttributes(r.headers.getSetCookie()[0] ?? '');
    assert.equal(c.name, 'seau_session');
    assert.ok(c.attrs.has('secure'), `Secure expected: ${r.headers.getSetCookie()}`);
    assert.ok(c.attrs.has('httponly'));
    assert.equal(c.attrs.get('samesite'), 'Lax');
    for (const res of [r, await req(s, 'GET', '/api/health'), await req(s, 'GET', '/api/nope')]) {
        assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d{7,}/);
    }
    /* Logging out clears the cookie with the same attributes. */
    const out = await req(s, 'POST', '/api/auth/logout', { token: r.body.token });
    assert.equal(out.status, 204);
    const cleared = cookieAttributes(out.headers.getSetCookie()[0] ?? '');
    assert.equal(cleared.value, '');
    assert.equal(cleared.attrs.get('max-age'), '0');
    assert.ok(cleared.attrs.has('secure'));
    await s.stop();
});

test('a wrong password and an unknown email get the identical answer', async () => {
    await createUser(srv, adminToken, { email: 'same@example.com', password: PASSWORD, role: 'user' });
    const wrong = await loginAttempt(srv, 'same@example.com', 'not-the-password-1');
    const unknown = await loginAttempt(srv, 'nobody-at-all@example.com', 'not-the-password-1');
    for (const r of [wrong, unknown]) {
        assertError(r, 401, 'invalid_credentials');
        assert.equal(r.headers.get('set-cookie'), null);
        assert.equal(r.headers.get('retry-after'), null);
    }
    assert.deepEqual(wrong.body, unknown.body, 'same body, message included');
    const names = (r: Res) =>
        [...r.headers.keys()].filter((k) => k !== 'date' && k !== 'x-request-id').sort();
    assert.deepEqual(names(wrong), names(unknown), 'same headers');
    assert.equal(wrong.headers.get('content-length'), unknown.headers.get('content-length'));
});

test('an unknown email takes as long as a wrong password (the hash is always paid)', async () => {
    const email = 'timing@example.com';
    await createUser(srv, adminToken, { email, password: PASSWORD, role: 'user' });
    const timed = async (e: string, p: string): Promise<number> => {
        const t0 = performance.now();
        const r = await loginAttempt(srv, e, p);
        const ms = performance.now() - t0;
        assertError(r, 401, 'invalid_credentials');
        return ms;
    };
    await timed('warm-up@example.com', 'wrong-password-0');
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 6; i++) {
        wrong.push(await timed(email, `wrong-password-${i}`));
        unknown.push(await timed(`nobody-${i}@example.com`, `wrong-password-${i}`));
        /* Three failures lock the account: a good login in between resets its counter. */
        if (i % 2 === 1)
            await login(srv, email, PASSWORD);
    }
    const w = median(wrong);
    const u = median(unknown);
    const ratio = Math.max(w, u) / Math.min(w, u);
    assert.ok(
        ratio < 3,
        `medians differ too much: wrong password ${w.toFixed(1)} ms, unknown email ${u.toFixed(1)} ms`,
    );
});

test('repeated failures lock the account (429 with Retry-After), even for the right password', async () => {
    const email = 'locked@example.com';
    await createUser(srv, adminToken, { email, password: PASSWORD, role: 'user' });
    for (let i = 0; i < 3; i++)
        assertError(await loginAttempt(srv, email, `wrong-password-${i}`), 401, 'invalid_credentials');
    const check429 = (r: Res) => {
        const err = assertError(r, 429, 'rate_limited');
        const retry = r.headers.get('retry-after');
        assert.match(retry ?? '', /^\d+$/, 'Retry-After is a number of seconds');
        const secs = Number(retry);
        assert.ok(secs >= 1 && secs <= 15 * 60, `Retry-After within the 15m window: ${secs}`);
        assert.equal(err.details?.retryAfter, secs);
        assert.equal(r.headers.get('set-cookie'), null);
    };
    check429(await loginAttempt(srv, email, 'wrong-password-3'));
    check429(await loginAttempt(srv, email, PASSWORD));
    check429(await loginAttempt(srv, email.toUpperCase(), PASSWORD));
    /* The lock is per account: others still sign in. */
    await login(srv, ADMIN.email, ADMIN.password);
});

test('repeated failures from one address are limited across accounts', async () => {
    const s = await startServer({ env: { SEAU_LOGIN_MAX_FAILURES_IP: '3' } });
    /* X-Forwarded-For from an untrusted peer changes nothing: the limit follows the real address. */
    for (let i = 0; i < 3; i++) {
        const r = await req(s, 'POST', '/api/auth/login', {
            json: { email: `someone-${i}@example.com`, password: 'wrong-password-x' },
            headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
        });
        assertError(r, 401, 'invalid_credentials');
    }
    for (const [email, password] of [
        ['someone-new@example.com', 'wrong-password-x'],
        [ADMIN.email, ADMIN.password],
    ] as const) {
        const r = await loginAttempt(s, email, password);
        assertError(r, 429, 'rate_limited');
        assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    }
    await s.stop();
});

test('the lock lifts when the login window has passed', async () => {
    /* A window long enough that the two failing logins (argon2id, seconds each on a loaded
     * machine) surely end inside it, so the lock is seen before it lifts. */
    const WINDOW_MS = 10_000;
    const s = await startServer({ env: { SEAU_LOGIN_MAX_FAILURES: '2', SEAU_LOGIN_WINDOW: `${WINDOW_MS / 1000}s` } });
    const firstFailure = Date.now();
    for (let i = 0; i < 2; i++)
        assertError(await loginAttempt(s, ADMIN.email, `wrong-password-${i}`), 401, 'invalid_credentials');
    const locked = await loginAttempt(s, ADMIN.email, ADMIN.password);
    assertError(locked, 429, 'rate_limited');
    const retry = Number(locked.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= WINDOW_MS / 1000, `Retry-After within the window: ${retry}`);
    const ok = await poll('the account to unlock', async () => {
        const r = await loginAttempt(s, ADMIN.email, ADMIN.password);
        return r.status === 200 ? r : (assert.equal(r.status, 429, r.text), undefined);
    }, WINDOW_MS + 10_000, 200);
    assert.equal(ok.body.user.email, ADMIN.email);
    const unlockedAfter = Date.now() - firstFailure;
    assert.ok(unlockedAfter >= WINDOW_MS - 100, `not unlocked before the window ended (${unlockedAfter} ms)`);
    assert.ok(unlockedAfter <= WINDOW_MS + 5000, `unlocked soon after the window ended (${unlockedAfter} ms)`);
    /* A successful login resets the account's counter: two more failures are needed to lock it again. */
    assertError(await loginAttempt(s, ADMIN.email, 'wrong-password-9'), 401, 'invalid_credentials');
    await login(s, ADMIN.email, ADMIN.password);
    await s.stop();
});

test('behind a trusted proxy, X-Forwarded-For names the client and X-Forwarded-Proto https secures the cookie', async () => {
    const s = await startServer({
        env: { SEAU_TRUSTED_PROXIES: '127.0.0.1/32', SEAU_LOGIN_MAX_FAILURES_IP: '2' },
    });
    const from = (xff: string, email: string, password: string, extra: Record<string, string> = {}) =>
        req(s, 'POST', '/api/auth/login', { json: { email, password }, headers: { 'x-forwarded-for': xff, ...extra } });
    /* The per-address limit applies to the forwarded client, not to the proxy. */
    for (let i = 0; i < 2; i++)
        assertError(await from('203.0.113.7', `x${i}@example.com`, 'wrong-password-x'), 401, 'invalid_credentials');
    assertError(await from('203.0.113.7', ADMIN.email, ADMIN.password), 429, 'rate_limited');
    /* A client cannot escape by prepending its own X-Forwarded-For: the proxy appends the real one. */
    assertError(await from('192.0.2.1, 203.0.113.7', ADMIN.email, ADMIN.password), 429, 'rate_limited');
    const other = await from('203.0.113.8, 127.0.0.1', ADMIN.email, ADMIN.password, { 'x-forwarded-proto': 'https' });
    assert.equal(other.status, 200, other.text);
    assert.ok(cookieAttributes(other.headers.getSetCookie()[0] ?? '').attrs.has('secure'), 'Secure behind an https proxy');
    assert.match(other.headers.get('strict-transport-security') ?? '', /max-age=/);
    const plain = await from('203.0.113.9', ADMIN.email, ADMIN.password);
    assert.ok(!cookieAttributes(plain.headers.getSetCookie()[0] ?? '').attrs.has('secure'));

    const act = await req(s, 'GET', '/api/activity?action=auth.login&limit=1000', { token: other.body.token });
    const ips = act.body.entries.map((e: { ip: string }) => e.ip);
    assert.ok(ips.includes('203.0.113.7') && ips.includes('203.0.113.8') && ips.includes('203.0.113.9'), ips.join(','));
    assert.ok(!ips.includes('127.0.0.1'), `the proxy's own address is never the client: ${ips.join(',')}`);
    await s.stop();
});

test('a bearer token authenticates /api/auth/me', async () => {
    const r = await req(srv, 'GET', '/api/auth/me', { token: adminToken });
    assert.equal(r.status, 200, r.text);
    assertUserShape(r.body.user);
    assert.equal(r.body.user.email, ADMIN.email);
    assert.equal(r.body.user.role, 'admin');
});

test('the session cookie authenticates a GET', async () => {
    const r = await req(srv, 'GET', '/api/auth/me', { cookie: adminToken });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.user.email, ADMIN.email);
});

test('logout answers 204 and revokes the session server-side', async () => {
    const { token } = await login(srv, ADMIN.email, ADMIN.password);
    assert.equal((await req(srv, 'GET', '/api/auth/me', { token })).status, 200);
    const out = await req(srv, 'POST', '/api/auth/logout', { token });
    assert.equal(out.status, 204, out.text);
    assert.equal(out.text, '');
    const cleared = cookieAttributes(out.headers.getSetCookie()[0] ?? '');
    assert.equal(cleared.name, 'seau_session');
    assert.equal(cleared.value, '');
    assert.equal(cleared.attrs.get('max-age'), '0');
    assertError(await req(srv, 'GET', '/api/auth/me', { token }), 401, 'unauthorized');
    assertError(await req(srv, 'GET', '/api/auth/me', { cookie: token }), 401, 'unauthorized');
    assertError(await req(srv, 'POST', '/api/auth/logout', { token }), 401, 'unauthorized');
    /* Only that session ended. */
    assert.equal((await req(srv, 'GET', '/api/auth/me', { token: adminToken })).status, 200);
});

test('the session cookie is found among other cookies; a token in the query string is not accepted', async () => {
    const r = await req(srv, 'GET', '/api/auth/me', { headers: { cookie: `theme=dark; seau_session=${adminToken}; lang=fr` } });
    assert.equal(r.status, 200, r.text);
    assertError(await req(srv, 'GET', `/api/auth/me?token=${adminToken}`), 401, 'unauthorized');
    assertError(await req(srv, 'GET', `/api/auth/me?seau_session=${adminToken}`), 401, 'unauthorized');
});

test('a missing or garbage token gets 401 unauthorized', async () => {
    const unknownToken = 'A'.repeat(43);
    const cases: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer garbage' },
        { authorization: `Bearer ${unknownToken}` },
        { authorization: `Bearer ${adminToken}x` },
        { authorization: `Bearer ${adminToken.slice(0, -1)}!` },
        { authorization: `Basic ${Buffer.from(`${ADMIN.email}:${ADMIN.password}`).toString('base64')}` },
        { cookie: 'seau_session=garbage' },
        { cookie: `seau_session=${unknownToken}` },
        { cookie: `other=${adminToken}` },
    ];
    for (const headers of cases) {
        const r = await req(srv, 'GET', '/api/auth/me', { headers });
        assertError(r, 401, 'unauthorized');
    }
});

test('the first admin is created with a generated password printed once on stdout', async () => {
    const s1 = await startServer({ admin: null });
    const m = await poll('the generated password on stdout', () =>
        /^ {4}password: (\S+)$/m.exec(s1.stdout) ?? undefined,
    );
    const password = m[1]!;
    assert.match(s1.stdout, /^ {4}email: +admin@localhost$/m);
    assert.ok(password.length >= 16, `a strong password: ${password}`);
    assert.ok(!s1.stderr.includes(password), 'the generated password never reaches the log');
    const first = await login(s1, 'admin@localhost', password);
    assert.equal(first.user.role, 'admin');
    await s1.stop();

    const s2 = await startServer({ admin: null, dataDir: s1.dataDir });
    const again = await login(s2, 'admin@localhost', password);
    assert.equal(again.user.id, first.user.id);
    const users = await req(s2, 'GET', '/api/users', { token: again.token });
    assert.equal(users.body.users.length, 1, 'no second admin was created');
    await s2.stop();
    assert.ok(!/password/i.test(s2.stdout), `nothing printed on restart: ${JSON.stringify(s2.stdout)}`);
});

test('with only SEAU_ADMIN_EMAIL, the first admin gets that email and a printed password', async () => {
    const s = await startServer({ admin: null, env: { SEAU_ADMIN_EMAIL: 'Boss@Example.com' } });
    const m = await poll('the generated password on stdout', () => /^ {4}password: (\S+)$/m.exec(s.stdout) ?? undefined);
    assert.match(s.stdout, /^ {4}email: +boss@example\.com$/m);
    const session = await login(s, 'boss@example.com', m[1]!);
    assert.equal(session.user.role, 'admin');
    await s.stop();
});
