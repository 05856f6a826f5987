/* The activity log (GET /api/activity) and its hash chain (`seau audit verify`). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before } from 'node:test';

import {
    ADMIN,
    assertError,
    assertFields,
    login,
    rawRequest,
    req,
    runCli,
    seauEnv,
    copyStore,
    STORE,
    storeQuery,
    startServer,
    tempDir,
    test,
    type Json,
    type ReqOptions,
    type SeauServer,
} from './harness.ts';

const UA = 'seau-integration/audit (+https://example.com/ua)';
const PASSWORD = 'user-password-0123456789';
const NEW_PASSWORD = 'changed-password-987654';
const WRONG_PASSWORD = 'wrong-password-xyzzy-1';
/* Every password this file sends; none may ever show up in the log. */
const SECRETS = [ADMIN.password, PASSWORD, NEW_PASSWORD, WRONG_PASSWORD];

let srv: SeauServer;
let adminToken: string;
let adminId: number;
let created: Json;
let managerToken: string;
let userToken: string;

function call(method: string, p: string, o: ReqOptions = {}) {
    return req(srv, method, p, { ...o, headers: { 'user-agent': UA, ...(o.headers ?? {}) } });
}

async function activity(query = '', token = adminToken): Promise<Json> {
    const r = await call('GET', `/api/activity${query}`, { token });
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.body.entries), r.text);
    return r.body;
}

before(async () => {
    srv = await startServer();
    /* Entry 1 is the first admin, created at start-up; then, in order: */
    const ok = await call('POST', '/api/auth/login', { json: { email: ADMIN.email, password: ADMIN.password } });
    assert.equal(ok.status, 200, ok.text); /* 2: auth.login success */
    adminToken = ok.body.token;
    adminId = ok.body.user.id;
    const bad = await call('POST', '/api/auth/login', { json: { email: ADMIN.email, password: WRONG_PASSWORD } });
    assert.equal(bad.status, 401); /* 3: auth.login failure (wrong_password) */
    const unknown = await call('POST', '/api/auth/login', { json: { email: 'ghost@example.com', password: WRONG_PASSWORD } });
    assert.equal(unknown.status, 401); /* 4: auth.login failure (unknown_email) */
    const c = await call('POST', '/api/users', {
        token: adminToken,
        json: { email: 'carol@example.com', name: 'Carol', password: PASSWORD, role: 'user' },
    });
    assert.equal(c.status, 201, c.text); /* 5: user.create */
    created = c.body.user;
    const u = await call('PATCH', `/api/users/${created.id}`, { token: adminToken, json: { name: 'Carol C.', role: 'manager' } });
    assert.equal(u.status, 200, u.text); /* 6: user.update */
    const pw = await call('PATCH', `/api/users/${created.id}`, { token: adminToken, json: { password: NEW_PASSWORD } });
    assert.equal(pw.status, 200, pw.text); /* 7: user.update (password) */
    const g = await call('PUT', `/api/users/${created.id}/grants`, {
        token: adminToken,
        json: { grants: [{ bucket: 'photos', prefix: 'carol/' }] },
    });
    assert.equal(g.status, 200, g.text); /* 8: grants.update */
    const cs = await call('POST', '/api/auth/login', { json: { email: 'carol@example.com', password: NEW_PASSWORD } });
    assert.equal(cs.status, 200, cs.text); /* 9: auth.login success (carol) */
    const lo = await call('POST', '/api/auth/logout', { token: cs.body.token });
    assert.equal(lo.status, 204); /* 10: auth.logout (carol) */
    const d = await call('DELETE', `/api/users/${created.id}`, { token: adminToken });
    assert.equal(d.status, 204); /* 11: user.delete */

    /* Readers for the role checks (entries 12-15). */
    for (const [email, role] of [['mgr@example.com', 'manager'], ['usr@example.com', 'user']]) {
        const r = await call('POST', '/api/users', { token: adminToken, json: { email, name: role, password: PASSWORD, role } });
        assert.equal(r.status, 201, r.text);
    }
    managerToken = (await login(srv, 'mgr@example.com', PASSWORD)).token;
    userToken = (await login(srv, 'usr@example.com', PASSWORD)).token;
});

