/*
 * The integration tests' harness: starts the real `seau` binary on a free
 * port with a fresh data directory, talks HTTP to it (fetch, or raw sockets
 * where the exact bytes matter), runs its command line, and stops it.
 *
 * Every server started here is stopped with SIGTERM and must exit with
 * status 0 and without a sanitizer report: a test that stops a server does
 * so through stop(), which asserts it, and a hook registered below stops
 * (and checks) whatever a test left running. The binary comes from
 * SEAU_BIN (CTest sets it), else ../../build/seau relative to this folder.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test as nodeTest, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

import { databaseUrlFor } from './store.ts';

export { copyStore, sqlite, STORE, storeQuery } from './store.ts';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
/* A relative SEAU_BIN is taken from where the command was typed (npm sets INIT_CWD). */
export const BIN = process.env.SEAU_BIN
    ? path.resolve(process.env.INIT_CWD ?? process.cwd(), process.env.SEAU_BIN)
    : path.resolve(HERE, '../../build/seau');
if (!existsSync(BIN))
    throw new Error(`the seau binary is not at ${BIN}: run \`make build\` or set SEAU_BIN`);

/**
 * Fails at once, with one line naming the Debian package and the command
 * that installs it, when a program a test is about to run is missing
 * (scripts/require reads scripts/dependencies, the list setup installs).
 * Never a timeout waiting for a server that could not start, never a skip.
 */
export function requirePrograms(...programs: string[]): void {
    try {
        execFileSync(path.resolve(HERE, '../../scripts/require'), programs, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
        const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
        throw new Error(stderr || `scripts/require ${programs.join(' ')} failed`);
    }
}

/** The admin every server gets unless a test asks for none. */
export const ADMIN = Object.freeze({
    email: 'admin@example.com',
    password: 'admin-password-0123456789',
});

/** Generous: the sanitizer build is 2-3x slower than the release build. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** A JSON body as the tests read it; each test asserts the shape it needs. */
export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Thrown from a poll() callback to stop polling at once. */
export class PollAbort extends Error {}

/**
 * Calls fn until it returns a value other than undefined/false, or throws
 * after timeoutMs. Other errors count as "not yet", except assertion
 * failures and PollAbort, which end the polling at once.
 */
export async function poll<T>(
    what: string,
    fn: () => Promise<T | undefined | false> | T | undefined | false,
    timeoutMs = 10_000,
    intervalMs = 20,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
        try {
            const v = await fn();
            if (v !== undefined && v !== false)
                return v as T;
        } catch (e) {
            if (e instanceof assert.AssertionError || e instanceof PollAbort)
                throw e;
            lastError = e;
        }
        if (Date.now() > deadline) {
            const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
        }
        await sleep(intervalMs);
    }
}

/* ---------------------------------------------------------------- temp dirs */

const tempDirs: string[] = [];

/** A new private directory, removed when the file's tests end (kept with SEAU_IT_KEEP=1). */
export function tempDir(prefix = 'seau-it-'): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
}

/* ---------------------------------------------------------------- environment */

/**
 * The environment for the binary: ours without any SEAU_* variable (so a
 * developer's shell cannot change what a test sees), sanitizer options that
 * make any report fatal when the caller set none, and the given overrides
 * (undefined removes a variable).
 */
export function seauEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
        if (!k.startsWith('SEAU_') && v !== undefined)
            env[k] = v;
    env.ASAN_OPTIONS ??=
        'detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1';
    env.UBSAN_OPTIONS ??= 'print_stacktrace=1:halt_on_error=1';
    env.LSAN_OPTIONS ??= `suppressions=${path.resolve(HERE, '../lsan.supp')}:print_suppressions=0`;
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined)
            delete env[k];
        else
            env[k] = v;
    }
    return env;
}

const SANITIZER_REPORT =
    /ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;

/** Fails when a process's output holds a sanitizer report. */
export function assertNoSanitizerReport(output: string, what: string): void {
    const m = SANITIZER_REPORT.exec(output);
    if (m) {
        const start = Math.max(0, m.index - 200);
        assert.fail(`${what} printed a sanitizer report:\n${output.slice(start, start + 4000)}`);
    }
}

