/* The users and grants API and what each role may do with it (API.md "Roles", "Authentication and users"). */
import assert from 'node:assert/strict';
import { before } from 'node:test';

import {
    ADMIN,
    assertError,
    assertFields,
    createUser,
    login,
    req,
    startServer,
    test,
    type Json,
    type SeauServer,
} from './harness.ts';

const PASSWORD = 'user-password-0123456789';

let srv: SeauServer;
let admin: { token: string; id: number };
let manager: { token: string; id: number };
let user: { token: string; id: number };

before(async () => {
    srv = await startServer({ env: { SEAU_LOGIN_MAX_FAILURES_IP: '1000' } });
    const a = await login(srv, ADMIN.email, ADMIN.password);
    admin = { token: a.token, id: a.user.id };
    const m = await createUser(srv, admin.token, { email: 'manager@example.com', password: PASSWORD, role: 'manager' });
    const u = await createUser(srv, admin.token, { email: 'user@example.com', password: PASSWORD, role: 'user' });
    manager = { token: (await login(srv, 'manager@example.com', PASSWORD)).token, id: m.id };
    user = { token: (await login(srv, 'user@example.com', PASSWORD)).token, id: u.id };
});

async function me(token: string): Promise<number> {
    return (await req(srv, 'GET', '/api/auth/me', { token })).status;
}

async function listUsers(): Promise<Json[]> {
    const r = await req(srv, 'GET', '/api/users', { token: admin.token });
    assert.equal(r.status, 200, r.text);
    return r.body.users;
}

test('an admin creates, lists, updates and deletes a user and manages grants', async () => {
    const created = await req(srv, 'POST', '/api/users', {
        token: admin.token,
        json: { email: 'Alice@Example.com', name: 'Alice', password: PASSWORD, role: 'user' },
    });
    assert.equal(created.status, 201, created.text);
    const alice = created.body.user;
    assert.deepEqual(Object.keys(alice).sort(), ['createdAt', 'disabled', 'email', 'id', 'lastLoginAt', 'mfa', 'mustChangePassword', 'name', 'provider', 'role']);
    assert.equal(alice.email, 'alice@example.com', 'emails are stored lower-case');
    assert.equal(alice.name, 'Alice');
    assert.equal(alice.role, 'user');
    assert.equal(alice.disabled, false);
    assert.equal(alice.lastLoginAt, null);
    assert.ok(!created.text.includes(PASSWORD));

    const listed = await listUsers();
    assert.deepEqual(listed.find((u) => u.id === alice.id), alice);
    assert.ok(listed.length >= 4);
    assert.deepEqual(listed.map((u) => u.id), [...listed.map((u) => u.id)].sort((x, y) => x - y));

    const p1 = await req(srv, 'PATCH', `/api/users/${alice.id}`, { token: admin.token, json: { role: 'manager', name: 'Alice B.' } });
    assert.equal(p1.status, 200, p1.text);
    assert.equal(p1.body.user.role, 'manager');
    assert.equal(p1.body.user.name, 'Alice B.');
    const p2 = await req(srv, 'PATCH', `/api/users/${alice.id}`, { token: admin.token, json: { disabled: true } });
    assert.equal(p2.status, 200, p2.text);
    assert.equal(p2.body.user.disabled, true);
    assert.equal(p2.body.user.role, 'manager', 'a partial update keeps the other fields');
    const p3 = await req(srv, 'PATCH', `/api/users/${alice.id}`, { token: admin.token, json: { disabled: false } });
    assert.equal(p3.body.user.disabled, false);
    assert.deepEqual((await listUsers()).find((u) => u.id === alice.id), p3.body.user);

    const g0 = await req(srv, 'GET', `/api/users/${alice.id}/grants`, { token: admin.token });
    assert.equal(g0.status, 200, g0.text);
    assert.deepEqual(g0.body, { grants: [] });
    const g1 = await req(srv, 'PUT', `/api/users/${alice.id}/grants`, {
        token: admin.token,
        json: { grants: [{ bucket: 'photos', prefix: 'team/2024/' }, { bucket: 'docs' }] },
    });
    assert.equal(g1.status, 200, g1.text);
    const expected = [
        { bucket: 'docs', prefix: '' },
        { bucket: 'photos', prefix: 'team/2024/' },
    ];
    const byBucket = (a: Json, b: Json) => a.bucket.localeCompare(b.bucket);
    assert.deepEqual([...g1.body.grants].sort(byBucket), expected);
    const g2 = await req(srv, 'GET', `/api/users/${alice.id}/grants`, { token: admin.token });
    assert.deepEqual([...g2.body.grants].sort(byBucket), expected);

    const del = await req(srv, 'DELETE', `/api/users/${alice.id}`, { token: admin.token });
    assert.equal(del.status, 204, del.text);
    assert.equal(del.text, '');
    assert.equal((await listUsers()).find((u) => u.id === alice.id), undefined);
    assertError(await req(srv, 'DELETE', `/api/users/${alice.id}`, { token: admin.token }), 404, 'not_found');
    assertError(await req(srv, 'PATCH', `/api/users/${alice.id}`, { token: admin.token, json: { name: 'x' } }), 404, 'not_found');
    assertError(await req(srv, 'GET', `/api/users/${alice.id}/grants`, { token: admin.token }), 404, 'not_found');
    assertError(await req(srv, 'PUT', `/api/users/${alice.id}/grants`, { token: admin.token, json: { grants: [] } }), 404, 'not_found');
    assertError(await req(srv, 'PATCH', '/api/users/abc', { token: admin.token, json: { name: 'x' } }), 404, 'not_found');
});

