/*
 * Invitations and the first-sign-in password change: an admin invites by
 * email, the one-time link (mailed through a real SMTP server, smtp-server
 * from nodemailer, when SEAU_SMTP_URL is set) lets the person choose a
 * password and signs them in; links work once, expire, and a new one
 * invalidates the old; unknown, used and expired links answer alike. A
 * password an admin chose for someone else must be changed before the
 * session may do anything else.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';

import { SMTPServer } from 'smtp-server';

import {
    ADMIN,
    assertError,
    assertFields,
    login,
    req,
    sleep,
    startServer,
    test,
    type Json,
    type Res,
    type SeauServer,
} from './harness.ts';

const PASSWORD = 'invited-password-0123456789';
const FROM = 'seau@example.com';

interface Mail {
    from: string;
    to: string[];
    data: string;
}

/* The SMTP peer: a real SMTP server (no TLS, no authentication) keeping every message. */
const mails: Mail[] = [];
let smtp: SMTPServer;
let smtpPort = 0;

let srv: SeauServer;
let admin: string;

before(async () => {
    smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, session, callback) {
            const chunks: Buffer[] = [];
            stream.on('data', (c: Buffer) => chunks.push(c));
            stream.on('end', () => {
                mails.push({
                    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                    to: session.envelope.rcptTo.map((r) => r.address),
                    data: Buffer.concat(chunks).toString('utf8'),
                });
                callback();
            });
        },
    });
    /* SEAU_IT_SMTP_PORT when given, else a free port. */
    await new Promise<void>((resolve, reject) => {
        smtp.once('error', reject);
        smtp.listen(Number(process.env.SEAU_IT_SMTP_PORT ?? 0), '127.0.0.1', () => resolve());
    });
    smtpPort = (smtp.server.address() as { port: number }).port;
    srv = await startServer({
        env: {
            SEAU_FORCE_PASSWORD_CHANGE: 'true',
            SEAU_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
            SEAU_SMTP_FROM: FROM,
            SEAU_LOGIN_MAX_FAILURES: '1000',
            SEAU_LOGIN_MAX_FAILURES_IP: '1000',
        },
    });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
});