/* ---------------------------------------------------------------- ports */

/** A port that was free a moment ago: listen on port 0, note it, close. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const addr = s.address();
            const port = typeof addr === 'object' && addr ? addr.port : 0;
            s.close(() => resolve(port));
        });
    });
}

/* ---------------------------------------------------------------- the server */

export interface ServerOptions {
    /** Extra environment (undefined removes a variable). */
    env?: Record<string, string | undefined>;
    /** The first admin via SEAU_ADMIN_*; null: none, so serve generates one. */
    admin?: { email: string; password: string } | null;
    /** Reuse a data directory (a restart); default: a new one. */
    dataDir?: string;
    /** Listen on this port (a replica restarted behind a proxy); default: a free one. */
    port?: number;
}

export interface ExitInfo {
    code: number | null;
    signal: NodeJS.Signals | null;
}

const servers: SeauServer[] = [];

export class SeauServer {
    readonly port: number;
    readonly url: string;
    readonly origin: string;
    readonly dataDir: string;
    readonly dbPath: string;
    readonly env: NodeJS.ProcessEnv;
    readonly proc: ChildProcess;
    readonly exited: Promise<ExitInfo>;
    stdout = '';
    stderr = '';
    exitInfo: ExitInfo | null = null;
    private stopChecked = false;

    constructor(port: number, dataDir: string, env: NodeJS.ProcessEnv) {
        this.port = port;
        this.url = `http://127.0.0.1:${port}`;
        this.origin = this.url;
        this.dataDir = dataDir;
        this.dbPath = path.join(dataDir, 'seau.db');
        this.env = env;
        /* cwd is the data directory, so the default ./web/out never exists by accident. */
        this.proc = spawn(BIN, ['serve'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        this.proc.stdout!.setEncoding('utf8');
        this.proc.stderr!.setEncoding('utf8');
        this.proc.stdout!.on('data', (s: string) => (this.stdout += s));
        this.proc.stderr!.on('data', (s: string) => (this.stderr += s));
        this.exited = new Promise((resolve) => {
            this.proc.on('error', (e) => {
                this.stderr += `\n[harness] cannot start ${BIN}: ${e.message}\n`;
            });
            this.proc.on('close', (code, signal) => {
                this.exitInfo = { code, signal };
                resolve(this.exitInfo);
            });
        });
        servers.push(this);
    }

    /** The store this server runs on: its SQLite file or its PostgreSQL database. */
    get databaseUrl(): string {
        return this.env.SEAU_DATABASE_URL!;
    }

    get running(): boolean {
        return this.exitInfo === null;
    }

    /** The JSON lines of stderr (the log); lines that are not JSON are skipped. */
    logLines(): Json[] {
        const out: Json[] = [];
        for (const line of this.stderr.split('\n')) {
            if (!line.trim())
                continue;
            try {
                out.push(JSON.parse(line));
            } catch {
                /* not a log line (e.g. a sanitizer report); the exit check catches those */
            }
        }
        return out;
    }

    /** Waits until a log line satisfies pred and returns it. */
    waitForLog(what: string, pred: (line: Json) => boolean, timeoutMs = 10_000): Promise<Json> {
        return poll(what, () => this.logLines().find(pred), timeoutMs);
    }

    stderrTail(lines = 40): string {
        return this.stderr.split('\n').slice(-lines).join('\n');
    }

    /** Sends a signal without waiting. */
    kill(signal: NodeJS.Signals = 'SIGTERM'): void {
        if (this.running)
            this.proc.kill(signal);
    }

    /** Resolves with the exit status, or rejects after timeoutMs. */
    async waitForExit(timeoutMs = STOP_TIMEOUT_MS): Promise<ExitInfo> {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(
                () => reject(new Error(`seau did not exit within ${timeoutMs} ms`)),
                timeoutMs,
            );
        });
        try {
            return await Promise.race([this.exited, timeout]);
        } finally {
            clearTimeout(timer);
        }
    }

