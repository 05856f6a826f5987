/*
 * PostgreSQL going away under a running Seau, on a private PostgreSQL server
 * (tests/peers/postgres-up.sh in a folder of its own, on a free port), so the
 * shared fixture's server is never stopped under other tests:
 * - while the server is stopped, /api/ready answers 503 with the database
 *   check "failed", and requests that need the store answer 503
 *   upstream_unavailable (never 500, never a crash);
 * - once it is back, Seau recovers by itself: the pool's connections are
 *   opened again, the same session works, and writes go through.
 * Also `seau migrate --to` (README's `seau` table) from a SQLite database into
 * a database of that server, and its refusal of a database that is not empty.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';

import {
    ADMIN, assertError, createUser, freePort, HERE, login, poll, req, requirePrograms, runCli, seauEnv,
    startServer, tempDir, test, type SeauServer,
} from './harness.ts';
import { pgDatabaseUrl, psql } from './store.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const PEERS = path.resolve(HERE, '../peers');
let state = '';
let port = 0;
let serverUrl = '';

/* The cluster belongs to a system user when the tests run as root (postgres-up.sh). */
function pgCtl(args: string[]): void {
    const dir = path.join(state, 'postgres');
    const cmd = [`${PG_BIN}/pg_ctl`, '-D', path.join(dir, 'data'), ...args];
    const asRoot = process.getuid?.() === 0;
    const owner = asRoot ? execFileSync('stat', ['-c', '%U', dir]).toString().trim() : '';
    const [file, argv] = asRoot ? ['runuser', ['-u', owner, '--', ...cmd]] : [cmd[0]!, cmd.slice(1)];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
}

function pgStop(): void {
    pgCtl(['-m', 'fast', '-w', 'stop']);
}

