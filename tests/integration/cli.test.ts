/* The command line: version, help, check, migrate, user add/list, and serve's first admin. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import {
    assertError,
    freePort,
    HERE,
    login,
    req,
    runCli,
    seauEnv,
    startServer,
    tempDir,
    test,
    type CliResult,
} from './harness.ts';
import { databaseUrlFor } from './store.ts';

/** A clean environment on a new database in a new directory. */
function freshEnv(overrides: Record<string, string | undefined> = {}) {
    const dir = tempDir();
    const dbUrl = databaseUrlFor(dir);
    return { dir, dbUrl, env: seauEnv({ SEAU_DATABASE_URL: dbUrl, ...overrides }) };
}

function ok(r: CliResult, what: string): void {
    assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
}

test('seau version prints the version', async () => {
    const r = await runCli(['version']);
    ok(r, 'seau version');
    assert.match(r.stdout, /^seau \d+\.\d+\.\d+\n$/);
    const alias = await runCli(['--version']);
    assert.equal(alias.stdout, r.stdout);
});

test('--help of every command exits 0 and shows its usage', async () => {
    const cases: Array<[string[], RegExp]> = [
        [['--help'], /Usage: seau <command>/],
        [['help'], /Usage: seau <command>/],
        [['serve', '--help'], /Usage: seau serve/],
        [['migrate', '--help'], /Usage: seau migrate/],
        [['check', '--help'], /Usage: seau check/],
        [['user', '--help'], /seau user add --email E --name N --role/],
        [['user', 'add', '--help'], /seau user add/],
        [['user', 'list', '--help'], /seau user list/],
        [['audit', '--help'], /Usage: seau audit verify/],
        [['audit', 'verify', '--help'], /Usage: seau audit verify/],
    ];
    for (const [args, usage] of cases) {
        const r = await runCli(args);
        ok(r, `seau ${args.join(' ')}`);
        assert.match(r.stdout, usage, `seau ${args.join(' ')}`);
        if (args[0] !== '--help' && args[0] !== 'help')
            assert.match(r.stdout, /SEAU_LISTEN/, `seau ${args.join(' ')} lists the configuration`);
    }
    /* -h works too. */
    assert.match((await runCli(['check', '-h'])).stdout, /Usage: seau check/);
});

test('usage errors exit 2', async () => {
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: seau <command>/);
    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assert.equal((await runCli(['user'])).code, 2);
    assert.equal((await runCli(['user', 'remove'])).code, 2);
    assert.equal((await runCli(['audit'])).code, 2);
    const flag = await runCli(['check', '--no-such-option=1']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--no-such-option=1'/);
});

test('seau check names every bad setting at once and exits 2', async () => {
    const { env } = freshEnv({
        SEAU_LISTEN: 'nope',
        SEAU_LOG_LEVEL: 'loud',
        SEAU_SESSION_MAX_AGE: 'forever',
        SEAU_LOGIN_MAX_FAILURES: '0',
        SEAU_PUBLIC_URL: 'ftp://files.example.com',
    });
    const r = await runCli(['check'], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /5 problems/);
    assert.match(r.stderr, /SEAU_LISTEN='nope'/);
    assert.match(r.stderr, /SEAU_LOG_LEVEL='loud'/);
    assert.match(r.stderr, /SEAU_SESSION_MAX_AGE='forever'/);
    assert.match(r.stderr, /SEAU_LOGIN_MAX_FAILURES='0'/);
    assert.match(r.stderr, /SEAU_PUBLIC_URL='ftp:\/\/files.example.com'/);
    assert.doesNotMatch(r.stdout, /The configuration is valid/);

    /* Flags win over the environment, and are checked the same way. */
    const flags = await runCli(['check', '--listen', 'also-bad', '--log-level=verbose'], { env: freshEnv().env });
    assert.equal(flags.code, 2);
    assert.match(flags.stderr, /2 problems/);
    assert.match(flags.stderr, /SEAU_LISTEN='also-bad'/);
    assert.match(flags.stderr, /SEAU_LOG_LEVEL='verbose'/);

    /* serve refuses the same configuration without starting. */
    const serve = await runCli(['serve'], { env });
    assert.equal(serve.code, 2);
    assert.match(serve.stderr, /SEAU_LISTEN='nope'/);
});