test('the activity log lists what happened, newest first, with actor, address, agent and status', async () => {
    const { entries, nextCursor } = await activity('?limit=1000');
    assert.equal(nextCursor, null);
    const ids = entries.map((e: Json) => e.id);
    assert.deepEqual(ids, [...ids].sort((a: number, b: number) => b - a), 'newest first');
    assert.deepEqual([...ids].reverse(), Array.from({ length: ids.length }, (_, i) => i + 1), 'ids are 1..n');
    for (const e of entries) {
        assert.deepEqual(
            Object.keys(e).sort(),
            ['action', 'bucket', 'details', 'id', 'ip', 'key', 'status', 'time', 'userAgent', 'userEmail', 'userId'].filter(
                (k) => k in e,
            ),
        );
        for (const k of ['id', 'time', 'userId', 'userEmail', 'action', 'ip', 'userAgent', 'status', 'details'])
            assert.ok(k in e, `entry ${e.id} has ${k}: ${JSON.stringify(e)}`);
        assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(e.status === 'success' || e.status === 'failure', e.status);
        assert.equal(typeof e.details, 'object');
    }
    const byId = (id: number) => entries.find((e: Json) => e.id === id);
    const want: Array<[number, string, string, string | null]> = [
        [1, 'user.create', 'success', 'system'],
        [2, 'auth.login', 'success', ADMIN.email],
        [3, 'auth.login', 'failure', ADMIN.email],
        [4, 'auth.login', 'failure', 'ghost@example.com'],
        [5, 'user.create', 'success', ADMIN.email],
        [6, 'user.update', 'success', ADMIN.email],
        [7, 'user.update', 'success', ADMIN.email],
        [8, 'grants.update', 'success', ADMIN.email],
        [9, 'auth.login', 'success', 'carol@example.com'],
        [10, 'auth.logout', 'success', 'carol@example.com'],
        [11, 'user.delete', 'success', ADMIN.email],
    ];
    for (const [id, action, status, email] of want) {
        const e = byId(id);
        assert.ok(e, `entry ${id}`);
        assert.equal(e.action, action, `entry ${id}: ${JSON.stringify(e)}`);
        assert.equal(e.status, status, `entry ${id}: ${JSON.stringify(e)}`);
        assert.equal(e.userEmail, email, `entry ${id}: ${JSON.stringify(e)}`);
        if (id >= 2) {
            assert.equal(e.ip, '127.0.0.1', `entry ${id}`);
            assert.equal(e.userAgent, UA, `entry ${id}`);
        }
    }
    assert.equal(byId(2).userId, adminId);
    assert.equal(byId(3).userId, adminId, 'a failed login names the account it targeted');
    assert.equal(byId(4).userId, null, 'an unknown email has no account');
    assert.equal(byId(3).details.reason, 'wrong_password');
    assert.equal(byId(4).details.reason, 'unknown_email');
    assert.deepEqual(byId(5).details, { email: 'carol@example.com', role: 'user' });
    assert.equal(byId(6).details.targetId, created.id);
    assert.deepEqual([...byId(6).details.changed].sort(), ['name', 'role']);
    assert.deepEqual(byId(7).details.changed, ['password']);
    assert.deepEqual(byId(8).details.grants, [{ bucket: 'photos', prefix: 'carol/' }]);
    assert.equal(byId(9).userId, created.id);
    assert.equal(byId(11).details.targetEmail, 'carol@example.com');
    assert.equal(byId(11).details.targetId, created.id);

    const text = JSON.stringify(entries);
    for (const secret of SECRETS)
        assert.ok(!text.includes(secret), `the activity log must never hold a password (${secret})`);
    assert.ok(!/argon2|\$v=19/.test(text), 'nor a password hash');
});

test('a manager may read the activity log, a user may not', async () => {
    const m = await call('GET', '/api/activity?limit=5', { token: managerToken });
    assert.equal(m.status, 200, m.text);
    assert.equal(m.body.entries.length, 5);
    assertError(await call('GET', '/api/activity', { token: userToken }), 403, 'forbidden');
    assertError(await call('GET', '/api/activity'), 401, 'unauthorized');
});

test('refused changes are recorded as failures', async () => {
    const before = (await activity('?limit=1')).entries[0].id;
    const r = await call('PATCH', `/api/users/${adminId}`, { token: managerToken, json: { name: 'Mallory' } });
    assertError(r, 403, 'forbidden');
    const { entries } = await activity('?limit=1');
    assert.equal(entries[0].id, before + 1);
    assert.equal(entries[0].action, 'user.update');
    assert.equal(entries[0].status, 'failure');
    assert.equal(entries[0].userEmail, 'mgr@example.com');
    assert.equal(entries[0].details.targetId, adminId);
    assert.equal(entries[0].details.error, 'forbidden');
});

