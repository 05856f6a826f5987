/*
 * The single sign-on tests' OpenID Provider: tests/peers/oidc-provider.mjs
 * (npm oidc-provider, a certified implementation) started on loopback, and
 * a driver that walks its login pages the way a browser would (redirects,
 * cookies, the login form), so the API tests get real authorization codes.
 *
 * The provider listens on SEAU_TEST_OIDC_PORT when set, else on a free
 * port. Seau fetches the discovery document only at the first sign-in, so
 * a test may start Seau (naming the issuer) before the provider (naming
 * Seau's callback).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';

import { freePort, HERE, poll, tempDir, type SeauServer } from './harness.ts';

const PEER = path.resolve(HERE, '../peers/oidc-provider.mjs');
const peers: OidcPeer[] = [];

export interface OidcAccount {
    email?: string;
    email_verified?: boolean;
    name?: string;
    groups?: string[];
}

export async function oidcPort(): Promise<number> {
    const fixed = process.env.SEAU_TEST_OIDC_PORT;
    return fixed ? Number(fixed) : freePort();
}

export class OidcPeer {
    readonly issuer: string;
    readonly accountsFile: string;
    private proc: ChildProcess | null = null;
    output = '';

    constructor(port: number) {
        this.issuer = `http://127.0.0.1:${port}`;
        this.accountsFile = path.join(tempDir('seau-oidc-'), 'accounts.json');
        peers.push(this);
    }

    setAccounts(accounts: Record<string, OidcAccount>): void {
        writeFileSync(this.accountsFile, JSON.stringify(accounts));
    }

    /** Starts the provider with clients (oidc-provider metadata); resolves once it serves. */
    async start(clients: object[]): Promise<void> {
        const port = Number(new URL(this.issuer).port);
        const env = {
            ...process.env,
            SEAU_OIDC_PEER: JSON.stringify({ port, clients, accountsFile: this.accountsFile }),
        };
        const p = spawn(process.execPath, [PEER], {
            cwd: path.dirname(PEER),
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        this.proc = p;
        p.stdout!.on('data', (d) => (this.output += d));
        p.stderr!.on('data', (d) => (this.output += d));
        await poll(
            `the OpenID Provider to listen on ${this.issuer}`,
            () => {
                if (p.exitCode !== null)
                    throw new Error(`the OpenID Provider exited: ${this.output}`);
                return this.output.includes('listening ');
            },
            20_000,
            50,
        );
    }

    async stop(): Promise<void> {
        const p = this.proc;
        this.proc = null;
        if (!p || p.exitCode !== null)
            return;
        const done = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await done;
    }
}

after(async () => {
    for (const p of peers)
        await p.stop();
});

/** A cookie jar for one host: name -> value, from Set-Cookie headers. */
export class Jar {
    readonly cookies = new Map<string, string>();
    take(h: Headers): void {
        for (const c of h.getSetCookie()) {
            const pair = c.split(';')[0] ?? '';
            const i = pair.indexOf('=');
            const name = pair.slice(0, i).trim();
            const value = pair.slice(i + 1).trim();
            if (/Max-Age=0/i.test(c) || value === '')
                this.cookies.delete(name);
            else
                this.cookies.set(name, value);
        }
    }
    header(): string {
        return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
}

async function get(url: string, jar: Jar): Promise<Response> {
    const r = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: jar.header() },
        signal: AbortSignal.timeout(20_000),
    });
    jar.take(r.headers);
    return r;
}

export interface Started {
    /** The authorization URL Seau sent the browser to. */
    authorize: URL;
    /** The pre-login cookie's value. */
    prelogin: string;
    /** The browser's cookies at Seau. */
    seauJar: Jar;
}

/** GET /api/auth/oidc/{provider}/start; asserts the 302 and the pre-login cookie. */
export async function startSignIn(srv: SeauServer, provider: string, returnTo = '/'): Promise<Started> {
    const seauJar = new Jar();
    const r = await get(
        `${srv.url}/api/auth/oidc/${provider}/start?returnTo=${encodeURIComponent(returnTo)}`,
        seauJar,
    );
    assert.equal(r.status, 302, `start answered ${r.status}: ${await r.text()}`);
    const loc = r.headers.get('location') ?? '';
    const prelogin = seauJar.cookies.get('seau_oidc');
    assert.ok(prelogin, 'start must set the pre-login cookie');
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith('seau_oidc='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    return { authorize: new URL(loc), prelogin, seauJar };
}

/**
 * Walks the provider from the authorization URL as login signs in (the
 * development login form; consent is automatic) until it redirects back to
 * Seau. Returns that callback URL (with code and state).
 */
export async function providerLogin(authorize: URL, login: string): Promise<URL> {
    const jar = new Jar();
    let url = authorize.toString();
    const origin = authorize.origin;
    for (let hops = 0; hops < 20; hops++) {
        const r = await get(url, jar);
        if (r.status >= 300 && r.status < 400) {
            const next = new URL(r.headers.get('location')!, url);
            await r.arrayBuffer();
            if (next.origin !== origin)
                return next;
            url = next.toString();
            continue;
        }
        const html = await r.text();
        assert.equal(r.status, 200, `the provider answered ${r.status} at ${url}: ${html.slice(0, 400)}`);
        const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
        assert.ok(prompt, `no interaction form at ${url}: ${html.slice(0, 400)}`);
        const form = new URLSearchParams({ prompt });
        if (prompt === 'login') {
            form.set('login', login);
            form.set('password', 'any-password');
        }
        const p = await fetch(url, {
            method: 'POST',
            redirect: 'manual',
            headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
            body: form.toString(),
        });
        jar.take(p.headers);
        assert.ok(p.status >= 300 && p.status < 400, `the provider refused the ${prompt} form: ${p.status} ${await p.text()}`);
        url = new URL(p.headers.get('location')!, url).toString();
    }
    assert.fail('the provider never redirected back to Seau');
}

export interface CallbackResult {
    status: number;
    location: string;
    session?: string;
    setCookies: string[];
}

/** GET the callback URL at Seau with the given pre-login cookie (none: undefined). */
export async function callback(
    srv: SeauServer,
    cb: URL | string,
    prelogin: string | undefined,
): Promise<CallbackResult> {
    const u = new URL(cb.toString(), srv.url);
    const r = await fetch(`${srv.url}${u.pathname}${u.search}`, {
        redirect: 'manual',
        headers: prelogin ? { cookie: `seau_oidc=${prelogin}` } : {},
        signal: AbortSignal.timeout(30_000),
    });
    await r.arrayBuffer();
    const setCookies = r.headers.getSetCookie();
    const s = setCookies.find((c) => c.startsWith('seau_session='));
    return {
        status: r.status,
        location: r.headers.get('location') ?? '',
        session: s ? (s.split(';')[0] ?? '').slice('seau_session='.length) : undefined,
        setCookies,
    };
}

/** The whole flow through the real provider: start, sign in as login, callback. */
export async function signInThrough(
    srv: SeauServer,
    provider: string,
    login: string,
    returnTo = '/',
): Promise<CallbackResult> {
    const s = await startSignIn(srv, provider, returnTo);
    const cb = await providerLogin(s.authorize, login);
    return callback(srv, cb, s.prelogin);
}