test('seau check accepts a valid configuration and never prints the admin password', async () => {
    const secret = 'very-secret-admin-password-31337';
    const { env, dbUrl } = freshEnv({
        SEAU_LISTEN: '127.0.0.1:9999',
        SEAU_ADMIN_EMAIL: 'root@example.com',
        SEAU_ADMIN_PASSWORD: secret,
        SEAU_SESSION_MAX_AGE: '30d',
        SEAU_LOG_LEVEL: 'warn',
    });
    const r = await runCli(['check'], { env });
    ok(r, 'seau check');
    assert.match(r.stdout, /The configuration is valid\./);
    assert.match(r.stdout, /^SEAU_LISTEN=127\.0\.0\.1:9999$/m);
    assert.ok(r.stdout.includes(`SEAU_DATABASE_URL=${dbUrl}\n`));
    assert.match(r.stdout, /^SEAU_SESSION_MAX_AGE=30d$/m);
    assert.match(r.stdout, /^SEAU_ADMIN_PASSWORD=\(set, redacted\)$/m);
    assert.ok(!(r.stdout + r.stderr).includes(secret), 'the admin password is never printed');

    /* A short admin password is a problem, named without its value. */
    const short = await runCli(['check'], { env: { ...env, SEAU_ADMIN_PASSWORD: 'tiny-secret' } });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /SEAU_ADMIN_PASSWORD must be at least 12 characters/);
    assert.ok(!(short.stdout + short.stderr).includes('tiny-secret'));
});

test('seau migrate is idempotent', async () => {
    const { env, dbUrl } = freshEnv();
    const first = await runCli(['migrate'], { env });
    ok(first, 'seau migrate');
    // As many as the source tree holds: a new migration must not break this test.
    const migrations = readdirSync(path.join(HERE, '../../src/db/migrations/sqlite'))
        .filter((f) => f.endsWith('.sql')).length;
    assert.ok(migrations >= 1);
    const applied = `${migrations} migration${migrations === 1 ? '' : 's'} applied`;
    assert.ok(first.stdout.includes(`${dbUrl}: ${applied}`), first.stdout);
    for (let i = 0; i < 2; i++) {
        const again = await runCli(['migrate'], { env });
        ok(again, 'seau migrate (again)');
        assert.ok(again.stdout.includes(`${dbUrl}: 0 migrations applied; the schema is current.`), again.stdout);
    }
});

test('seau user add and list, then sign in with those accounts', async () => {
    const { env, dir } = freshEnv();
    const password = 'stdin-password-0123456';
    const a = await runCli(['user', 'add', '--email', 'Reader@Example.com', '--name', 'Rita Reader', '--role', 'user', '--password-stdin'], {
        env,
        input: `${password}\n`,
    });
    ok(a, 'seau user add --password-stdin');
    assert.match(a.stdout, /^Created user reader@example\.com \(id 1\)\.$/m);
    assert.ok(!a.stdout.includes(password) && !a.stderr.includes(password), 'the given password is not echoed');

    const b = await runCli(['user', 'add', '--email', 'boss@example.com', '--name', 'Bea Boss', '--role', 'admin'], { env });
    ok(b, 'seau user add (generated password)');
    assert.match(b.stdout, /^Created admin boss@example\.com \(id 2\)\.$/m);
    const m = /^Password \(shown once, store it now\): (\S+)$/m.exec(b.stdout);
    assert.ok(m, b.stdout);
    const generated = m[1]!;
    assert.ok(generated.length >= 16, generated);

    const dup = await runCli(['user', 'add', '--email', 'READER@example.com', '--name', 'Again', '--role', 'user', '--password-stdin'], {
        env,
        input: `${password}\n`,
    });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const badRole = await runCli(['user', 'add', '--email', 'x@example.com', '--name', 'X', '--role', 'owner'], { env });
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /--role must be admin, manager or user/);
    const shortPw = await runCli(['user', 'add', '--email', 'y@example.com', '--name', 'Y', '--role', 'user', '--password-stdin'], {
        env,
        input: 'too-short\n',
    });
    assert.equal(shortPw.code, 2);
    assert.match(shortPw.stderr, /at least 12 characters/);
    const missing = await runCli(['user', 'add', '--email', 'z@example.com'], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--email, --name and --role are required/);

    const list = await runCli(['user', 'list'], { env });
    ok(list, 'seau user list');
    const lines = list.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ID\s+EMAIL\s+NAME\s+ROLE\s+STATE\s+LAST LOGIN$/);
    assert.equal(lines.length, 3, list.stdout);
    assert.match(lines[1]!, /^1\s+reader@example\.com\s+Rita Reader\s+user\s+active\s+never$/);
    assert.match(lines[2]!, /^2\s+boss@example\.com\s+Bea Boss\s+admin\s+active\s+never$/);
    assert.doesNotMatch(list.stdout, /argon2|\$v=19/);

    /* serve on that database: both accounts sign in; no first admin is made since users exist. */
    const srv = await startServer({ dataDir: dir });
    assert.equal((await login(srv, 'reader@example.com', password)).user.role, 'user');
    assert.equal((await login(srv, 'boss@example.com', generated)).user.role, 'admin');
    assertError(
        await req(srv, 'POST', '/api/auth/login', { json: { email: 'admin@example.com', password: 'admin-password-0123456789' } }),
        401,
        'invalid_credentials',
    );
    assert.ok(!srv.stdout.includes('password:'), 'no admin was generated');
    await srv.stop();

    const after = await runCli(['user', 'list'], { env });
    assert.match(after.stdout, /^1\s+reader@example\.com\s+.*active\s+\d{4}-\d\d-\d\dT/m, 'the last login is shown');
    const verify = await runCli(['audit', 'verify'], { env });
    ok(verify, 'seau audit verify');
    assert.match(verify.stdout, /intact/);
});