test('filters by action, user, bucket and time', async () => {
    const all = (await activity('?limit=1000')).entries as Json[];

    const logins = (await activity('?action=auth.login&limit=1000')).entries as Json[];
    assert.deepEqual(logins.map((e) => e.id), all.filter((e) => e.action === 'auth.login').map((e) => e.id));
    assert.ok(logins.length >= 5);

    const byEmail = (await activity(`?user=${encodeURIComponent('CAROL@example.com')}&limit=1000`)).entries as Json[];
    assert.deepEqual(byEmail.map((e) => e.id), [10, 9], 'the email filter is case-insensitive');
    const byId = (await activity(`?user=${adminId}&limit=1000`)).entries as Json[];
    assert.deepEqual(byId.map((e) => e.id), all.filter((e) => e.userId === adminId).map((e) => e.id));
    assert.ok(byId.length >= 7 && byId.every((e) => e.userEmail === ADMIN.email));
    const both = (await activity(`?user=${encodeURIComponent(ADMIN.email)}&action=auth.login`)).entries as Json[];
    assert.deepEqual(both.map((e) => e.id).sort((a, b) => a - b), [2, 3]);
    assert.deepEqual((await activity('?action=no.such.action')).entries, []);
    assert.deepEqual((await activity('?bucket=photos')).entries, []);

    const pivot = all.find((e) => e.id === 6)!;
    const t = Date.parse(pivot.time);
    const since = (await activity(`?since=${encodeURIComponent(pivot.time)}&limit=1000`)).entries as Json[];
    assert.deepEqual(since.map((e) => e.id), all.filter((e) => Date.parse(e.time) >= t).map((e) => e.id));
    assert.ok(since.some((e) => e.id === 6), 'since is inclusive');
    /* The same instant written with an offset means the same. */
    const shifted = new Date(t + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    const sinceOffset = (await activity(`?since=${encodeURIComponent(shifted)}&limit=1000`)).entries as Json[];
    assert.deepEqual(sinceOffset.map((e) => e.id), since.map((e) => e.id), `since=${shifted}`);
    const until = (await activity(`?until=${encodeURIComponent(pivot.time)}&limit=1000`)).entries as Json[];
    assert.deepEqual(until.map((e) => e.id), all.filter((e) => Date.parse(e.time) < t).map((e) => e.id));
    assert.ok(!until.some((e) => e.id === 6), 'until is exclusive');
    assert.ok(until.some((e) => e.id === 1));
    const future = new Date(Date.now() + 3600_000).toISOString();
    assert.deepEqual((await activity(`?since=${encodeURIComponent(future)}`)).entries, []);

    assertFields(await call('GET', '/api/activity?since=yesterday', { token: adminToken }), ['since']);
    assertFields(await call('GET', '/api/activity?until=2026-13-45T00:00:00Z', { token: adminToken }), ['until']);
    assertFields(await call('GET', '/api/activity?limit=0', { token: adminToken }), ['limit']);
    assertFields(await call('GET', '/api/activity?limit=1001', { token: adminToken }), ['limit']);
    assertFields(await call('GET', '/api/activity?limit=ten', { token: adminToken }), ['limit']);
    assertFields(await call('GET', '/api/activity?cursor=not-a-cursor', { token: adminToken }), ['cursor']);
});

test("a deleted user's id is never given to a new account, so the log cannot mix them up", async () => {
    const mk = async (email: string) => {
        const r = await call('POST', '/api/users', { token: adminToken, json: { email, name: email, password: PASSWORD, role: 'user' } });
        assert.equal(r.status, 201, r.text);
        return r.body.user;
    };
    const dave = await mk('dave@example.com');
    await login(srv, 'dave@example.com', PASSWORD);
    assert.equal((await call('DELETE', `/api/users/${dave.id}`, { token: adminToken })).status, 204);
    const erin = await mk('erin@example.com');
    const erinsHistory = (await activity(`?user=${erin.id}`)).entries as Json[];
    assert.deepEqual(
        erinsHistory.map((e) => `${e.id} ${e.action} ${e.userEmail}`),
        [],
        'a new account has no history; entries of the deleted account must not be attributed to it',
    );
    assert.notEqual(erin.id, dave.id, `the deleted account's id ${dave.id} was reused`);
});

test('cursor paging with limit=2 walks every entry once, in order', async () => {
    const all = ((await activity('?limit=1000')).entries as Json[]).map((e) => e.id);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
        const q: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await activity(q);
        assert.ok(page.entries.length <= 2);
        assert.ok(page.entries.length > 0, 'no empty page');
        seen.push(...page.entries.map((e: Json) => e.id));
        cursor = page.nextCursor;
        assert.ok(cursor === null || (typeof cursor === 'string' && cursor.length > 0));
        pages++;
        assert.ok(pages <= all.length, 'paging terminates');
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    assert.deepEqual(seen, all);
    assert.equal(pages, Math.ceil(all.length / 2));

    /* Filters apply across pages too. */
    const logins: number[] = [];
    cursor = null;
    do {
        const page = await activity(`?action=auth.login&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        logins.push(...page.entries.map((e: Json) => e.id));
        cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(logins, ((await activity('?action=auth.login&limit=1000')).entries as Json[]).map((e) => e.id));
});

test('concurrent changes each get their own entry and the chain stays whole', async () => {
    const first = (await activity('?limit=1')).entries[0].id as number;
    const work: Array<Promise<{ status: number }>> = [];
    for (let i = 0; i < 24; i++)
        work.push(call('PATCH', `/api/users/${adminId}`, { token: adminToken, json: { name: `Admin ${i}` } }));
    for (let i = 0; i < 4; i++)
        work.push(call('POST', '/api/auth/login', { json: { email: `racer-${i}@example.com`, password: WRONG_PASSWORD } }));
    const statuses = (await Promise.all(work)).map((r) => r.status);
    assert.deepEqual(statuses, [...Array(24).fill(200), ...Array(4).fill(401)]);
    const newer = ((await activity('?limit=1000')).entries as Json[]).filter((e) => e.id > first);
    assert.deepEqual(newer.map((e) => e.id), Array.from({ length: 28 }, (_, i) => first + 28 - i));
    assert.equal(newer.filter((e) => e.action === 'user.update').length, 24);
    assert.equal(newer.filter((e) => e.action === 'auth.login' && e.status === 'failure').length, 4);
    const v = await runCli(['audit', 'verify'], { env: srv.env });
    assert.equal(v.code, 0, v.stdout + v.stderr);
});

test('an attempt with a User-Agent that is not UTF-8 is still shown in the activity log', async () => {
    const body = JSON.stringify({ email: ADMIN.email, password: WRONG_PASSWORD });
    const r = await rawRequest(
        srv.port,
        Buffer.from(
            `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nUser-Agent: brute\xff\xfeforcer\r\n` +
                `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
            'latin1',
        ),
    );
    assert.equal(r.status, 401);
    const stored = Number((await storeQuery(srv.databaseUrl, 'SELECT max(id) FROM audit_log;')).trim());
    const { entries } = await activity('?limit=5');
    assert.equal(
        entries[0]?.id,
        stored,
        `entry ${stored} (the failed login) is in the database but the activity log hides it; newest shown: ${entries
            .map((e: Json) => `${e.id} ${e.action}`)
            .join(', ')}`,
    );
    assert.equal(entries[0].status, 'failure');
    assert.match(entries[0].userAgent, /^brute.*forcer$/);
});

test('seau audit verify finds the chain intact while the server runs', async () => {
    const newest = Number((await storeQuery(srv.databaseUrl, 'SELECT max(id) FROM audit_log;')).trim());
    assert.ok(newest > 20);
    const r = await runCli(['audit', 'verify'], { env: srv.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const m = /audit log intact: (\d+) entries verified/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(Number(m[1]), newest);
});

test('seau audit verify names the first tampered entry', async () => {
    await srv.stop();
    const env = (db: string) => seauEnv({ SEAU_DATABASE_URL: db });
    const verify = (db: string) => runCli(['audit', 'verify'], { env: env(db) });
    const original = srv.databaseUrl;

    const clean = await verify(original);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /intact/);

    /* Two copies of the untouched database, one per kind of tampering. */
    const dir = tempDir();
    const edited = copyStore(original, dir, 'edited');
    const deleted = copyStore(original, dir, 'deleted');

    /* The append-only triggers stop casual edits... */
    await assert.rejects(storeQuery(edited, "UPDATE audit_log SET details='{}' WHERE id=3;"), /append-only/);
    await assert.rejects(storeQuery(deleted, 'DELETE FROM audit_log WHERE id=5;'), /append-only/);

    /* ...and the hash chain catches the rest. */
    const dropUpdateTrigger = STORE === 'sqlite' ? 'DROP TRIGGER audit_log_no_update;' : 'DROP TRIGGER audit_log_no_update ON audit_log;';
    const dropDeleteTrigger = STORE === 'sqlite' ? 'DROP TRIGGER audit_log_no_delete;' : 'DROP TRIGGER audit_log_no_update ON audit_log;';
    assert.notEqual((await storeQuery(edited, 'SELECT details FROM audit_log WHERE id=3;')).trim(), '{}');
    await storeQuery(edited, `${dropUpdateTrigger} UPDATE audit_log SET details='{}' WHERE id=3;`);
    const e = await verify(edited);
    assert.equal(e.code, 1, e.stdout + e.stderr);
    assert.match(e.stdout, /BROKEN at entry 3\b/);
    assert.match(e.stdout, /content does not match/);

    await storeQuery(deleted, `${dropDeleteTrigger} DELETE FROM audit_log WHERE id=5;`);
    const d = await verify(deleted);
    assert.equal(d.code, 1, d.stdout + d.stderr);
    assert.match(d.stdout, /BROKEN at entry 6\b/);
    assert.match(d.stdout, /missing/);

    /* The original is still intact. */
    assert.equal((await verify(original)).code, 0);
});
