/*
 * OpenID Connect single sign-on (API.md "Identity providers, MFA, sessions,
 * tokens") against a real OpenID Provider (npm oidc-provider, see
 * oidc-peer.ts): the authorization code flow with PKCE, just-in-time
 * accounts, roles and grants from the groups claim (again at each sign-in),
 * RS256 and ES256, RP-initiated logout, and every refusal — each a 302 to
 * /login?error=<code> with an audit entry naming the reason.
 *
 * The defects the real provider cannot be made to produce (a wrong
 * audience, an expired token, an unknown key, a tampered signature, a wrong
 * nonce) come from a second, tiny issuer served by this test: its discovery
 * document, its JWKS and a token endpoint answering ID tokens this test
 * signs with its own keys (node:crypto). The happy path and the replays go
 * through the real provider only.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before } from 'node:test';

import { ADMIN, login, req, runCli, seauEnv, startServer, test, type Json, type SeauServer } from './harness.ts';
import {
    callback,
    OidcPeer,
    oidcPort,
    providerLogin,
    signInThrough,
    startSignIn,
} from './oidc-peer.ts';

const SECRET = 'seau-test-client-secret-0123456789';
const MOCK_SECRET = 'mock-client-secret-0123456789';

let srv: SeauServer;
let idp: OidcPeer;
let adminToken: string;

/* ------------------------------------------------------------ the mock issuer */

interface MockKey {
    kid: string;
    alg: 'RS256' | 'ES256';
    key: KeyObject;
    jwk: Json;
}

