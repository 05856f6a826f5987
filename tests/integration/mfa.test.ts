/*
 * Second factors, sessions, personal access tokens, the access explainer
 * and the sign-in lockout per (account, address) (API.md "Identity
 * providers, MFA, sessions, tokens"). TOTP codes are computed here with
 * node:crypto, independently of the server's implementation.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { before } from 'node:test';

import {
    ADMIN,
    assertError,
    createUser,
    login,
    req,
    sleep,
    startServer,
    test,
    type Json,
    type Res,
    type SeauServer,
} from './harness.ts';

const PASSWORD = 'user-password-0123456789';

let srv: SeauServer;
let adminToken: string;

before(async () => {
    srv = await startServer({
        env: { SEAU_LOGIN_MAX_FAILURES: '3', SEAU_LOGIN_MAX_FAILURES_IP: '1000' },
    });
    adminToken = (await login(srv, ADMIN.email, ADMIN.password)).token;
});

function base32Decode(s: string): Buffer {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0;
    let value = 0;
    const out: number[] = [];
    for (const c of s.replace(/=+$/, '')) {
        const v = alphabet.indexOf(c);
        assert.ok(v >= 0, `base32 character ${c}`);
        value = (value << 5) | v;
        bits += 5;
        if (bits >= 8) {
            out.push((value >>> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    return Buffer.from(out);
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of secret at time ms, offset by `steps`. */
function totp(secret: string, ms = Date.now(), steps = 0): string {
    const counter = Math.floor(ms / 30000) + steps;
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(counter));
    const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
    const off = mac[mac.length - 1]! & 0x0f;
    const bin = (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
    return String(bin).padStart(6, '0');
}

/** Creates an account and enrols it: returns its token, secret and recovery codes. */
async function enrolled(email: string, role = 'user'): Promise<{ token: string; secret: string; codes: string[]; id: number }> {
    const u = await createUser(srv, adminToken, { email, password: PASSWORD, role });
    const { token } = await login(srv, email, PASSWORD);
    const setup = await req(srv, 'POST', '/api/auth/mfa/setup', { token });
    assert.equal(setup.status, 200, setup.text);
    const secret: string = setup.body.secret;
    const confirm = await req(srv, 'POST', '/api/auth/mfa/confirm', { token, json: { code: totp(secret) } });
    assert.equal(confirm.status, 200, confirm.text);
    return { token, secret, codes: confirm.body.recoveryCodes, id: u.id };
}

/** POST /api/auth/login from a given loopback source address (node:http's localAddress). */
function loginFrom(source: string, email: string, password: string): Promise<Res> {
    return rawJson(source, 'POST', '/api/auth/login', { email, password });
}

function rawJson(source: string, method: string, path: string, body: unknown): Promise<Res> {
    const data = JSON.stringify(body);
    const url = new URL(srv.url);
    return new Promise((resolve, reject) => {
        const r = http.request(
            {
                host: url.hostname,
                port: url.port,
                path,
                method,
                localAddress: source,
                headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () => {
                    const text = Buffer.concat(chunks).toString();
                    const headers = new Headers();
                    for (const [k, v] of Object.entries(res.headers))
                        if (typeof v === 'string')
                            headers.set(k, v);
                        else if (Array.isArray(v))
                            for (const x of v)
                                headers.append(k, x);
                    let parsed: Json;
                    try {
                        parsed = JSON.parse(text);
                    } catch {
                        parsed = undefined;
                    }
                    resolve({ status: res.statusCode ?? 0, headers, text, body: parsed });
                });
            },
        );
        r.on('error', reject);
        r.end(data);
    });
}

async function activity(action: string): Promise<Json[]> {
    const r = await req(srv, 'GET', `/api/activity?action=${encodeURIComponent(action)}&limit=1000`, { token: adminToken });
    assert.equal(r.status, 200, r.text);
    return r.body.entries;
}