    /** Asserts that the process ended with status 0 and printed no sanitizer report. */
    assertCleanExit(info: ExitInfo): void {
        this.stopChecked = true;
        assertNoSanitizerReport(this.stderr + this.stdout, `seau serve on port ${this.port}`);
        assert.deepEqual(
            info,
            { code: 0, signal: null },
            `seau serve on port ${this.port} must exit with status 0; stderr tail:\n${this.stderrTail()}`,
        );
    }

    /** SIGTERM, wait, and assert a clean exit. Safe to call twice. */
    async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<ExitInfo> {
        this.kill('SIGTERM');
        let info: ExitInfo;
        try {
            info = await this.waitForExit(timeoutMs);
        } catch (e) {
            this.stopChecked = true;
            this.kill('SIGKILL');
            await this.exited;
            throw e;
        }
        this.assertCleanExit(info);
        return info;
    }

    markChecked(): void {
        this.stopChecked = true;
    }

    /** True when the exit status has been checked (by stop() or assertCleanExit()). */
    get checked(): boolean {
        return this.stopChecked;
    }
}

/**
 * Starts `seau serve` and waits until /api/health answers. The default
 * environment: a free port, sqlite in a fresh directory, debug logs, the
 * ADMIN account, and no web root.
 */
export async function startServer(opts: ServerOptions = {}): Promise<SeauServer> {
    const dataDir = opts.dataDir ?? tempDir();
    const admin = opts.admin === undefined ? ADMIN : opts.admin;
    for (let attempt = 1; ; attempt++) {
        const port = opts.port ?? (await freePort());
        const env = seauEnv({
            SEAU_LISTEN: `127.0.0.1:${port}`,
            SEAU_DATABASE_URL: databaseUrlFor(dataDir),
            SEAU_LOG_LEVEL: 'debug',
            SEAU_LOG_FORMAT: 'json',
            SEAU_ADMIN_EMAIL: admin?.email,
            SEAU_ADMIN_PASSWORD: admin?.password,
            /*
             * Most tests use accounts an admin made with a password as ready
             * fixtures; invitations.test.ts turns the first-sign-in change on.
             */
            SEAU_FORCE_PASSWORD_CHANGE: 'false',
            ...opts.env,
        });
        const srv = new SeauServer(port, dataDir, env);
        try {
            await poll(
                `seau to answer /api/health on port ${port}`,
                async () => {
                    if (!srv.running)
                        throw new PollAbort('seau exited');
                    const r = await fetch(`${srv.url}/api/health`, {
                        signal: AbortSignal.timeout(2000),
                    });
                    await r.arrayBuffer();
                    return r.status === 200;
                },
                START_TIMEOUT_MS,
                25,
            );
            return srv;
        } catch (e) {
            if (srv.running) {
                srv.kill('SIGKILL');
                await srv.exited;
                throw e;
            }
            const info = await srv.exited;
            srv.markChecked(); /* reported right here, not again by the hook */
            const portTaken = /cannot listen/.test(srv.stderr);
            if (portTaken && attempt < 5 && opts.port === undefined)
                continue; /* Someone took the port between freePort() and bind: try another. */
            throw new Error(
                `seau serve exited during start-up (${JSON.stringify(info)}):\n${srv.stderrTail()}`,
            );
        }
    }
}

/* Whatever a test left running is stopped here, and its exit status checked. */
after(async () => {
    const failures: string[] = [];
    for (const s of servers) {
        if (s.checked)
            continue;
        try {
            if (s.running)
                await s.stop();
            else
                s.assertCleanExit(await s.exited);
        } catch (e) {
            failures.push(e instanceof Error ? e.message : String(e));
        }
    }
    if (process.env.SEAU_IT_KEEP !== '1')
        for (const d of tempDirs)
            rmSync(d, { recursive: true, force: true });
    if (failures.length)
        assert.fail(failures.join('\n\n'));
});

