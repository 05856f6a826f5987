/*
 * The store the integration suite runs on. By default every server gets a
 * fresh SQLite file in its data directory; with SEAU_IT_STORE=postgres
 * (CTest's `integration_postgres`) it gets a fresh database on the
 * PostgreSQL server of CTest's `postgres` fixture instead (its URL in the file
 * SEAU_IT_PG_ENV names), so the whole suite proves both stores.
 *
 * A database belongs to a data directory, as the SQLite file does: a test
 * that stops a server and starts another on the same directory finds the
 * same accounts, sessions and audit log.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE: StoreKind = process.env.SEAU_IT_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** The PostgreSQL server's maintenance URL (postgres database), from the fixture's env file. */
export function pgServerUrl(): string {
    const file = process.env.SEAU_IT_PG_ENV;
    assert.ok(file, "SEAU_IT_PG_ENV must name the postgres fixture's env file (run through CTest)");
    const m = /SEAU_TEST_DATABASE_URL=(\S+)/.exec(readFileSync(file, 'utf8'));
    assert.ok(m, `no SEAU_TEST_DATABASE_URL in ${file}`);
    return m[1]!.replace(/^['"]|['"]$/g, '');
}

/** The URL of another database on the same server. */
export function pgDatabaseUrl(server: string, name: string): string {
    return server.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
}

/** Runs SQL with psql; returns its unaligned, tuples-only output; throws with psql's message. */
export function psql(url: string, sql: string): string {
    try {
        return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], {
            stdio: ['ignore', 'pipe', 'pipe'],
            encoding: 'utf8',
        });
    } catch (e) {
        const err = (e as { stderr?: string }).stderr ?? String(e);
        throw new Error(`psql failed: ${err.trim()}`);
    }
}

/** The store URL for a server started on dataDir: created empty the first time. */
export function databaseUrlFor(dataDir: string): string {
    if (STORE === 'sqlite')
        return `sqlite:${path.join(dataDir, 'seau.db')}`;
    const name = `seau_it_${createHash('sha256').update(dataDir).digest('hex').slice(0, 20)}`;
    const server = pgServerUrl();
    if (psql(server, `SELECT 1 FROM pg_database WHERE datname = '${name}'`).trim() !== '1')
        psql(server, `CREATE DATABASE ${name}`);
    return pgDatabaseUrl(server, name);
}

/** Runs SQL on a store (a `sqlite:` or `postgres://` URL); rows as `a|b` lines. */
export function storeQuery(url: string, sql: string): Promise<string> {
    if (url.startsWith('sqlite:'))
        return sqlite(url.slice('sqlite:'.length), sql);
    return new Promise((resolve, reject) => {
        try {
            resolve(psql(url, sql));
        } catch (e) {
            reject(e);
        }
    });
}

/**
 * A copy of a store whose server is stopped: the SQLite file (and its WAL),
 * or a PostgreSQL database made from it as a template. Returns its URL.
 */
export function copyStore(url: string, copyDir: string, name: string): string {
    if (url.startsWith('sqlite:')) {
        const from = url.slice('sqlite:'.length);
        const to = path.join(copyDir, `${name}.db`);
        copyFileSync(from, to);
        for (const ext of ['-wal', '-shm'])
            if (existsSync(from + ext))
                copyFileSync(from + ext, to + ext);
        return `sqlite:${to}`;
    }
    const source = new URL(url).pathname.slice(1);
    const copy = `${source}_${name}`.slice(0, 63);
    const server = pgServerUrl();
    psql(server, `DROP DATABASE IF EXISTS ${copy}`);
    psql(server, `CREATE DATABASE ${copy} TEMPLATE ${source}`);
    return pgDatabaseUrl(server, copy);
}

/** Runs the sqlite3 command-line shell on a database file; asserts it succeeded. */
export function sqlite(dbPath: string, sql: string): Promise<string> {
    return new Promise((resolve, reject) => {
        try {
            execFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/require'), ['sqlite3'], {
                stdio: ['ignore', 'ignore', 'pipe'],
            });
        } catch (e) {
            reject(new Error((e as { stderr?: Buffer }).stderr?.toString().trim() || 'sqlite3 is missing'));
            return;
        }
        const p = spawn('sqlite3', ['-batch', '-bail', dbPath], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.setEncoding('utf8');
        p.stderr.setEncoding('utf8');
        p.stdout.on('data', (s: string) => (out += s));
        p.stderr.on('data', (s: string) => (err += s));
        p.on('error', reject);
        p.on('close', (code) => {
            if (code === 0)
                resolve(out);
            else
                reject(new Error(`sqlite3 failed (${code}): ${err}`));
        });
        p.stdin.end(sql);
    });
}