test('enrolment: set-up is not active until confirmed; a wrong code is refused; ten recovery codes once', async () => {
    const email = 'enrol@example.com';
    await createUser(srv, adminToken, { email, password: PASSWORD, role: 'user' });
    const { token, user } = await login(srv, email, PASSWORD);
    assert.equal(user.mfa, false);
    const setup = await req(srv, 'POST', '/api/auth/mfa/setup', { token });
    assert.equal(setup.status, 200, setup.text);
    assert.match(setup.body.secret, /^[A-Z2-7]{32}$/);
    assert.ok(setup.body.otpauthUrl.startsWith('otpauth://totp/Seau:enrol@example.com?secret=' + setup.body.secret));
    /* Not active yet: the password alone still signs in. */
    const again = await login(srv, email, PASSWORD);
    assert.equal(again.user.mfa, false);
    assertError(await req(srv, 'POST', '/api/auth/mfa/confirm', { token, json: { code: '000000' } }), 401, 'invalid_code');
    const ok = await req(srv, 'POST', '/api/auth/mfa/confirm', { token, json: { code: totp(setup.body.secret) } });
    assert.equal(ok.status, 200, ok.text);
    const codes: string[] = ok.body.recoveryCodes;
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes)
        assert.match(c, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    const me = await req(srv, 'GET', '/api/auth/me', { token });
    assert.equal(me.body.user.mfa, true);
    /* Confirmed: neither a second confirmation nor a new set-up. */
    assertError(await req(srv, 'POST', '/api/auth/mfa/setup', { token }), 409, 'conflict');
    const status = await req(srv, 'GET', '/api/auth/mfa', { token });
    assert.deepEqual(status.body, { enabled: true, recoveryCodesLeft: 10, enrolmentRequired: false });
    /* Nothing secret in the audit log. */
    const entries = [...(await activity('mfa.setup')), ...(await activity('mfa.enable'))];
    assert.ok(entries.some((e) => e.action === 'mfa.enable' && e.status === 'success'));
    assert.ok(entries.some((e) => e.action === 'mfa.enable' && e.status === 'failure'));
    const text = JSON.stringify(entries);
    assert.ok(!text.includes(setup.body.secret), 'the secret is never audited');
    for (const c of codes)
        assert.ok(!text.includes(c), 'recovery codes are never audited');
});

test('sign-in with MFA: no session after the password; wrong, replayed and expired codes refused; recovery codes once', async () => {
    const email = 'twostep@example.com';
    const { secret, codes } = await enrolled(email);
    const first = await req(srv, 'POST', '/api/auth/login', { json: { email, password: PASSWORD } });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.mfaRequired, true);
    assert.equal(typeof first.body.mfaToken, 'string');
    assert.equal(first.body.token, undefined, 'no session yet');
    assert.equal(first.headers.get('set-cookie'), null);
    /* The challenge token is not a session. */
    assertError(await req(srv, 'GET', '/api/auth/me', { token: first.body.mfaToken }), 401, 'unauthorized');
    assertError(await req(srv, 'POST', '/api/auth/mfa', { json: { mfaToken: first.body.mfaToken, code: '000000' } }), 401, 'invalid_code');
    /* The confirmation used the current step: the next one is within the window and unused. */
    const code = totp(secret, Date.now(), 1);
    const ok = await req(srv, 'POST', '/api/auth/mfa', { json: { mfaToken: first.body.mfaToken, code } });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.body.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(ok.body.user.mfa, true);
    assert.match(ok.headers.get('set-cookie') ?? '', /^seau_session=/);
    assert.equal((await req(srv, 'GET', '/api/auth/me', { token: ok.body.token })).status, 200);
    /* The challenge is spent. */
    assertError(await req(srv, 'POST', '/api/auth/mfa', { json: { mfaToken: first.body.mfaToken, code } }), 401, 'unauthorized');
    /* The same code on a new challenge: a replay. */
    const second = await req(srv, 'POST', '/api/auth/login', { json: { email, password: PASSWORD } });
    assertError(await req(srv, 'POST', '/api/auth/mfa', { json: { mfaToken: second.body.mfaToken, code } }), 401, 'invalid_code');
    /* A recovery code works once. */
    const rec = await req(srv, 'POST', '/api/auth/mfa', { json: { mfaToken: second.body.mfaToken, code: codes[0]!.toLowerCase() } });
    assert.equal(rec.status, 200, rec.text);
    const third = await req(srv, 'POST', '/api/auth/login', { json: { email, password: PASSWORD } });
    assertError(await req(srv, 'POST', '/api/auth/mfa', { json: { mfaToken: third.body.mfaToken, code: codes[0] } }), 401, 'invalid_code');
    /* An unknown challenge. */
    assertError(await req(srv, 'POST', '/api/auth/mfa', { json: { mfaToken: 'A'.repeat(43), code: codes[1] } }), 401, 'unauthorized');
    const reasons = (await activity('auth.mfa')).filter((e) => e.userEmail === email).map((e) => e.details.reason);
    for (const r of ['wrong_code', 'replayed_code', 'wrong_recovery_code'])
        assert.ok(reasons.includes(r), `${r} audited: ${reasons.join(',')}`);
    const logins = (await activity('auth.login')).filter((e) => e.userEmail === email && e.status === 'success');
    assert.ok(logins.some((e) => e.details.mfa === 'totp'));
    assert.ok(logins.some((e) => e.details.mfa === 'recovery'));
});