after(async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

function tokenOf(url: string): string {
    const m = /\/invite#token=([A-Za-z0-9_-]{43})$/.exec(url);
    assert.ok(m, `an invitation URL: ${url}`);
    return m[1]!;
}

async function invite(s: SeauServer, token: string, email: string, role = 'user'): Promise<Res> {
    return req(s, 'POST', '/api/users', { token, json: { email, name: `Name of ${email}`, role, invite: true } });
}

async function actions(s: SeauServer, token: string, action: string): Promise<Json[]> {
    const r = await req(s, 'GET', `/api/activity?action=${action}&limit=1000`, { token });
    assert.equal(r.status, 200, r.text);
    return r.body.entries;
}

function cookieOf(r: Res): string {
    const m = /seau_session=([^;]+)/.exec(r.headers.get('set-cookie') ?? '');
    assert.ok(m, `a session cookie: ${r.headers.get('set-cookie')}`);
    return m[1]!;
}

test('invite, open the link, choose a password: signed in; the mail carries the same link', async () => {
    const r = await invite(srv, admin, 'Ines@Example.com');
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['invitation', 'user']);
    const { user, invitation } = r.body;
    assert.equal(user.email, 'ines@example.com');
    assert.equal(user.mustChangePassword, false);
    assert.equal(invitation.emailed, true);
    assert.ok(invitation.url.startsWith(`${srv.url}/invite#token=`), invitation.url);
    const token = tokenOf(invitation.url);
    const days = (Date.parse(invitation.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, `7 days by default: ${invitation.expiresAt}`);

    /* The mail went through the real SMTP server, to the person, with the link. */
    const mail = mails.find((m) => m.to.includes('ines@example.com'));
    assert.ok(mail, 'the invitation mail arrived');
    assert.equal(mail.from, FROM);
    assert.match(mail.data, /^Subject: Your Seau account \/ Votre compte Seau\r$/m);
    assert.match(mail.data, /^To: <ines@example\.com>\r$/m);
    assert.match(mail.data, /^Content-Type: text\/plain; charset=utf-8\r$/m);
    assert.ok(mail.data.includes(`\r\n${invitation.url}\r\n`), 'the link on a line of its own');
    assert.ok(mail.data.includes('Name of Ines@Example.com'));

    /* Before the link is used, no password signs in (the same 401 as a wrong one). */
    assertError(await req(srv, 'POST', '/api/auth/login', { json: { email: 'ines@example.com', password: 'x' } }), 401, 'invalid_credentials');
    assertError(await req(srv, 'POST', '/api/auth/login', { json: { email: 'ines@example.com', password: PASSWORD } }), 401, 'invalid_credentials');

    /* The page asks what the link is for: public, not cached. */
    const info = await req(srv, 'GET', `/api/invitations/${token}`);
    assert.equal(info.status, 200, info.text);
    assert.deepEqual(info.body, { email: 'ines@example.com', name: 'Name of Ines@Example.com', expiresAt: invitation.expiresAt });
    assert.equal(info.headers.get('cache-control'), 'no-store');

    /* The password rules of everywhere else. */
    assertFields(await req(srv, 'POST', `/api/invitations/${token}`, { json: { password: 'short' } }), ['password']);
    assertFields(await req(srv, 'POST', `/api/invitations/${token}`, { json: {} }), ['password']);
    assertFields(await req(srv, 'POST', `/api/invitations/${token}`, { json: { password: PASSWORD, extra: 1 } }), ['extra']);

    const accepted = await req(srv, 'POST', `/api/invitations/${token}`, { json: { password: PASSWORD } });
    assert.equal(accepted.status, 200, accepted.text);
    assert.deepEqual(Object.keys(accepted.body).sort(), ['expiresAt', 'mfaEnrolmentRequired', 'token', 'user']);
    assert.equal(accepted.body.user.id, user.id);
    assert.equal(accepted.body.user.mustChangePassword, false);
    assert.ok(!accepted.text.includes(PASSWORD));
    /* Signed in: the cookie and the token both work. */
    const cookie = cookieOf(accepted);
    assert.match(accepted.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Lax/);
    const me = await req(srv, 'GET', '/api/auth/me', { cookie });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.email, 'ines@example.com');
    assert.equal((await req(srv, 'GET', '/api/tokens', { token: accepted.body.token })).status, 200);
    /* And the chosen password signs in from now on. */
    await login(srv, 'ines@example.com', PASSWORD);

    /* Audited: created by the admin, accepted by the person, then the sign-in. */
    const created = (await actions(srv, admin, 'user.invitation_created')).find((e) => e.details?.targetId === user.id);
    assert.ok(created, 'user.invitation_created');
    assert.equal(created.userEmail, ADMIN.email);
    const acc = (await actions(srv, admin, 'user.invitation_accepted')).find((e) => e.details?.targetId === user.id);
    assert.ok(acc, 'user.invitation_accepted');
    assert.equal(acc.userEmail, 'ines@example.com');
    assert.equal(acc.status, 'success');
    const logins = (await actions(srv, admin, 'auth.login')).filter((e) => e.userEmail === 'ines@example.com' && e.details?.via === 'invitation');
    assert.equal(logins.length, 1);

    /* No token in the activity log, nor in the server's log; the access log names the pattern. */
    const all = await req(srv, 'GET', '/api/activity?limit=1000', { token: admin });
    assert.ok(!all.text.includes(token));
    await srv.waitForLog('the access log line of the invitation', (l) => l.path === '/api/invitations/{token}' && l.method === 'POST');
    assert.ok(!srv.stderr.includes(token), 'the token is never logged');
});