test('a manager may list users but not create, delete, grant or change others', async () => {
    const list = await req(srv, 'GET', '/api/users', { token: manager.token });
    assert.equal(list.status, 200, list.text);
    assert.ok(list.body.users.some((u: Json) => u.email === 'user@example.com'));
    assert.ok(!/hash|argon/i.test(list.text));

    const t = manager.token;
    assertError(await req(srv, 'POST', '/api/users', { token: t, json: { email: 'm2@example.com', name: 'M', password: PASSWORD, role: 'user' } }), 403, 'forbidden');
    assertError(await req(srv, 'DELETE', `/api/users/${user.id}`, { token: t }), 403, 'forbidden');
    assertError(await req(srv, 'GET', `/api/users/${user.id}/grants`, { token: t }), 403, 'forbidden');
    assertError(await req(srv, 'PUT', `/api/users/${user.id}/grants`, { token: t, json: { grants: [{ bucket: 'photos' }] } }), 403, 'forbidden');
    assertError(await req(srv, 'PATCH', `/api/users/${user.id}`, { token: t, json: { name: 'Hijacked' } }), 403, 'forbidden');
    assertError(await req(srv, 'PATCH', `/api/users/${user.id}`, { token: t, json: { password: 'new-password-123456' } }), 403, 'forbidden');
    assertError(await req(srv, 'PATCH', `/api/users/${admin.id}`, { token: t, json: { disabled: true } }), 403, 'forbidden');
    /* Whether another account exists is not revealed: a missing id is 403 too. */
    assertError(await req(srv, 'PATCH', '/api/users/999999', { token: t, json: { name: 'x' } }), 403, 'forbidden');
    /* Nor may a manager raise or disable itself. */
    assertError(await req(srv, 'PATCH', `/api/users/${manager.id}`, { token: t, json: { role: 'admin' } }), 403, 'forbidden');
    assertError(await req(srv, 'PATCH', `/api/users/${manager.id}`, { token: t, json: { disabled: true } }), 403, 'forbidden');

    const after = await listUsers();
    assert.equal(after.find((u) => u.id === user.id)?.name, 'user');
    assert.equal(after.find((u) => u.id === manager.id)?.role, 'manager');
    assert.equal(after.some((u) => u.email === 'm2@example.com'), false);
    assert.equal(await me(user.token), 200, "the user's session survived");
});