test('turning MFA off: own with a code; an admin resets another account', async () => {
    const { token, secret, id } = await enrolled('off@example.com');
    assertError(await req(srv, 'DELETE', '/api/auth/mfa', { token, json: { code: '000000' } }), 401, 'invalid_code');
    /* Too close to the confirmation's step, the current code is a replay: use the next step's. */
    const r = await req(srv, 'DELETE', '/api/auth/mfa', { token, json: { code: totp(secret, Date.now(), 1) } });
    assert.equal(r.status, 204, r.text);
    assert.equal((await login(srv, 'off@example.com', PASSWORD)).user.mfa, false);

    const other = await enrolled('reset@example.com');
    const plain = await createUser(srv, adminToken, { email: 'plain-reset@example.com', password: PASSWORD, role: 'user' });
    const { token: plainToken } = await login(srv, 'plain-reset@example.com', PASSWORD);
    assertError(await req(srv, 'DELETE', `/api/users/${other.id}/mfa`, { token: plainToken }), 403, 'forbidden');
    assert.equal((await req(srv, 'DELETE', `/api/users/${other.id}/mfa`, { token: adminToken })).status, 204);
    assert.equal((await login(srv, 'reset@example.com', PASSWORD)).user.mfa, false);
    assert.equal((await req(srv, 'DELETE', `/api/users/${plain.id}/mfa`, { token: adminToken })).status, 204);
    assertError(await req(srv, 'DELETE', '/api/users/99999/mfa', { token: adminToken }), 404, 'not_found');
    const resets = await activity('mfa.reset');
    assert.ok(resets.some((e) => e.details.targetId === other.id));
});