test('a link works once: the second use, and two at once, get the unknown link\'s answer', async () => {
    const r = await invite(srv, admin, 'once@example.com');
    assert.equal(r.status, 201, r.text);
    const token = tokenOf(r.body.invitation.url);
    const unknown = assertError(await req(srv, 'GET', `/api/invitations/${randomBytes(32).toString('base64url')}`), 404, 'invalid_invitation');

    const both = await Promise.all([
        req(srv, 'POST', `/api/invitations/${token}`, { json: { password: PASSWORD } }),
        req(srv, 'POST', `/api/invitations/${token}`, { json: { password: `${PASSWORD}-other` } }),
    ]);
    const statuses = both.map((b) => b.status).sort();
    assert.deepEqual(statuses, [200, 404], both.map((b) => b.text).join('\n'));
    const loser = both.find((b) => b.status === 404)!;
    assert.deepEqual(assertError(loser, 404, 'invalid_invitation'), unknown);
    const winner = both.find((b) => b.status === 200)!;
    assert.equal(winner.body.user.email, 'once@example.com');

    /* Used: refused alike on both routes, and the chosen password stays. */
    assert.deepEqual(assertError(await req(srv, 'GET', `/api/invitations/${token}`), 404, 'invalid_invitation'), unknown);
    assert.deepEqual(assertError(await req(srv, 'POST', `/api/invitations/${token}`, { json: { password: 'another-password-0000' } }), 404, 'invalid_invitation'), unknown);
    const pw = winner === both[0] ? PASSWORD : `${PASSWORD}-other`;
    await login(srv, 'once@example.com', pw);
});

test('unknown and malformed links are refused identically', async () => {
    const answers = [];
    for (const t of [randomBytes(32).toString('base64url'), 'abc', 'x'.repeat(44), 'x'.repeat(43)])
        answers.push(assertError(await req(srv, 'GET', `/api/invitations/${t}`), 404, 'invalid_invitation'));
    answers.push(assertError(await req(srv, 'POST', `/api/invitations/${randomBytes(32).toString('base64url')}`, { json: { password: PASSWORD } }), 404, 'invalid_invitation'));
    for (const a of answers)
        assert.deepEqual(a, answers[0]);
});

test('a new link invalidates the old one; accounts with a password get none', async () => {
    const r = await invite(srv, admin, 'resend@example.com');
    assert.equal(r.status, 201, r.text);
    const old = tokenOf(r.body.invitation.url);
    const again = await req(srv, 'POST', `/api/users/${r.body.user.id}/invitation`, { token: admin });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.user.id, r.body.user.id);
    assert.equal(again.body.invitation.emailed, true);
    const fresh = tokenOf(again.body.invitation.url);
    assert.notEqual(fresh, old);
    assertError(await req(srv, 'GET', `/api/invitations/${old}`), 404, 'invalid_invitation');
    assertError(await req(srv, 'POST', `/api/invitations/${old}`, { json: { password: PASSWORD } }), 404, 'invalid_invitation');
    assert.equal((await req(srv, 'GET', `/api/invitations/${fresh}`)).status, 200);
    assert.equal(mails.filter((m) => m.to.includes('resend@example.com')).length, 2, 'both links were mailed');
    const resent = (await actions(srv, admin, 'user.invitation_resent')).find((e) => e.details?.targetId === r.body.user.id);
    assert.ok(resent, 'user.invitation_resent');

    assert.equal((await req(srv, 'POST', `/api/invitations/${fresh}`, { json: { password: PASSWORD } })).status, 200);
    /* Now it has a password: no more links (an invitation only sets a first password). */
    assertError(await req(srv, 'POST', `/api/users/${r.body.user.id}/invitation`, { token: admin }), 409, 'conflict');
    assertError(await req(srv, 'POST', '/api/users/999999/invitation', { token: admin }), 404, 'not_found');
    assertError(await req(srv, 'POST', `/api/users/1/invitation`, { token: admin }), 409, 'conflict');
});