/* ---------------------------------------------------------------- tests */

type TestFn = (t: TestContext) => Promise<void> | void;

/**
 * node:test's test() with a timeout, and on failure the stderr tail of
 * every server this file started, so a failing run says what the server saw.
 */
export function test(name: string, fn: TestFn, options: { timeout?: number; skip?: boolean | string } = {}): void {
    nodeTest(name, { timeout: options.timeout ?? 120_000, skip: options.skip }, async (t) => {
        const running = servers.filter((s) => s.running);
        const known = servers.length;
        try {
            await fn(t);
        } catch (e) {
            /* The servers this test could have talked to: those running when it began, and its own. */
            for (const s of [...running, ...servers.slice(known)]) {
                const tail = s.stderrTail(30);
                const note = `--- stderr tail of seau on port ${s.port} (${s.running ? 'running' : `exited ${JSON.stringify(s.exitInfo)}`}) ---\n${tail}`;
                for (const line of note.split('\n'))
                    t.diagnostic(line);
            }
            throw e;
        }
    });
}

/* ---------------------------------------------------------------- HTTP helpers */

export interface Res {
    status: number;
    headers: Headers;
    text: string;
    /** The parsed body when it is JSON, else undefined. */
    body: Json;
}

export interface ReqOptions {
    /** A value to send as JSON (sets the content type). */
    json?: unknown;
    /** A raw body. */
    body?: string;
    headers?: Record<string, string>;
    /** Authorization: Bearer <token>. */
    token?: string;
    /** Cookie: seau_session=<cookie>. */
    cookie?: string;
    timeoutMs?: number;
}

/** One request with fetch; never throws for an HTTP status. */
export async function req(
    srv: SeauServer | string,
    method: string,
    pathAndQuery: string,
    o: ReqOptions = {},
): Promise<Res> {
    const base = typeof srv === 'string' ? srv : srv.url;
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    let body: string | undefined = o.body;
    if (o.json !== undefined) {
        body = JSON.stringify(o.json);
        headers['content-type'] ??= 'application/json';
    }
    if (o.token)
        headers.authorization = `Bearer ${o.token}`;
    if (o.cookie)
        headers.cookie = `seau_session=${o.cookie}`;
    const r = await fetch(base + pathAndQuery, {
        method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
    });
    const text = await r.text();
    let parsed: Json;
    if ((r.headers.get('content-type') ?? '').startsWith('application/json')) {
        try {
            parsed = JSON.parse(text);
        } catch {
            parsed = undefined;
        }
    }
    return { status: r.status, headers: r.headers, text, body: parsed };
}

/** Asserts API.md's error shape with the given status and code; returns the error object. */
export function assertError(r: Res, status: number, code: string): Json {
    assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(r.body && typeof r.body === 'object', `error body must be JSON: ${r.text}`);
    assert.ok(r.body.error && typeof r.body.error === 'object', `no "error" object: ${r.text}`);
    assert.equal(r.body.error.code, code, `error code: ${r.text}`);
    assert.equal(typeof r.body.error.message, 'string');
    assert.ok(r.body.error.message.length > 0, 'the error message must not be empty');
    assert.ok(r.headers.get('x-request-id'), 'every response carries X-Request-Id');
    return r.body.error;
}

/** Asserts a 400 validation_failed naming exactly the given fields (and no others when exact). */
export function assertFields(r: Res, fields: string[], exact = true): Record<string, string> {
    const err = assertError(r, 400, 'validation_failed');
    const got = err.details?.fields;
    assert.ok(got && typeof got === 'object', `details.fields missing: ${r.text}`);
    for (const f of fields)
        assert.equal(typeof got[f], 'string', `field ${f} must be named: ${r.text}`);
    if (exact)
        assert.deepEqual(Object.keys(got).sort(), [...fields].sort(), `fields named: ${r.text}`);
    return got;
}

export interface Session {
    token: string;
    user: Json;
    res: Res;
}