test('SEAU_MFA_REQUIRED: a manager without MFA may only enrol until it does', async () => {
    const s = await startServer({ env: { SEAU_MFA_REQUIRED: 'admin,manager' } });
    const admin = await login(s, ADMIN.email, ADMIN.password);
    assert.equal(admin.res.body.mfaEnrolmentRequired, true);
    assertError(await req(s, 'GET', '/api/users', { token: admin.token }), 403, 'mfa_enrolment_required');
    const me = await req(s, 'GET', '/api/auth/me', { token: admin.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.mfaEnrolmentRequired, true);
    const setup = await req(s, 'POST', '/api/auth/mfa/setup', { token: admin.token });
    assert.equal(setup.status, 200, setup.text);
    const c = await req(s, 'POST', '/api/auth/mfa/confirm', { token: admin.token, json: { code: totp(setup.body.secret) } });
    assert.equal(c.status, 200, c.text);
    assert.equal((await req(s, 'GET', '/api/users', { token: admin.token })).status, 200);
    assert.equal((await req(s, 'GET', '/api/auth/me', { token: admin.token })).body.mfaEnrolmentRequired, false);
    /* A plain user is not concerned. */
    await createUser(s, admin.token, { email: 'u@example.com', password: PASSWORD, role: 'user' });
    const u = await login(s, 'u@example.com', PASSWORD);
    assert.equal(u.res.body.mfaEnrolmentRequired, false);
    await s.stop();
    /* A role that does not exist is a configuration error. */
    const bad = await startServer({ env: { SEAU_MFA_REQUIRED: 'admin,boss' } }).then(
        () => 'started',
        (e: Error) => e.message,
    );
    assert.match(bad, /SEAU_MFA_REQUIRED/);
});

test('sessions: listed with address and agent; one ended; all others ended', async () => {
    const email = 'sessions@example.com';
    await createUser(srv, adminToken, { email, password: PASSWORD, role: 'user' });
    const a = await login(srv, email, PASSWORD, { 'user-agent': 'Agent A/1.0' });
    const b = await login(srv, email, PASSWORD, { 'user-agent': 'Agent B/2.0' });
    const c = await login(srv, email, PASSWORD, { 'user-agent': 'Agent C/3.0' });
    const list = await req(srv, 'GET', '/api/auth/sessions', { token: a.token });
    assert.equal(list.status, 200, list.text);
    const sessions: Json[] = list.body.sessions;
    assert.equal(sessions.length, 3);
    for (const s of sessions) {
        assert.deepEqual(Object.keys(s).sort(), ['createdAt', 'current', 'id', 'ip', 'lastSeenAt', 'userAgent']);
        assert.equal(s.ip, '127.0.0.1');
    }
    const current = sessions.filter((s) => s.current);
    assert.equal(current.length, 1);
    assert.equal(current[0].userAgent, 'Agent A/1.0');
    const bId = sessions.find((s) => s.userAgent === 'Agent B/2.0').id;
    assert.ok(!JSON.stringify(list.body).includes(b.token), 'never a token');
    assert.equal((await req(srv, 'DELETE', `/api/auth/sessions/${bId}`, { token: a.token })).status, 204);
    assertError(await req(srv, 'GET', '/api/auth/me', { token: b.token }), 401, 'unauthorized');
    assertError(await req(srv, 'DELETE', `/api/auth/sessions/${bId}`, { token: a.token }), 404, 'not_found');
    /* Someone else's session id is not found either. */
    const adminSessions = await req(srv, 'GET', '/api/auth/sessions', { token: adminToken });
    const adminId = adminSessions.body.sessions[0].id;
    assertError(await req(srv, 'DELETE', `/api/auth/sessions/${adminId}`, { token: a.token }), 404, 'not_found');
    assert.equal((await req(srv, 'DELETE', '/api/auth/sessions', { token: a.token })).status, 204);
    assertError(await req(srv, 'GET', '/api/auth/me', { token: c.token }), 401, 'unauthorized');
    assert.equal((await req(srv, 'GET', '/api/auth/me', { token: a.token })).status, 200);
    const after = await req(srv, 'GET', '/api/auth/sessions', { token: a.token });
    assert.equal(after.body.sessions.length, 1);
    assert.ok((await activity('auth.session.end')).some((e) => e.details.sessionId === bId));
    assert.ok((await activity('auth.session.end_others')).some((e) => e.userEmail === email));
});

test('personal access tokens: shown once, used as Bearer, listed with last use, revoked, expired, gone with the user', async () => {
    const email = 'tokens@example.com';
    const u = await createUser(srv, adminToken, { email, password: PASSWORD, role: 'user' });
    const { token } = await login(srv, email, PASSWORD);
    const made = await req(srv, 'POST', '/api/tokens', { token, json: { name: 'backup script', expiresIn: 3600 } });
    assert.equal(made.status, 201, made.text);
    assert.match(made.body.token, /^seau_[A-Za-z0-9_-]{43}$/);
    assert.equal(made.body.name, 'backup script');
    assert.ok(Date.parse(made.body.expiresAt) > Date.now() + 3500_000);
    const me = await req(srv, 'GET', '/api/auth/me', { token: made.body.token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.email, email);
    /* A token cannot make more tokens, nor change the second factor. */
    assertError(await req(srv, 'POST', '/api/tokens', { token: made.body.token, json: { name: 'x' } }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/auth/mfa/setup', { token: made.body.token }), 403, 'forbidden');
    const list = await req(srv, 'GET', '/api/tokens', { token });
    assert.equal(list.body.tokens.length, 1);
    assert.equal(list.body.tokens[0].id, made.body.id);
    assert.ok(list.body.tokens[0].lastUsedAt, 'last use recorded');
    assert.equal(list.body.tokens[0].token, undefined, 'never shown again');
    /* Its owner's current rights: an admin-only route stays closed. */
    assertError(await req(srv, 'GET', '/api/access/explain?userId=1&bucket=abc&action=read', { token: made.body.token }), 403, 'forbidden');
    /* Validation. */
    assert.equal((await req(srv, 'POST', '/api/tokens', { token, json: { name: '' } })).status, 400);
    assert.equal((await req(srv, 'POST', '/api/tokens', { token, json: { name: 'x', expiresIn: -1 } })).status, 400);
    /* Revoked. */
    assert.equal((await req(srv, 'DELETE', `/api/tokens/${made.body.id}`, { token })).status, 204);
    assertError(await req(srv, 'GET', '/api/auth/me', { token: made.body.token }), 401, 'unauthorized');
    assertError(await req(srv, 'DELETE', `/api/tokens/${made.body.id}`, { token }), 404, 'not_found');
    /* Expired. */
    const short = await req(srv, 'POST', '/api/tokens', { token, json: { name: 'short', expiresIn: 1 } });
    assert.equal(short.status, 201, short.text);
    assert.equal((await req(srv, 'GET', '/api/auth/me', { token: short.body.token })).status, 200);
    await sleep(1200);
    assertError(await req(srv, 'GET', '/api/auth/me', { token: short.body.token }), 401, 'unauthorized');
    /* Gone with its owner. */
    const last = await req(srv, 'POST', '/api/tokens', { token, json: { name: 'last' } });
    assert.equal(last.body.expiresAt, null);
    assert.equal((await req(srv, 'DELETE', `/api/users/${u.id}`, { token: adminToken })).status, 204);
    assertError(await req(srv, 'GET', '/api/auth/me', { token: last.body.token }), 401, 'unauthorized');
    const created = await activity('token.create');
    assert.ok(created.some((e) => e.details.tokenId === made.body.id));
    assert.ok(!JSON.stringify(created).includes(made.body.token), 'the token is never audited');
    assert.ok((await activity('token.revoke')).some((e) => e.details.tokenId === made.body.id));
});

test('access explainer: the policy decision with its grant, for admins only', async () => {
    const u = await createUser(srv, adminToken, { email: 'explained@example.com', password: PASSWORD, role: 'user' });
    const put = await req(srv, 'PUT', `/api/users/${u.id}/grants`, {
        token: adminToken,
        json: { grants: [{ bucket: 'team-bucket', prefix: 'reports/' }] },
    });
    assert.equal(put.status, 200, put.text);
    const ask = (q: string) => req(srv, 'GET', `/api/access/explain?${q}`, { token: adminToken });
    const yes = await ask(`userId=${u.id}&bucket=team-bucket&key=reports/q1.pdf&action=read`);
    assert.equal(yes.status, 200, yes.text);
    assert.deepEqual(yes.body.grant, { bucket: 'team-bucket', prefix: 'reports/' });
    assert.equal(yes.body.allowed, true);
    assert.equal(typeof yes.body.reason, 'string');
    const no = await ask(`userId=${u.id}&bucket=team-bucket&key=private/x&action=read`);
    assert.equal(no.body.allowed, false);
    assert.equal(no.body.grant, null);
    assert.match(no.body.reason, /no grant/i);
    const share = await ask(`userId=${u.id}&bucket=team-bucket&key=reports/q1.pdf&action=share`);
    assert.equal(share.body.allowed, false);
    const admin = await ask(`userId=1&bucket=team-bucket&key=x&action=delete`);
    assert.equal(admin.body.allowed, true);
    assert.equal(admin.status, 200);
    assertError(await ask(`userId=${u.id}&bucket=team-bucket&action=rename`), 400, 'validation_failed');
    assertError(await ask(`userId=99999&bucket=team-bucket&action=read`), 404, 'not_found');
    const { token } = await login(srv, 'explained@example.com', PASSWORD);
    assertError(await req(srv, 'GET', `/api/access/explain?userId=${u.id}&bucket=team-bucket&action=read`, { token }), 403, 'forbidden');
});

test('lockout per (account, address): failures from 127.0.0.2 do not block the owner at 127.0.0.1', async () => {
    const email = 'target@example.com';
    const { secret } = await enrolled(email);
    for (let i = 0; i < 3; i++)
        assertError(await loginFrom('127.0.0.2', email, `wrong-password-${i}`), 401, 'invalid_credentials');
    const locked = await loginFrom('127.0.0.2', email, PASSWORD);
    assertError(locked, 429, 'rate_limited');
    assert.match(locked.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    /* The owner, from another address, with the password and the second factor. */
    const first = await loginFrom('127.0.0.1', email, PASSWORD);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.mfaRequired, true);
    const ok = await rawJson('127.0.0.1', 'POST', '/api/auth/mfa', { mfaToken: first.body.mfaToken, code: totp(secret, Date.now(), 1) });
    assert.equal(ok.status, 200, ok.text);
    /* Wrong codes count on the same pair: three from 127.0.0.3 lock that pair, not the owner. */
    const other = await loginFrom('127.0.0.3', email, PASSWORD);
    assert.equal(other.body.mfaRequired, true);
    for (let i = 0; i < 3; i++)
        assertError(await rawJson('127.0.0.3', 'POST', '/api/auth/mfa', { mfaToken: other.body.mfaToken, code: '000000' }), 401, 'invalid_code');
    assertError(await rawJson('127.0.0.3', 'POST', '/api/auth/mfa', { mfaToken: other.body.mfaToken, code: '000001' }), 429, 'rate_limited');
    assertError(await loginFrom('127.0.0.3', email, PASSWORD), 429, 'rate_limited');
    assert.equal((await loginFrom('127.0.0.1', email, PASSWORD)).status, 200);
    const audited = (await activity('auth.login')).filter((e) => e.userEmail === email && e.status === 'failure');
    assert.ok(audited.some((e) => e.ip === '127.0.0.2' && e.details.reason === 'rate_limited'));
});

test('per-address limit across accounts: one address is stopped, others are not', async () => {
    const s = await startServer({ env: { SEAU_LOGIN_MAX_FAILURES_IP: '3' } });
    const addr = (src: string, email: string, password: string) => {
        const data = JSON.stringify({ email, password });
        const url = new URL(s.url);
        return new Promise<number>((resolve, reject) => {
            const r = http.request(
                { host: url.hostname, port: url.port, path: '/api/auth/login', method: 'POST', localAddress: src, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
                (res) => {
                    res.resume();
                    res.on('end', () => resolve(res.statusCode ?? 0));
                },
            );
            r.on('error', reject);
            r.end(data);
        });
    };
    for (let i = 0; i < 3; i++)
        assert.equal(await addr('127.0.0.4', `nobody-${i}@example.com`, 'wrong-password-x'), 401);
    assert.equal(await addr('127.0.0.4', ADMIN.email, ADMIN.password), 429);
    assert.equal(await addr('127.0.0.5', ADMIN.email, ADMIN.password), 200);
    await s.stop();
});