function mockKey(kid: string, alg: 'RS256' | 'ES256'): MockKey {
    const { privateKey, publicKey } =
        alg === 'RS256'
            ? generateKeyPairSync('rsa', { modulusLength: 2048 })
            : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { kid, alg, key: privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function jws(k: MockKey, claims: Json, header: Json = {}): string {
    const h = b64u(JSON.stringify({ alg: k.alg, kid: k.kid, typ: 'JWT', ...header }));
    const p = b64u(JSON.stringify(claims));
    const sig = sign(k.alg === 'RS256' ? 'sha256' : 'sha256', Buffer.from(`${h}.${p}`), {
        key: k.key,
        dsaEncoding: 'ieee-p1363',
    });
    return `${h}.${p}.${b64u(sig)}`;
}

class MockIssuer {
    server!: Server;
    issuer = '';
    published: MockKey[] = [];
    jwksHits = 0;
    /** Makes the ID token for one sign-in from the nonce Seau sent. */
    mint: (nonce: string) => string = () => '';
    private codes = new Map<string, { nonce: string; challenge: string }>();

    async start(): Promise<void> {
        this.server = createServer((rq, rs) => {
            const u = new URL(rq.url ?? '/', this.issuer);
            const json = (status: number, body: Json) => {
                rs.writeHead(status, { 'content-type': 'application/json' });
                rs.end(JSON.stringify(body));
            };
            if (u.pathname === '/.well-known/openid-configuration')
                return json(200, {
                    issuer: this.issuer,
                    authorization_endpoint: `${this.issuer}/authorize`,
                    token_endpoint: `${this.issuer}/token`,
                    jwks_uri: `${this.issuer}/jwks`,
                    response_types_supported: ['code'],
                    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
                });
            if (u.pathname === '/jwks') {
                this.jwksHits++;
                return json(200, { keys: this.published.map((k) => k.jwk) });
            }
            if (u.pathname === '/authorize') {
                const code = randomBytes(16).toString('hex');
                this.codes.set(code, {
                    nonce: u.searchParams.get('nonce') ?? '',
                    challenge: u.searchParams.get('code_challenge') ?? '',
                });
                const back = new URL(u.searchParams.get('redirect_uri')!);
                back.searchParams.set('code', code);
                back.searchParams.set('state', u.searchParams.get('state') ?? '');
                rs.writeHead(302, { location: back.toString() });
                return rs.end();
            }
            if (u.pathname === '/token' && rq.method === 'POST') {
                let body = '';
                rq.on('data', (d) => (body += d));
                rq.on('end', () => {
                    const f = new URLSearchParams(body);
                    const auth = Buffer.from((rq.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
                    const c = this.codes.get(f.get('code') ?? '');
                    this.codes.delete(f.get('code') ?? '');
                    const verifier = f.get('code_verifier') ?? '';
                    const s256 = createHash('sha256').update(verifier).digest('base64url');
                    if (!c || auth !== `mock-client:${MOCK_SECRET}` || s256 !== c.challenge)
                        return json(400, { error: 'invalid_grant' });
                    json(200, { access_token: 'at', token_type: 'Bearer', id_token: this.mint(c.nonce) });
                });
                return;
            }
            json(404, { error: 'not_found' });
        });
        await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
        const a = this.server.address();
        this.issuer = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    }

    /** Closes the listener and its keep-alive connections (else the test file never exits). */
    async stop(): Promise<void> {
        if (!this.server?.listening)
            return;
        const closed = new Promise<void>((r) => this.server.close(() => r()));
        this.server.closeAllConnections();
        await closed;
    }
}

const mock = new MockIssuer();
const k1 = mockKey('mock-1', 'RS256');

function claims(nonce: string, over: Json = {}): Json {
    const now = Math.floor(Date.now() / 1000);
    return {
        iss: mock.issuer,
        aud: 'mock-client',
        sub: 'mock-subject-1',
        email: 'mock.user@example.com',
        email_verified: true,
        name: 'Mock User',
        nonce,
        iat: now,
        exp: now + 300,
        ...over,
    };
}

/* ------------------------------------------------------------ set-up */

after(async () => {
    await mock.stop();
});

before(async () => {
    await mock.start();
    mock.published = [k1];
    const port = await oidcPort();
    idp = new OidcPeer(port);
    idp.setAccounts({
        alice: { email: 'Alice@Example.com', email_verified: true, name: 'Alice Admin', groups: ['seau-admins'] },
        bob: { email: 'bob@example.com', email_verified: true, name: 'Bob', groups: ['storage-team', 'interns'] },
        carol: { email: 'carol@example.com', email_verified: true, name: 'Carol', groups: [] },
        dave: { email: 'dave@example.com', email_verified: true, name: 'Dave', groups: [] },
        mallory: { email: 'mallory@evil.test', email_verified: true, name: 'Mallory', groups: ['seau-admins'] },
    });
    srv = await startServer({
        env: {
            SEAU_OIDC_TEST_ISSUER: idp.issuer,
            SEAU_OIDC_TEST_CLIENT_ID: 'seau',
            SEAU_OIDC_TEST_CLIENT_SECRET: SECRET,
            SEAU_OIDC_TEST_NAME: 'Test IdP',
            SEAU_OIDC_TEST_SCOPES: 'openid email profile groups',
            SEAU_OIDC_TEST_ROLE_MAP: 'groups: seau-admins=admin, storage-team=manager',
            SEAU_OIDC_TEST_GRANTS_MAP: 'storage-team=media/team/;archive, interns=media/public/',
            SEAU_OIDC_TEST_ALLOWED_DOMAINS: 'example.com',
            SEAU_OIDC_TESTEC_ISSUER: idp.issuer,
            SEAU_OIDC_TESTEC_CLIENT_ID: 'seau-ec',
            SEAU_OIDC_TESTEC_CLIENT_SECRET: SECRET,
            SEAU_OIDC_TESTEC_SCOPES: 'openid email profile groups',
            SEAU_OIDC_MOCK_ISSUER: mock.issuer,
            SEAU_OIDC_MOCK_CLIENT_ID: 'mock-client',
            SEAU_OIDC_MOCK_CLIENT_SECRET: MOCK_SECRET,
        },
    });
    const client = (id: string, provider: string, alg: string) => ({
        client_id: id,
        client_secret: SECRET,
        redirect_uris: [`${srv.url}/api/auth/oidc/${provider}/callback`],
        post_logout_redirect_uris: [`${srv.url}/login`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: alg,
    });
    await idp.start([client('seau', 'test', 'RS256'), client('seau-ec', 'testec', 'ES256')]);
    adminToken = (await login(srv, ADMIN.email, ADMIN.password)).token;
});

/* ------------------------------------------------------------ helpers */

async function lastLogin(): Promise<Json> {
    const r = await req(srv, 'GET', '/api/activity?action=auth.login&limit=1', { token: adminToken });
    assert.equal(r.status, 200, r.text);
    return r.body.entries[0];
}

/** Asserts a refusal: 302 to /login?error=code, no session, and an audit entry with reason. */
async function assertRefused(r: { status: number; location: string; session?: string }, code: string, reason: string, provider: string) {
    assert.equal(r.status, 302);
    assert.equal(r.location, `/login?error=${code}`);
    assert.equal(r.session, undefined, 'a refused sign-in must not set a session');
    const e = await lastLogin();
    assert.equal(e.status, 'failure');
    assert.equal(e.details.reason, reason, JSON.stringify(e));
    assert.equal(e.details.provider, provider);
}

async function me(session: string): Promise<Json> {
    const r = await req(srv, 'GET', '/api/auth/me', { cookie: session });
    assert.equal(r.status, 200, r.text);
    return r.body.user;
}

async function grantsOf(id: number): Promise<Json[]> {
    const r = await req(srv, 'GET', `/api/users/${id}/grants`, { token: adminToken });
    assert.equal(r.status, 200, r.text);
    return r.body.grants;
}

/** A full sign-in through the mock issuer whose token endpoint answers mint(nonce). */
async function mockSignIn(mint: (nonce: string) => string) {
    mock.mint = mint;
    const s = await startSignIn(srv, 'mock');
    const back = await fetch(s.authorize, { redirect: 'manual' });
    assert.equal(back.status, 302);
    return callback(srv, back.headers.get('location')!, s.prelogin);
}

/* ------------------------------------------------------------ tests */

test('GET /api/auth/providers lists the providers and whether passwords are accepted', async () => {
    const r = await req(srv, 'GET', '/api/auth/providers');
    assert.equal(r.status, 200);
    assert.equal(r.body.password, true);
    const byId = (a: Json, b: Json) => a.id.localeCompare(b.id);
    assert.deepEqual([...r.body.oidc].sort(byId), [
        { id: 'mock', name: 'MOCK' },
        { id: 'test', name: 'Test IdP' },
        { id: 'testec', name: 'TESTEC' },
    ]);
});

test('start sends the browser to the provider with PKCE S256, state and nonce', async () => {
    const s = await startSignIn(srv, 'test', '/files?bucket=x');
    const q = s.authorize.searchParams;
    assert.equal(s.authorize.origin, idp.issuer);
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), 'seau');
    assert.equal(q.get('redirect_uri'), `${srv.url}/api/auth/oidc/test/callback`);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.get('nonce') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(q.get('scope'), 'openid email profile groups');
});

test('a returnTo that is not a same-origin path is refused and audited', async () => {
    for (const bad of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
        const r = await fetch(`${srv.url}/api/auth/oidc/test/start?returnTo=${encodeURIComponent(bad)}`, { redirect: 'manual' });
        assert.equal(r.status, 302);
        assert.equal(r.headers.get('location'), '/login?error=sso_return_to');
        const e = await lastLogin();
        assert.equal(e.details.reason, 'bad_return_to');
    }
    const r = await fetch(`${srv.url}/api/auth/oidc/nope/start`, { redirect: 'manual' });
    assert.equal(r.headers.get('location'), '/login?error=sso_provider');
});

test('sign-in through the real provider creates the account just in time, admin from its group', async () => {
    const r = await signInThrough(srv, 'test', 'alice', '/files');
    assert.equal(r.status, 302);
    assert.equal(r.location, '/files');
    assert.ok(r.session, 'the session cookie is set');
    const cookie = r.setCookies.find((c) => c.startsWith('seau_session='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.ok(r.setCookies.some((c) => /^seau_oidc=;.*Max-Age=0/.test(c)), 'the pre-login cookie is cleared');
    const u = await me(r.session!);
    assert.equal(u.email, 'alice@example.com');
    assert.equal(u.name, 'Alice Admin');
    assert.equal(u.role, 'admin');
    assert.equal(u.provider, 'test');
    const e = await lastLogin();
    assert.equal(e.status, 'success');
    assert.equal(e.userEmail, 'alice@example.com');
    assert.equal(e.details.provider, 'test');
    /* The same person again: the same account, not a second one. */
    const again = await signInThrough(srv, 'test', 'alice');
    assert.equal((await me(again.session!)).id, u.id);
    /* A password account reports provider null. */
    const admin = await req(srv, 'GET', '/api/auth/me', { token: adminToken });
    assert.equal(admin.body.user.provider, null);
    /* An SSO account has no password that works. */
    const pw = await req(srv, 'POST', '/api/auth/login', { json: { email: 'alice@example.com', password: '!' } });
    assert.equal(pw.status, 401);
});

test('role and grants come from the groups claim, and again at each sign-in', async () => {
    const first = await signInThrough(srv, 'test', 'bob');
    const u = await me(first.session!);
    assert.equal(u.role, 'manager');
    assert.deepEqual(
        (await grantsOf(u.id)).map((g: Json) => `${g.bucket}/${g.prefix}`).sort(),
        ['archive/', 'media/public/', 'media/team/'],
    );
    /* The provider moves bob out of storage-team: user role, the interns' grant only. */
    idp.setAccounts({
        alice: { email: 'alice@example.com', name: 'Alice Admin', groups: ['seau-admins'] },
        bob: { email: 'bob@example.com', name: 'Bob', groups: ['interns'] },
        carol: { email: 'carol@example.com', groups: [] },
        dave: { email: 'dave@example.com', groups: [] },
        mallory: { email: 'mallory@evil.test', groups: ['seau-admins'] },
    });
    const second = await signInThrough(srv, 'test', 'bob');
    const u2 = await me(second.session!);
    assert.equal(u2.id, u.id);
    assert.equal(u2.role, 'user');
    assert.deepEqual((await grantsOf(u.id)).map((g: Json) => `${g.bucket}/${g.prefix}`), ['media/public/']);
    /* No group that maps: the default role, user. */
    const c = await signInThrough(srv, 'test', 'carol');
    assert.equal((await me(c.session!)).role, 'user');
});

test('ES256 ID tokens from the real provider are accepted', async () => {
    const r = await signInThrough(srv, 'testec', 'dave');
    assert.equal(r.status, 302, r.location);
    assert.equal(r.location, '/');
    const u = await me(r.session!);
    assert.equal(u.provider, 'testec');
    /* The same e-mail through another provider is another person: refused, not merged. */
    const other = await signInThrough(srv, 'testec', 'carol');
    await assertRefused(other, 'sso_account', 'account_conflict', 'testec');
});

test('an e-mail outside the allowed domains is refused and audited', async () => {
    const r = await signInThrough(srv, 'test', 'mallory');
    await assertRefused(r, 'sso_domain', 'domain_not_allowed', 'test');
    assert.equal((await lastLogin()).userEmail, 'mallory@evil.test');
});

test('a wrong state, a missing pre-login cookie and a replayed callback are refused', async () => {
    const s = await startSignIn(srv, 'test');
    const cb = await providerLogin(s.authorize, 'carol');
    const wrong = new URL(cb);
    wrong.searchParams.set('state', 'A'.repeat(43));
    await assertRefused(await callback(srv, wrong, s.prelogin), 'sso_state', 'state_mismatch', 'test');
    /* The pending sign-in was used up by that attempt: the right state cannot follow it. */
    await assertRefused(await callback(srv, cb, s.prelogin), 'sso_state', 'unknown_or_used_state', 'test');

    const s2 = await startSignIn(srv, 'test');
    const cb2 = await providerLogin(s2.authorize, 'carol');
    await assertRefused(await callback(srv, cb2, undefined), 'sso_state', 'no_prelogin_cookie', 'test');

    /* Replay: a callback that succeeded once never succeeds again. */
    const s3 = await startSignIn(srv, 'test');
    const cb3 = await providerLogin(s3.authorize, 'carol');
    const ok = await callback(srv, cb3, s3.prelogin);
    assert.equal(ok.status, 302);
    assert.ok(ok.session);
    await assertRefused(await callback(srv, cb3, s3.prelogin), 'sso_state', 'unknown_or_used_state', 'test');

    /* A used code under a fresh state: the real provider refuses it at the token endpoint. */
    const s4 = await startSignIn(srv, 'test');
    const replay = new URL(cb3);
    replay.searchParams.set('state', s4.authorize.searchParams.get('state')!);
    await assertRefused(await callback(srv, replay, s4.prelogin), 'sso_exchange', 'code_refused', 'test');
});

test('the provider reporting an error (the user declined) is refused and audited', async () => {
    const s = await startSignIn(srv, 'test');
    const state = s.authorize.searchParams.get('state')!;
    const r = await callback(srv, `/api/auth/oidc/test/callback?error=access_denied&state=${state}`, s.prelogin);
    await assertRefused(r, 'sso_denied', 'provider_refused', 'test');
});

test('the mock issuer signs a good token: accepted (the defects below are the only difference)', async () => {
    const r = await mockSignIn((nonce) => jws(k1, claims(nonce)));
    assert.equal(r.status, 302, r.location);
    assert.ok(r.session);
    assert.equal((await me(r.session!)).provider, 'mock');
});

test('a wrong audience, or several audiences without our azp, is refused', async () => {
    await assertRefused(await mockSignIn((n) => jws(k1, claims(n, { aud: 'another-client' }))), 'sso_token', 'wrong_audience', 'mock');
    await assertRefused(await mockSignIn((n) => jws(k1, claims(n, { aud: ['mock-client', 'other'] }))), 'sso_token', 'wrong_audience', 'mock');
    await assertRefused(
        await mockSignIn((n) => jws(k1, claims(n, { aud: ['mock-client', 'other'], azp: 'other' }))),
        'sso_token', 'wrong_audience', 'mock');
    const ok = await mockSignIn((n) => jws(k1, claims(n, { aud: ['mock-client', 'other'], azp: 'mock-client' })));
    assert.ok(ok.session, ok.location);
});

test('an expired token, a token from the future and a wrong issuer are refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertRefused(await mockSignIn((n) => jws(k1, claims(n, { iat: now - 7200, exp: now - 3600 }))), 'sso_token', 'expired', 'mock');
    await assertRefused(await mockSignIn((n) => jws(k1, claims(n, { iat: now + 3600, exp: now + 7200 }))), 'sso_token', 'issued_in_future', 'mock');
    await assertRefused(await mockSignIn((n) => jws(k1, claims(n, { iss: 'http://127.0.0.1:1' }))), 'sso_token', 'wrong_issuer', 'mock');
});

test('a nonce mismatch is refused', async () => {
    await assertRefused(await mockSignIn((n) => jws(k1, claims(`${n}x`))), 'sso_token', 'nonce_mismatch', 'mock');
});

test('a tampered signature, and alg none or HS256, are refused', async () => {
    await assertRefused(
        await mockSignIn((n) => {
            const [h, , s] = jws(k1, claims(n)).split('.');
            const p = b64u(JSON.stringify(claims(n, { email: 'ceo@example.com', sub: 'someone-else' })));
            return `${h}.${p}.${s}`;
        }),
        'sso_token', 'bad_signature', 'mock');
    await assertRefused(
        await mockSignIn((n) => `${b64u(JSON.stringify({ alg: 'none', kid: 'mock-1' }))}.${b64u(JSON.stringify(claims(n)))}.`),
        'sso_token', 'algorithm_refused', 'mock');
    await assertRefused(
        await mockSignIn((n) => {
            const h = b64u(JSON.stringify({ alg: 'HS256', kid: 'mock-1' }));
            const p = b64u(JSON.stringify(claims(n)));
            return `${h}.${p}.${b64u(randomBytes(32))}`;
        }),
        'sso_token', 'algorithm_refused', 'mock');
});

test('a rotated key is fetched on its unknown kid; an unknown key is refused, refetched at most every 30 s', async () => {
    const k2 = mockKey('mock-2', 'ES256');
    mock.published = [k1, k2];
    const before = mock.jwksHits;
    const ok = await mockSignIn((n) => jws(k2, claims(n)));
    assert.ok(ok.session, `a key published after the cache was filled must be found: ${ok.location}`);
    assert.equal(mock.jwksHits, before + 1, 'the JWKS was fetched again once');
    const stranger = mockKey('never-published', 'RS256');
    await assertRefused(await mockSignIn((n) => jws(stranger, claims(n))), 'sso_token', 'unknown_key', 'mock');
    assert.equal(mock.jwksHits, before + 1, 'a second unknown kid within 30 s does not fetch again');
});

test('RP-initiated logout: the provider end_session_endpoint, else the login page', async () => {
    const r = await fetch(`${srv.url}/api/auth/oidc/test/logout`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    const to = new URL(r.headers.get('location')!);
    assert.equal(to.origin, idp.issuer);
    assert.equal(to.searchParams.get('client_id'), 'seau');
    assert.equal(to.searchParams.get('post_logout_redirect_uri'), `${srv.url}/login`);
    /* The provider accepts it: it answers its logout confirmation page. */
    const page = await fetch(to, { redirect: 'manual' });
    assert.equal(page.status, 200);
    await page.arrayBuffer();
    const m = await fetch(`${srv.url}/api/auth/oidc/mock/logout`, { redirect: 'manual' });
    assert.equal(m.headers.get('location'), '/login');
});

test('SEAU_PASSWORD_LOGIN=false: passwords are refused, providers say so', async () => {
    const only = await startServer({
        env: {
            SEAU_PASSWORD_LOGIN: 'false',
            SEAU_OIDC_TEST_ISSUER: idp.issuer,
            SEAU_OIDC_TEST_CLIENT_ID: 'seau',
            SEAU_OIDC_TEST_CLIENT_SECRET: SECRET,
        },
    });
    const p = await req(only, 'GET', '/api/auth/providers');
    assert.deepEqual(p.body, { password: false, oidc: [{ id: 'test', name: 'TEST' }] });
    const r = await req(only, 'POST', '/api/auth/login', { json: { email: ADMIN.email, password: ADMIN.password } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'forbidden');
    await only.stop();
});

test('a provider setting that is wrong stops the server at start with a sentence', async () => {
    const bad = startServer({
        env: { SEAU_OIDC_X_ISSUER: 'http://idp.example.com', SEAU_OIDC_X_ROLE_MAP: 'a=root' },
    });
    await assert.rejects(bad, (e: Error) => {
        assert.match(e.message, /SEAU_OIDC_X_ISSUER must be an https:\/\/ URL/);
        assert.match(e.message, /SEAU_OIDC_X_CLIENT_ID is required/);
        assert.match(e.message, /SEAU_OIDC_X_ROLE_MAP: the role of "a=root"/);
        return true;
    });
});

test('seau check shows the providers with the secret redacted, and names bad settings', async () => {
    const env = seauEnv({
        SEAU_DATABASE_URL: `sqlite:${srv.dataDir}/check.db`,
        SEAU_OIDC_CORP_ISSUER: 'https://login.corp.example',
        SEAU_OIDC_CORP_CLIENT_ID: 'seau',
        SEAU_OIDC_CORP_CLIENT_SECRET: SECRET,
        SEAU_OIDC_CORP_ROLE_MAP: 'admins=admin',
    });
    const ok = await runCli(['check'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /identity provider corp \(CORP\): issuer https:\/\/login\.corp\.example, client seau, secret \(redacted\)/);
    assert.ok(!ok.stdout.includes(SECRET) && !ok.stderr.includes(SECRET), 'the client secret is never printed');
    const bad = await runCli(['check'], { env: { ...env, SEAU_OIDC_CORP_DEFAULT_ROLE: 'root', SEAU_PASSWORD_LOGIN: 'no' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SEAU_OIDC_CORP_DEFAULT_ROLE must be admin, manager, user or none/);
    assert.match(bad.stderr, /SEAU_PASSWORD_LOGIN must be true or false/);
});