test('a user may not list users, manage them, or read the activity log', async () => {
    const t = user.token;
    assertError(await req(srv, 'GET', '/api/users', { token: t }), 403, 'forbidden');
    assertError(await req(srv, 'GET', '/api/activity', { token: t }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/users', { token: t, json: { email: 'u2@example.com', name: 'U', password: PASSWORD, role: 'admin' } }), 403, 'forbidden');
    assertError(await req(srv, 'PATCH', `/api/users/${manager.id}`, { token: t, json: { name: 'x' } }), 403, 'forbidden');
    assertError(await req(srv, 'PATCH', `/api/users/${user.id}`, { token: t, json: { role: 'admin' } }), 403, 'forbidden');
    assertError(await req(srv, 'GET', `/api/users/${user.id}/grants`, { token: t }), 403, 'forbidden');
    assert.equal((await listUsers()).find((u) => u.id === user.id)?.role, 'user');
});

test('everyone may change their own name', async () => {
    for (const [who, name] of [
        [admin, 'Admin Renamed'],
        [manager, 'Manager Renamed'],
        [user, 'Usér Renamed ✓'],
    ] as const) {
        const r = await req(srv, 'PATCH', `/api/users/${who.id}`, { token: who.token, json: { name } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.user.name, name);
        const m = await req(srv, 'GET', '/api/auth/me', { token: who.token });
        assert.equal(m.body.user.name, name);
    }
});

test('changing one\'s own password needs the current one and ends the other sessions', async () => {
    const email = 'self@example.com';
    await createUser(srv, admin.token, { email, password: PASSWORD, role: 'user' });
    const s1 = await login(srv, email, PASSWORD);
    const s2 = await login(srv, email, PASSWORD);
    const id = s1.user.id;
    const next = 'brand-new-password-42';

    const missing = await req(srv, 'PATCH', `/api/users/${id}`, { token: s1.token, json: { password: next } });
    assertFields(missing, ['currentPassword']);
    const wrong = await req(srv, 'PATCH', `/api/users/${id}`, {
        token: s1.token,
        json: { password: next, currentPassword: 'not-my-password-9' },
    });
    assertFields(wrong, ['currentPassword']);
    assert.equal(await me(s2.token), 200, 'a refused change ends nothing');
    await login(srv, email, PASSWORD); /* the old password still works */

    const ok = await req(srv, 'PATCH', `/api/users/${id}`, {
        token: s1.token,
        json: { password: next, currentPassword: PASSWORD },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(!ok.text.includes(next));
    assert.equal(await me(s1.token), 200, 'the session that changed it survives');
    assert.equal(await me(s2.token), 401, 'the other session ended');
    assertError(await req(srv, 'POST', '/api/auth/login', { json: { email, password: PASSWORD } }), 401, 'invalid_credentials');
    await login(srv, email, next);

    /* An admin changing its own password needs the current one as well. */
    assertFields(
        await req(srv, 'PATCH', `/api/users/${admin.id}`, { token: admin.token, json: { password: 'another-password-77' } }),
        ['currentPassword'],
    );
});

test('too many wrong current passwords are refused with 429 and Retry-After', async () => {
    const email = 'guessing@example.com';
    await createUser(srv, admin.token, { email, password: PASSWORD, role: 'user' });
    const s = await login(srv, email, PASSWORD);
    const change = (currentPassword: string) =>
        req(srv, 'PATCH', `/api/users/${s.user.id}`, { token: s.token, json: { password: 'stolen-session-password', currentPassword } });
    /* The per-account limit of failed logins (5 by default) also bounds guesses through a stolen session. */
    for (let i = 0; i < 5; i++)
        assertFields(await change(`guess-number-${i}`), ['currentPassword']);
    const r = await change(PASSWORD);
    assertError(r, 429, 'rate_limited');
    assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'API.md: 429 comes with Retry-After');
});

test('an admin resetting a user\'s password ends all of that user\'s sessions', async () => {
    const email = 'reset@example.com';
    const u = await createUser(srv, admin.token, { email, password: PASSWORD, role: 'manager' });
    const s1 = await login(srv, email, PASSWORD);
    const s2 = await login(srv, email, PASSWORD);
    const next = 'reset-by-admin-password';
    const r = await req(srv, 'PATCH', `/api/users/${u.id}`, { token: admin.token, json: { password: next } });
    assert.equal(r.status, 200, r.text);
    assert.equal(await me(s1.token), 401);
    assert.equal(await me(s2.token), 401);
    assert.equal(await me(admin.token), 200, "the admin's own session is untouched");
    assertError(await req(srv, 'POST', '/api/auth/login', { json: { email, password: PASSWORD } }), 401, 'invalid_credentials');
    await login(srv, email, next);
});

test('disabling a user ends their sessions and blocks sign-in', async () => {
    const email = 'disabled@example.com';
    const u = await createUser(srv, admin.token, { email, password: PASSWORD, role: 'user' });
    const s = await login(srv, email, PASSWORD);
    const r = await req(srv, 'PATCH', `/api/users/${u.id}`, { token: admin.token, json: { disabled: true } });
    assert.equal(r.status, 200, r.text);
    assertError(await req(srv, 'GET', '/api/auth/me', { token: s.token }), 401, 'unauthorized');
    const denied = await req(srv, 'POST', '/api/auth/login', { json: { email, password: PASSWORD } });
    assertError(denied, 401, 'invalid_credentials');
    const wrong = await req(srv, 'POST', '/api/auth/login', { json: { email, password: 'wrong-password-00' } });
    assert.deepEqual(denied.body, wrong.body, 'a disabled account looks like a wrong password');

    const back = await req(srv, 'PATCH', `/api/users/${u.id}`, { token: admin.token, json: { disabled: false } });
    assert.equal(back.status, 200);
    assertError(await req(srv, 'GET', '/api/auth/me', { token: s.token }), 401, 'unauthorized');
    await login(srv, email, PASSWORD);
});

test('deleting a user kills their sessions', async () => {
    const email = 'deleted@example.com';
    const u = await createUser(srv, admin.token, { email, password: PASSWORD, role: 'manager' });
    const s = await login(srv, email, PASSWORD);
    assert.equal(await me(s.token), 200);
    assert.equal((await req(srv, 'DELETE', `/api/users/${u.id}`, { token: admin.token })).status, 204);
    assertError(await req(srv, 'GET', '/api/auth/me', { token: s.token }), 401, 'unauthorized');
    assertError(await req(srv, 'GET', '/api/users', { cookie: s.token }), 401, 'unauthorized');
    assertError(await req(srv, 'POST', '/api/auth/login', { json: { email, password: PASSWORD } }), 401, 'invalid_credentials');
});

test('a duplicate email is a conflict, whatever its case', async () => {
    for (const email of ['user@example.com', 'USER@Example.COM']) {
        const r = await req(srv, 'POST', '/api/users', { token: admin.token, json: { email, name: 'Dup', password: PASSWORD, role: 'user' } });
        const err = assertError(r, 409, 'conflict');
        assert.equal(typeof err.details?.fields?.email, 'string');
    }
    assert.equal((await listUsers()).filter((u) => u.email === 'user@example.com').length, 1);
});

test('validation errors name the fields', async () => {
    const base = { email: 'valid@example.com', name: 'Valid', password: PASSWORD, role: 'user' };
    const create = (body: Json) => req(srv, 'POST', '/api/users', { token: admin.token, json: body });
    assertFields(await create({ ...base, password: 'elevenchars' }), ['password']);
    assertFields(await create({ ...base, password: 'x'.repeat(1025) }), ['password']);
    assertFields(await create({ ...base, role: 'root' }), ['role']);
    assertFields(await create({ ...base, role: 'Admin' }), ['role']);
    for (const email of ['not-an-email', 'two@@example.com', 'space @example.com', '@example.com', 'a@'])
        assertFields(await create({ ...base, email }), ['email']);
    assertFields(await create({ ...base, isAdmin: true }), ['isAdmin']);
    assertFields(await create({ ...base, name: '' }), ['name']);
    assertFields(await create({ ...base, name: 'bad\u0007name' }), ['name']);
    assertFields(await create({ email: 'bad', password: 'short', role: 'god', extra: 1 }), ['email', 'name', 'password', 'role', 'extra']);
    assert.equal((await listUsers()).some((u) => u.email === 'valid@example.com'), false, 'nothing was created');

    /* Lengths at their limits pass, one past is named. */
    assertFields(await create({ ...base, name: 'n'.repeat(201) }), ['name']);
    const local = (n: number) => `${'e'.repeat(n - '@example.com'.length)}@example.com`;
    assertFields(await create({ ...base, email: local(255) }), ['email']);
    const longest = await create({ ...base, email: local(254), name: 'n'.repeat(200), password: 'p'.repeat(1024) });
    assert.equal(longest.status, 201, longest.text);
    assert.equal(longest.body.user.name.length, 200);
    assert.equal(longest.body.user.email.length, 254);

    /* Exactly 12 characters is long enough. */
    const twelve = await create({ ...base, password: 'twelve-chars' });
    assert.equal(twelve.status, 201, twelve.text);

    const patch = (body: Json) => req(srv, 'PATCH', `/api/users/${twelve.body.user.id}`, { token: admin.token, json: body });
    assertFields(await patch({ role: 'superuser' }), ['role']);
    assertFields(await patch({ password: 'elevenchars' }), ['password']);
    assertFields(await patch({ disabled: 'yes' }), ['disabled']);
    assertFields(await patch({ nickname: 'x' }), ['nickname']);
    assertFields(await patch({ name: 42 }), ['name']);
    assertFields(await patch({}), ['body']);
});

test('the last enabled admin cannot be demoted, disabled or deleted', async () => {
    const t = admin.token;
    const path = `/api/users/${admin.id}`;
    assertError(await req(srv, 'PATCH', path, { token: t, json: { role: 'manager' } }), 409, 'conflict');
    assertError(await req(srv, 'PATCH', path, { token: t, json: { disabled: true } }), 409, 'conflict');
    assertError(await req(srv, 'DELETE', path, { token: t }), 409, 'conflict');
    const m = await req(srv, 'GET', '/api/auth/me', { token: t });
    assert.equal(m.body.user.role, 'admin');
    assert.equal(m.body.user.disabled, false);

    /* Only enabled admins count: a disabled second admin does not make the first removable. */
    const second = await createUser(srv, t, { email: 'admin2@example.com', password: PASSWORD, role: 'admin' });
    const off = await req(srv, 'PATCH', `/api/users/${second.id}`, { token: t, json: { disabled: true } });
    assert.equal(off.status, 200, off.text);
    assertError(await req(srv, 'PATCH', path, { token: t, json: { role: 'user' } }), 409, 'conflict');
    /* With another enabled admin, demoting or deleting one is fine. */
    assert.equal((await req(srv, 'PATCH', `/api/users/${second.id}`, { token: t, json: { disabled: false } })).status, 200);
    const demoted = await req(srv, 'PATCH', `/api/users/${second.id}`, { token: t, json: { role: 'user' } });
    assert.equal(demoted.status, 200, demoted.text);
    assert.equal(demoted.body.user.role, 'user');
    assertError(await req(srv, 'DELETE', path, { token: t }), 409, 'conflict');
    assert.equal((await req(srv, 'DELETE', `/api/users/${second.id}`, { token: t })).status, 204);
    assert.equal(await me(t), 200);
});

test('grants are validated as a whole and the field names the bad entry', async () => {
    const path = `/api/users/${user.id}/grants`;
    const put = (body: Json) => req(srv, 'PUT', path, { token: admin.token, json: body });
    const good = await put({ grants: [{ bucket: 'photos', prefix: 'a/' }] });
    assert.equal(good.status, 200, good.text);

    assertFields(await put({ grants: [{ bucket: 'Bad_Bucket' }] }), ['grants[0]']);
    assertFields(await put({ grants: [{ bucket: 'docs' }, { bucket: 'ab' }] }), ['grants[1]']);
    assertFields(await put({ grants: [{ bucket: '-docs' }] }), ['grants[0]']);
    assertFields(await put({ grants: [{ bucket: 'docs', prefix: '../etc/' }] }), ['grants[0]']);
    assertFields(await put({ grants: [{ bucket: 'docs', prefix: '/abs/' }] }), ['grants[0]']);
    assertFields(await put({ grants: [{ bucket: 'docs', prefix: 7 }] }), ['grants[0]']);
    assertFields(await put({ grants: ['docs'] }), ['grants[0]']);
    assertFields(await put({ grants: 'docs' }), ['grants']);
    assertFields(await put({}), ['grants']);
    assertFields(await put({ grants: [], extra: true }), ['extra']);
    const many = Array.from({ length: 257 }, (_, i) => ({ bucket: `bucket-${i}` }));
    assertFields(await put({ grants: many }), ['grants']);

    const still = await req(srv, 'GET', path, { token: admin.token });
    assert.deepEqual(still.body, { grants: [{ bucket: 'photos', prefix: 'a/' }] }, 'a refused change changes nothing');

    const max = Array.from({ length: 256 }, (_, i) => ({ bucket: `bucket-${String(i).padStart(3, '0')}`, prefix: '' }));
    const full = await put({ grants: max });
    assert.equal(full.status, 200, full.text);
    assert.equal((await req(srv, 'GET', path, { token: admin.token })).body.grants.length, 256);
    const cleared = await put({ grants: [] });
    assert.equal(cleared.status, 200, cleared.text);
    assert.deepEqual((await req(srv, 'GET', path, { token: admin.token })).body, { grants: [] });
});

test('the answer to a grants PUT is what is stored, even with duplicate entries', async () => {
    const path = `/api/users/${manager.id}/grants`;
    const dup = await req(srv, 'PUT', path, {
        token: admin.token,
        json: { grants: [{ bucket: 'docs', prefix: 'x/' }, { bucket: 'docs', prefix: 'x/' }] },
    });
    /* Refusing duplicates (400) or storing them once are both fine; answering what was not stored is not. */
    if (dup.status === 400)
        return;
    assert.equal(dup.status, 200, dup.text);
    const stored = await req(srv, 'GET', path, { token: admin.token });
    assert.deepEqual(dup.body, stored.body, 'PUT answered grants that were not stored');
});