/** Signs in and asserts 200; returns the token (which is also the cookie value). */
export async function login(
    srv: SeauServer,
    email: string,
    password: string,
    headers: Record<string, string> = {},
): Promise<Session> {
    const res = await req(srv, 'POST', '/api/auth/login', { json: { email, password }, headers });
    assert.equal(res.status, 200, `login of ${email} failed: ${res.status} ${res.text}`);
    assert.equal(typeof res.body.token, 'string');
    return { token: res.body.token, user: res.body.user, res };
}

/** Creates an account through the API as the given admin token; asserts 201. */
export async function createUser(
    srv: SeauServer,
    adminToken: string,
    user: { email: string; name?: string; password: string; role: string },
): Promise<Json> {
    const res = await req(srv, 'POST', '/api/users', {
        token: adminToken,
        json: { name: user.email.split('@')[0], ...user },
    });
    assert.equal(res.status, 201, `creating ${user.email}: ${res.status} ${res.text}`);
    return res.body.user;
}

/* ---------------------------------------------------------------- raw HTTP */

export interface RawResponse {
    status: number;
    /** Lower-cased names; repeated headers joined with ", ". */
    headers: Record<string, string>;
    body: Buffer;
    text: string;
    /** The bytes of the whole response as received. */
    raw: string;
}

/** Parses one response at the start of buf; null when more bytes are needed. */
function parseResponse(
    buf: Buffer,
    head: boolean,
    closed: boolean,
): { res: RawResponse; used: number } | null {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0)
        return null;
    const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m)
        throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i < 0)
            continue;
        const k = line.slice(0, i).trim().toLowerCase();
        const v = line.slice(i + 1).trim();
        headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    }
    let pos = end + 4;
    let body: Buffer;
    if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
        body = Buffer.alloc(0);
    } else if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
        const parts: Buffer[] = [];
        for (;;) {
            const lineEnd = buf.indexOf('\r\n', pos);
            if (lineEnd < 0)
                return null;
            const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1'), 16);
            if (Number.isNaN(size))
                throw new Error('bad chunk size');
            if (buf.length < lineEnd + 2 + size + 2)
                return null;
            if (size === 0) {
                const trailerEnd = buf.indexOf('\r\n\r\n', lineEnd);
                if (trailerEnd < 0 && buf.length < lineEnd + 4)
                    return null;
                pos = trailerEnd >= 0 ? trailerEnd + 4 : lineEnd + 4;
                break;
            }
            parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
            pos = lineEnd + 2 + size + 2;
        }
        body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
        const n = Number(headers['content-length']);
        if (buf.length < pos + n)
            return null;
        body = buf.subarray(pos, pos + n);
        pos += n;
    } else {
        if (!closed)
            return null; /* The body runs until the connection closes. */
        body = buf.subarray(pos);
        pos = buf.length;
    }
    const res: RawResponse = {
        status,
        headers,
        body: Buffer.from(body),
        text: body.toString('utf8'),
        raw: buf.subarray(0, pos).toString('latin1'),
    };
    return { res, used: pos };
}

/**
 * A client connection that sends exactly the bytes it is given: for
 * keep-alive, partial requests, malformed paths and precise header sizes.
 */
export class RawConnection {
    private buf = Buffer.alloc(0);
    private waiters: Array<() => void> = [];
    closed = false;
    error: Error | null = null;

    private constructor(readonly socket: net.Socket) {
        socket.on('data', (d: Buffer) => {
            this.buf = Buffer.concat([this.buf, d]);
            this.wake();
        });
        socket.on('error', (e) => {
            this.error = e;
        });
        socket.on('close', () => {
            this.closed = true;
            this.wake();
        });
    }

    static connect(port: number, timeoutMs = 10_000, localAddress?: string): Promise<RawConnection> {
        return new Promise((resolve, reject) => {
            const s = net.connect({ host: '127.0.0.1', port, localAddress });
            const timer = setTimeout(() => {
                s.destroy();
                reject(new Error(`connect to ${port} timed out`));
            }, timeoutMs);
            s.once('error', (e) => {
                clearTimeout(timer);
                reject(e);
            });
            s.once('connect', () => {
                clearTimeout(timer);
                s.removeAllListeners('error');
                resolve(new RawConnection(s));
            });
        });
    }

