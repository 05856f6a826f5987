/*
 * Several replicas on one PostgreSQL (README "Several replicas"): three
 * `seau serve` on a fresh database of the test server (CTest's `postgres`
 * fixture; its URL comes in the file SEAU_IT_PG_ENV names). A session
 * opened on one replica works on the others (sessions live in the store); a
 * change made through one replica reaches a WebSocket client of another
 * within a second (NOTIFY, then the other's listener); exactly one replica
 * runs the singletons, and when it is killed with SIGKILL another takes them
 * over and says so in its log.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { WsClient } from './events-ws.ts';
import { pgDatabaseUrl, pgServerUrl, psql } from './store.ts';
import { ADMIN, createUser, login, poll, req, startServer, test, type Json, type SeauServer } from './harness.ts';

const LEADS = 'this replica now runs the singletons';

const server = pgServerUrl();
const dbName = `seau_it_replicas_${process.pid}`;
const dbUrl = pgDatabaseUrl(server, dbName);
let replicas: SeauServer[] = [];

function leads(s: SeauServer): boolean {
    return s.logLines().some((l: Json) => l.msg === LEADS);
}

before(async () => {
    psql(server, `DROP DATABASE IF EXISTS ${dbName}`);
    psql(server, `CREATE DATABASE ${dbName}`);
    /* One after the other: the first migrates and creates the admin, the others find them. */
    for (let i = 0; i < 3; i++)
        replicas.push(await startServer({ env: { SEAU_DATABASE_URL: dbUrl } }));
});

after(async () => {
    for (const s of replicas)
        if (s.running)
            await s.stop();
    psql(server, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
});

test('a change made through one replica reaches a WebSocket client of another within a second', async () => {
    const [a, b] = replicas as [SeauServer, SeauServer];
    const admin = (await login(a, ADMIN.email, ADMIN.password)).token;
    /* The session lives in the store: replica B knows it. */
    const me = await req(b, 'GET', '/api/auth/me', { token: admin });
    assert.equal(me.status, 200, me.text);
    const ws = await WsClient.connect(a.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` });
    /* Timed from B's answer: hashing the new password takes seconds under the sanitizers, and
     * B publishes the change once it is made. */
    await createUser(b, admin, { email: 'across@example.com', password: 'across-password-0123456789', role: 'user' });
    const answered = Date.now();
    const notes = await ws.waitNotes(1, 'the account event from the other replica', 5000);
    const took = Date.now() - answered;
    assert.equal(notes[0].type, 'user');
    assert.match(notes[0].message, /created the account across@example\.com/);
    assert.ok(took < 1000, `delivered after ${took} ms`);
    /* Once: the writer's own NOTIFY and the timer do not deliver it twice. */
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(ws.messages.length, 1, ws.messages.join('\n'));
    /* The replica that made the change delivers it to its own clients the same way. */
    const wsb = await WsClient.connect(b.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` });
    await createUser(a, admin, { email: 'back@example.com', password: 'back-password-0123456789', role: 'user' });
    assert.match((await wsb.waitNotes(1, 'the account event on replica B', 5000))[0].message, /back@example\.com/);
    assert.match((await ws.waitNotes(2, 'the second account event on replica A', 5000))[1].message, /back@example\.com/);
    for (const w of [ws, wsb])
        w.socket.destroy();
});

test('one replica runs the singletons; when it is killed another takes over', async () => {
    /* The first replica took the lock when it started; the others stay followers. */
    await poll('a leader', () => replicas.filter(leads).length === 1, 10_000);
    const leader = replicas.find(leads)!;
    const followers = replicas.filter((s) => s !== leader);
    await new Promise((r) => setTimeout(r, 4000)); /* more than one retry period */
    assert.equal(replicas.filter(leads).length, 1, 'two replicas lead at once');
    leader.kill('SIGKILL');
    await leader.exited;
    leader.markChecked();
    const killedAt = Date.now();
    await poll('another replica to take the singletons over', () => followers.some(leads), 30_000);
    assert.ok(Date.now() - killedAt < 30_000);
    assert.equal(followers.filter(leads).length, 1, 'exactly one follower takes over');
    replicas = followers;
}, { timeout: 60_000 });