test('only admins invite; invitations are validated', async () => {
    const mgr = await req(srv, 'POST', '/api/users', { token: admin, json: { email: 'mgr-inv@example.com', name: 'M', role: 'manager', password: PASSWORD } });
    assert.equal(mgr.status, 201, mgr.text);
    /* An admin-set password: change it first, so that the refusals below are about the role. */
    const m = await login(srv, 'mgr-inv@example.com', PASSWORD);
    const changed = await req(srv, 'PATCH', `/api/users/${mgr.body.user.id}`, { token: m.token, json: { password: `${PASSWORD}-mine`, currentPassword: PASSWORD } });
    assert.equal(changed.status, 200, changed.text);
    assertError(await invite(srv, m.token, 'by-manager@example.com'), 403, 'forbidden');
    const target = await invite(srv, admin, 'target@example.com');
    assertError(await req(srv, 'POST', `/api/users/${target.body.user.id}/invitation`, { token: m.token }), 403, 'forbidden');
    assertError(await req(srv, 'POST', `/api/users/${target.body.user.id}/invitation`), 401, 'unauthorized');

    assertFields(await req(srv, 'POST', '/api/users', { token: admin, json: { email: 'x@example.com', name: 'X', role: 'user', invite: true, password: PASSWORD } }), ['password']);
    assertFields(await req(srv, 'POST', '/api/users', { token: admin, json: { email: 'nope', name: '', role: 'boss', invite: true } }), ['email', 'name', 'role']);
    assertFields(await req(srv, 'POST', '/api/users', { token: admin, json: { email: 'y@example.com', name: 'Y', role: 'user', invite: 'yes', password: PASSWORD } }), ['invite']);
    assertFields(await req(srv, 'POST', '/api/users', { token: admin, json: { email: 'z@example.com', name: 'Z', role: 'user', invite: false } }), ['password']);
    assertError(await invite(srv, admin, 'TARGET@example.com'), 409, 'conflict');
});