function pgStart(): void {
    const dir = path.join(state, 'postgres');
    pgCtl(['-l', path.join(dir, 'server.log'), '-w', '-t', '30', '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        'start']);
}

function dbUrl(name: string): string {
    return pgDatabaseUrl(serverUrl, name);
}

before(() => {
    requirePrograms(`${PG_BIN}/initdb`, `${PG_BIN}/pg_ctl`, 'psql');
    state = tempDir('seau-it-pg-');
    return freePort().then((p) => {
        port = p;
        execFileSync(path.join(PEERS, 'postgres-up.sh'), [state], {
            env: { ...process.env, SEAU_TEST_PG_PORT: String(port) },
            stdio: ['ignore', 'ignore', 'pipe'],
            timeout: 120_000,
        });
        const m = /SEAU_TEST_DATABASE_URL=(\S+)/.exec(readFileSync(path.join(state, 'postgres.env'), 'utf8'));
        assert.ok(m, 'postgres-up.sh wrote no URL');
        serverUrl = m[1]!;
    });
});

after(() => {
    if (state && statSync(state, { throwIfNoEntry: false }))
        execFileSync(path.join(PEERS, 'postgres-down.sh'), [state], { stdio: 'ignore' });
});

test('requests answer 503 while PostgreSQL is down, also under load, and Seau recovers when it is back', async () => {
    psql(serverUrl, 'CREATE DATABASE seau_down');
    const srv: SeauServer = await startServer({ env: { SEAU_DATABASE_URL: dbUrl('seau_down') } });
    const admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const ready = await req(srv, 'GET', '/api/ready');
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.body.checks.database, 'ok');

    /* A steady load across the stop and the start: every answer is 200 or a 503 in the
     * API's shape (never a 500, never a dropped connection), and the process stays up. */
    let loading = true;
    const seen = new Map<string, number>();
    const load = Promise.all([0, 1, 2, 3].map(async (w) => {
        const paths = ['/api/auth/me', '/api/users', '/api/notifications?limit=5', '/api/activity?limit=5'];
        for (let i = w; loading; i++) {
            let outcome: string;
            try {
                const r = await req(srv, 'GET', paths[i % paths.length]!, { token: admin });
                outcome = r.status === 200 ? '200' : r.status === 503 && r.body?.error?.code === 'upstream_unavailable' ? '503' : `${r.status} ${r.text.slice(0, 120)}`;
            } catch (e) {
                outcome = `no answer: ${(e as Error).message}`;
            }
            seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        }
    }));

    try {
        pgStop();
        try {
            const r = await req(srv, 'GET', '/api/ready');
            const err = assertError(r, 503, 'upstream_unavailable');
            assert.equal(err.details.checks.database, 'failed');
            /*
             * A session read within the last SEAU_SESSION_CACHE (1s) still answers
             * the requests that need nothing else from the store; past it, every
             * request that needs the store answers 503.
             */
            const me = await poll('/api/auth/me to answer 503 once the session cache has expired', async () => {
                const m = await req(srv, 'GET', '/api/auth/me', { token: admin });
                return m.status === 200 ? undefined : m;
            }, 5_000, 100);
            assertError(me, 503, 'upstream_unavailable');
            assertError(await req(srv, 'GET', '/api/users', { token: admin }), 503, 'upstream_unavailable');
            assertError(await req(srv, 'GET', '/api/notifications', { token: admin }), 503, 'upstream_unavailable');
            assertError(await req(srv, 'POST', '/api/auth/login', { json: ADMIN }), 503, 'upstream_unavailable');
            /* The liveness probe does not need the store. */
            assert.equal((await req(srv, 'GET', '/api/health')).status, 200);
            assert.ok(srv.running, 'seau must survive the database going away');
        } finally {
            pgStart();
        }

        /* Back by itself: the first requests after the restart already succeed. */
        await poll('/api/ready to answer 200 again', async () => (await req(srv, 'GET', '/api/ready')).status === 200, 15_000, 100);
        const back = await req(srv, 'GET', '/api/auth/me', { token: admin });
        assert.equal(back.status, 200, back.text);
    } finally {
        loading = false; /* also when an assertion failed: the load must not outlive the test */
        await load;
    }
    assert.deepEqual([...seen.keys()].filter((k) => k !== '200' && k !== '503'), [], JSON.stringify([...seen]));
    assert.ok((seen.get('503') ?? 0) > 0 && (seen.get('200') ?? 0) > 0, JSON.stringify([...seen]));
    const list = await req(srv, 'GET', '/api/users', { token: admin });
    assert.equal(list.status, 200, list.text);
    await createUser(srv, admin, { email: 'after@example.com', password: 'after-password-0123456789', role: 'user' });
    await login(srv, 'after@example.com', 'after-password-0123456789');
    await srv.stop();
});

test('seau migrate --to copies a SQLite database into an empty PostgreSQL one, once', async () => {
    const dir = tempDir();
    const env = seauEnv({ SEAU_DATABASE_URL: `sqlite:${path.join(dir, 'seau.db')}` });
    const add = await runCli(['user', 'add', '--email', 'moved@example.com', '--name', 'Moved', '--role', 'admin',
        '--password-stdin'], { env, input: 'moved-password-0123456789\n' });
    assert.equal(add.code, 0, add.stderr);
    psql(serverUrl, 'CREATE DATABASE seau_moved');
    const to = dbUrl('seau_moved');
    const first = await runCli(['migrate', '--to', to], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /rows copied into/);
    const again = await runCli(['migrate', '--to', to], { env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not empty, so nothing was copied/);

    /* A server on the copy: the account signs in, and the audit chain verifies. */
    const srv = await startServer({ admin: null, env: { SEAU_DATABASE_URL: to } });
    await login(srv, 'moved@example.com', 'moved-password-0123456789');
    await srv.stop();
    const verify = await runCli(['audit', 'verify'], { overrides: { SEAU_DATABASE_URL: to } });
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /intact/);
});

test('seau check and seau serve name what is wrong with a PostgreSQL database in one sentence', async () => {
    const closed = await freePort();
    const newer = 'seau_newer';
    psql(serverUrl, `CREATE DATABASE ${newer}`);
    const migrated = await runCli(['migrate'], { env: seauEnv({ SEAU_DATABASE_URL: dbUrl(newer) }) });
    assert.equal(migrated.code, 0, migrated.stderr);
    psql(dbUrl(newer), "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)");
    const cases: [string, RegExp][] = [
        [`postgres://seau@127.0.0.1:${closed}/postgres`, new RegExp(`port ${closed} failed: Connection refused$`)],
        [dbUrl('no_such_db'), /database "no_such_db" does not exist$/],
        [serverUrl.replace('seau@', 'stranger:hunter2-secret@'), /role "stranger" does not exist$/],
        ['postgres://seau:hunter2-secret@[::1/postgres', /matching "\]" in IPv6 host address$/],
        [dbUrl(newer), /migrated by a newer Seau \(schema 9999; this one knows \d+\): upgrade this one$/],
    ];
    for (const [url, why] of cases) {
        const env = seauEnv({ SEAU_DATABASE_URL: url, SEAU_LISTEN: `127.0.0.1:${await freePort()}` });
        const check = await runCli(['check'], { env });
        assert.equal(check.code, 1, `${url}: ${check.stdout}${check.stderr}`);
        const line = check.stderr.trim();
        assert.equal(line.split('\n').length, 1, line);
        assert.match(line, /^seau: the database \S+ cannot be opened: /);
        assert.match(line, why);
        assert.doesNotMatch(check.stdout + check.stderr, /hunter2/);
        const serve = await runCli(['serve'], { env, timeoutMs: 30_000 });
        assert.equal(serve.code, 1, `${url}: ${serve.stderr}`);
        /* serve finds the newer schema when it migrates, and says so in its own words. */
        assert.match(serve.stderr.trim().split('\n').pop()!, url.endsWith(newer) ? /migrated by a newer version of Seau; upgrade this one/ : why);
        assert.doesNotMatch(serve.stdout + serve.stderr, /hunter2/);
    }
    const ok = await runCli(['check'], { env: seauEnv({ SEAU_DATABASE_URL: serverUrl }) });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^database: (reachable|reachable, schema \d+ of \d+ .*)$/m);
});