test('serve with SEAU_ADMIN_EMAIL and SEAU_ADMIN_PASSWORD creates that admin and prints no password', async () => {
    const admin = { email: 'owner@example.org', password: 'owner-password-from-env' };
    const srv = await startServer({ admin });
    const s = await login(srv, admin.email, admin.password);
    assert.equal(s.user.role, 'admin');
    assert.equal(s.user.name, 'Administrator');
    assert.ok(!/password/i.test(srv.stdout), `nothing printed: ${JSON.stringify(srv.stdout)}`);
    assert.ok(!srv.stderr.includes(admin.password), 'the password is not logged');
    const created = srv.logLines().find((l) => l.msg === 'created the first admin');
    assert.equal(created?.email, admin.email);
    assert.equal(created?.generatedPassword, false);
    await srv.stop();
    const list = await runCli(['user', 'list'], { env: srv.env });
    ok(list, 'seau user list');
    assert.match(list.stdout, /^1\s+owner@example\.org\s+Administrator\s+admin\s+active/m);
});

test('seau user add works while the server runs on the same database', async () => {
    const srv = await startServer();
    const password = 'added-while-running-1';
    const r = await runCli(['user', 'add', '--email', 'live@example.com', '--name', 'Live', '--role', 'manager', '--password-stdin'], {
        env: srv.env,
        input: `${password}\n`,
    });
    ok(r, 'seau user add');
    const s = await login(srv, 'live@example.com', password);
    assert.equal(s.user.role, 'manager');
    /* Both processes appended to one audit chain. */
    const act = await req(srv, 'GET', '/api/activity?action=user.create', { token: s.token });
    assert.ok(act.body.entries.some((e: { userEmail: string; details: { email: string } }) => e.userEmail === 'cli' && e.details.email === 'live@example.com'), act.text);
    const v = await runCli(['audit', 'verify'], { env: srv.env });
    ok(v, 'seau audit verify');
    await srv.stop();
});

test('commands fail cleanly when the database cannot be opened', async () => {
    const env = seauEnv({ SEAU_DATABASE_URL: 'sqlite:/proc/no-such-dir/seau.db' });
    const migrate = await runCli(['migrate'], { env });
    assert.equal(migrate.code, 1, migrate.stdout + migrate.stderr);
    assert.match(migrate.stderr, /sqlite:\/proc\/no-such-dir\/seau\.db/);
    const verify = await runCli(['audit', 'verify'], { env });
    assert.equal(verify.code, 2, verify.stdout + verify.stderr);
    assert.match(verify.stderr, /cannot open the database/);
    const list = await runCli(['user', 'list'], { env });
    assert.equal(list.code, 1);
    const serve = await runCli(['serve'], { env: { ...env, SEAU_LISTEN: `127.0.0.1:${await freePort()}` } });
    assert.equal(serve.code, 1, serve.stdout + serve.stderr);
    assert.match(serve.stderr, /cannot open the database/);
});

test('serve exits 1 with a clear message when its port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
        const { env } = freshEnv({ SEAU_LISTEN: `127.0.0.1:${port}`, SEAU_ADMIN_EMAIL: 'a@example.com', SEAU_ADMIN_PASSWORD: 'a-long-enough-password' });
        const r = await runCli(['serve'], { env });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
        const err = lines.find((l) => l.msg === 'cannot listen');
        assert.ok(err, r.stderr);
        assert.equal(err.level, 'error');
        assert.equal(err.listen, `127.0.0.1:${port}`);
    } finally {
        blocker.close();
    }
});