test('an admin-set password must be changed before anything else', async () => {
    const created = await req(srv, 'POST', '/api/users', { token: admin, json: { email: 'temp@example.com', name: 'Temp', role: 'user', password: PASSWORD } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.user.id;
    assert.equal(created.body.user.mustChangePassword, true);

    /* Sign-in still works and says so. */
    const s = await login(srv, 'temp@example.com', PASSWORD);
    assert.equal(s.user.mustChangePassword, true);
    const me = await req(srv, 'GET', '/api/auth/me', { token: s.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.mustChangePassword, true);
    /* Everything else: 403 password_change_required, by token and by cookie. */
    for (const [method, path] of [['GET', '/api/tokens'], ['GET', '/api/auth/sessions'], ['GET', '/api/notifications'], ['GET', '/api/stats'], ['POST', '/api/auth/mfa/setup'], ['GET', `/api/users/${id}/grants`]] as const)
        assertError(await req(srv, method, path, { token: s.token }), 403, 'password_change_required');
    assertError(await req(srv, 'GET', '/api/tokens', { cookie: s.token }), 403, 'password_change_required');
    /* Only its own account may be changed; another's id is refused the same way. */
    assertError(await req(srv, 'PATCH', '/api/users/1', { token: s.token, json: { name: 'x' } }), 403, 'password_change_required');
    /* Its own password, with the current one. */
    assertFields(await req(srv, 'PATCH', `/api/users/${id}`, { token: s.token, json: { password: `${PASSWORD}-own` } }), ['currentPassword']);
    const changed = await req(srv, 'PATCH', `/api/users/${id}`, { token: s.token, json: { password: `${PASSWORD}-own`, currentPassword: PASSWORD } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.user.mustChangePassword, false);
    /* The same session may now do the rest. */
    assert.equal((await req(srv, 'GET', '/api/tokens', { token: s.token })).status, 200);
    assert.equal((await req(srv, 'GET', '/api/auth/me', { token: s.token })).body.user.mustChangePassword, false);

    /* An admin resets it: temporary again (and the old sessions end, as before). */
    const reset = await req(srv, 'PATCH', `/api/users/${id}`, { token: admin, json: { password: `${PASSWORD}-reset` } });
    assert.equal(reset.status, 200, reset.text);
    assert.equal(reset.body.user.mustChangePassword, true);
    assertError(await req(srv, 'GET', '/api/tokens', { token: s.token }), 401, 'unauthorized');
    const s2 = await login(srv, 'temp@example.com', `${PASSWORD}-reset`);
    assertError(await req(srv, 'GET', '/api/tokens', { token: s2.token }), 403, 'password_change_required');
    /* Signing out is allowed. */
    assert.equal((await req(srv, 'POST', '/api/auth/logout', { token: s2.token })).status, 204);
    /* An admin changing its own password is not made to change it again. */
    const a = await req(srv, 'GET', '/api/auth/me', { token: admin });
    assert.equal(a.body.user.mustChangePassword, false);
});

test('links expire (SEAU_INVITE_TTL); a mail server that does not answer leaves the link shown', async () => {
    const s = await startServer({
        env: { SEAU_INVITE_TTL: '1s', SEAU_SMTP_URL: 'smtp://127.0.0.1:1', SEAU_SMTP_FROM: FROM },
    });
    const a = (await login(s, ADMIN.email, ADMIN.password)).token;
    const r = await invite(s, a, 'late@example.com');
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.invitation.emailed, false, 'nothing listens on port 1');
    const token = tokenOf(r.body.invitation.url);
    const left = Date.parse(r.body.invitation.expiresAt) - Date.now();
    assert.ok(left <= 1000, `1 s: ${r.body.invitation.expiresAt}`);
    await sleep(Math.max(0, left) + 300);
    const unknown = assertError(await req(s, 'GET', `/api/invitations/${randomBytes(32).toString('base64url')}`), 404, 'invalid_invitation');
    assert.deepEqual(assertError(await req(s, 'GET', `/api/invitations/${token}`), 404, 'invalid_invitation'), unknown);
    assert.deepEqual(assertError(await req(s, 'POST', `/api/invitations/${token}`, { json: { password: PASSWORD } }), 404, 'invalid_invitation'), unknown);
    /* A fresh link works again. */
    const again = await req(s, 'POST', `/api/users/${r.body.user.id}/invitation`, { token: a });
    assert.equal(again.status, 200, again.text);
    const accepted = await req(s, 'POST', `/api/invitations/${tokenOf(again.body.invitation.url)}`, { json: { password: PASSWORD } });
    assert.equal(accepted.status, 200, accepted.text);
});

test('guessing links is throttled like sign-in (per address)', async () => {
    const s = await startServer({ env: { SEAU_LOGIN_MAX_FAILURES: '3' } });
    const a = (await login(s, ADMIN.email, ADMIN.password)).token;
    const r = await invite(s, a, 'guarded@example.com');
    const token = tokenOf(r.body.invitation.url);
    for (let i = 0; i < 3; i++)
        assertError(await req(s, 'GET', `/api/invitations/${randomBytes(32).toString('base64url')}`), 404, 'invalid_invitation');
    /* The window is used up: even the right link waits now. */
    const limited = await req(s, 'GET', `/api/invitations/${token}`);
    assertError(limited, 429, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assertError(await req(s, 'POST', `/api/invitations/${token}`, { json: { password: PASSWORD } }), 429, 'rate_limited');
});

test('the invitation form refuses cross-site posts (login CSRF)', async () => {
    const r = await invite(srv, admin, 'csrf@example.com');
    const token = tokenOf(r.body.invitation.url);
    assertError(await req(srv, 'POST', `/api/invitations/${token}`, { json: { password: PASSWORD }, headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'csrf_rejected');
    assertError(await req(srv, 'POST', `/api/invitations/${token}`, { json: { password: PASSWORD }, headers: { origin: 'https://evil.example' } }), 403, 'csrf_rejected');
    assert.equal((await req(srv, 'GET', `/api/invitations/${token}`)).status, 200, 'still unused');
});