    private wake(): void {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w)
            f();
    }

    write(data: string | Buffer): Promise<void> {
        return new Promise((resolve, reject) =>
            this.socket.write(data, (e) => (e ? reject(e) : resolve())),
        );
    }

    /** The next complete response; rejects when the connection ends first or on timeout. */
    async response(opts: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
        const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
        for (;;) {
            const parsed = parseResponse(this.buf, opts.head ?? false, this.closed);
            if (parsed) {
                this.buf = this.buf.subarray(parsed.used);
                return parsed.res;
            }
            if (this.closed) {
                const got = this.buf.toString('latin1');
                throw new Error(
                    `connection closed before a complete response (${this.error?.message ?? 'no error'}); received: ${JSON.stringify(got.slice(0, 300))}`,
                );
            }
            const left = deadline - Date.now();
            if (left <= 0)
                throw new Error(
                    `no complete response in time; received: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`,
                );
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, left);
                this.waiters.push(() => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        }
    }

    /** Resolves when the peer has closed the connection (or rejects on timeout). */
    async waitClosed(timeoutMs = 15_000): Promise<void> {
        await poll('the connection to close', () => this.closed, timeoutMs);
    }

    /** Bytes received and not yet returned by response(). */
    pending(): string {
        return this.buf.toString('latin1');
    }

    close(): void {
        this.socket.destroy();
    }
}

/** Sends data on a new connection and returns the first response. */
export async function rawRequest(
    port: number,
    data: string | Buffer,
    opts: { head?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
    const c = await RawConnection.connect(port);
    try {
        await c.write(data).catch(() => undefined); /* the server may answer and close early */
        return await c.response(opts);
    } finally {
        c.close();
    }
}

/** Asserts API.md's error shape on a raw response. */
export function assertRawError(r: RawResponse, status: number, code: string): Json {
    assert.equal(r.status, status, `expected ${status} ${code}, got: ${r.raw.slice(0, 500)}`);
    assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    const body = JSON.parse(r.text);
    assert.equal(body.error?.code, code, r.text);
    assert.equal(typeof body.error?.message, 'string');
    assert.ok(r.headers['x-request-id'], 'every response carries X-Request-Id');
    return body.error;
}

/* ---------------------------------------------------------------- the command line */

export interface CliResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs `seau args...` to completion. env is the full environment (e.g. a
 * server's, to act on its database) or overrides on a clean one; input is
 * written to stdin. Fails on a sanitizer report; the caller checks the status.
 */
export function runCli(
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; overrides?: Record<string, string | undefined>; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
    const env = { ...(opts.env ?? seauEnv()), ...(opts.overrides ?? {}) };
    for (const k of Object.keys(env))
        if (env[k] === undefined)
            delete env[k];
    return new Promise((resolve, reject) => {
        const p = spawn(BIN, args, { env, cwd: opts.cwd ?? os.tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout.setEncoding('utf8');
        p.stderr.setEncoding('utf8');
        p.stdout.on('data', (s: string) => (stdout += s));
        p.stderr.on('data', (s: string) => (stderr += s));
        const timer = setTimeout(() => {
            p.kill('SIGKILL');
            reject(new Error(`seau ${args.join(' ')} did not finish in time\n${stderr}`));
        }, opts.timeoutMs ?? 60_000);
        p.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
        });
        p.on('close', (code, signal) => {
            clearTimeout(timer);
            try {
                assertNoSanitizerReport(stdout + stderr, `seau ${args.join(' ')}`);
            } catch (e) {
                reject(e);
                return;
            }
            resolve({ code, signal, stdout, stderr });
        });
        p.stdin.on('error', () => undefined); /* the command may not read stdin */
        p.stdin.end(opts.input ?? '');
    });
}

/** The median of some numbers. */
export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
