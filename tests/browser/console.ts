/*
 * The browser tests' harness: a real seau serving the exported web client
 * (web/out) with Ceph RGW as its S3, and Debian's Chromium driven by
 * playwright-core (never a downloaded browser). Reuses the integration
 * tests' harness for the server (start, sanitizer-clean stop) and RGW.
 *
 * Artefacts (screenshots) go to build/browser-artifacts/ (git-ignored), or
 * SEAU_BROWSER_ARTIFACTS.
 */
import { PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ADMIN, requirePrograms, startServer, type SeauServer } from '../integration/harness.ts';
import { emptyBucket, startRgw, type S3Peer } from '../integration/s3peer.ts';

export { ADMIN, poll, sleep, test } from '../integration/harness.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = path.resolve(HERE, '../../web/out');
export const ARTIFACTS = path.resolve(process.env.SEAU_BROWSER_ARTIFACTS ?? path.join(HERE, '../../build/browser-artifacts'));
const CHROMIUM = process.env.SEAU_CHROMIUM ?? '/usr/bin/chromium';

if (!existsSync(path.join(WEB_ROOT, 'index.html')))
    throw new Error(`the web client is not built at ${WEB_ROOT}: run \`npm --prefix web run build\` (make run does it)`);

export interface Console {
    server: SeauServer;
    peer: S3Peer;
    browser: Browser;
    origin: string;
}

/** CORS for the browser's direct uploads and previews: the page's origin, ETag exposed. */
export async function allowBrowser(peer: S3Peer, buckets: string[], origin: string): Promise<void> {
    for (const b of buckets)
        await peer.client.send(new PutBucketCorsCommand({
            Bucket: b,
            CORSConfiguration: {
                CORSRules: [{
                    AllowedOrigins: [origin],
                    AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'],
                    AllowedHeaders: ['*'],
                    ExposeHeaders: ['ETag'],
                    MaxAgeSeconds: 600,
                }],
            },
        }));
}

let browser: Browser | null = null;

/** Debian's Chromium, headless, in a fresh temporary profile (playwright creates and removes it). */
export async function launchBrowser(): Promise<Browser> {
    requirePrograms(CHROMIUM);
    browser ??= await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    return browser;
}

after(async () => {
    await browser?.close();
    browser = null;
});

/** seau on RGW with the given buckets (emptied first), CORS set for its origin, and Chromium. */
export async function startConsole(buckets: string[], env: Record<string, string> = {}): Promise<Console> {
    const peer = await startRgw(buckets);
    /* RGW answers CreateBucket with 200 for a bucket we own, so startRgw may not have emptied it. */
    for (const b of buckets) await emptyBucket(peer, b);
    const server = await startServer({ env: { ...peer.seauEnv(buckets), SEAU_WEB_ROOT: WEB_ROOT, SEAU_LOG_LEVEL: 'info', ...env } });
    await allowBrowser(peer, buckets, server.origin);
    return { server, peer, browser: await launchBrowser(), origin: server.origin };
}

export interface Tab {
    context: BrowserContext;
    page: Page;
    /** Console errors, page errors and CSP violations seen so far. */
    problems: string[];
    /** "Leave this page?" questions asked (and accepted) while uploads ran. */
    leaveQuestions: number;
}

export async function newTab(c: Console, o: { locale?: string; colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {}): Promise<Tab> {
    const context = await c.browser.newContext({
        baseURL: c.origin,
        locale: o.locale ?? 'en-US',
        colorScheme: o.colorScheme ?? 'light',
        viewport: o.viewport ?? { width: 1280, height: 800 },
        acceptDownloads: true,
    });
    const page = await context.newPage();
    const problems: string[] = [];
    const tab: Tab = { context, page, problems, leaveQuestions: 0 };
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
    });
    page.on('dialog', (d) => {
        /* Leaving while uploads run asks first; the tests that reload mean to leave. */
        if (d.type() === 'beforeunload') {
            tab.leaveQuestions++;
            void d.accept();
            return;
        }
        problems.push(`unexpected dialog: ${d.message()}`);
        void d.dismiss();
    });
    return tab;
}

/** Signs in through the form (the page may already be on /login). */
export async function signIn(page: Page, email: string = ADMIN.email, password: string = ADMIN.password, next = '/files'): Promise<void> {
    if (!page.url().includes('/login')) await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel(/^(Email|E-mail)$/).fill(email);
    await page.getByLabel(/^(Password|Mot de passe)$/).fill(password);
    await page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/*
 * Expected noise: the session probe answers 401 before sign-in (the browser
 * logs every 4xx); the notification socket's failures are the notification
 * test's business (the client reconnects on its own), not every page's.
 */
const EXPECTED = [/status of 401 .*\/api\/auth\/me/, /WebSocket connection to .*\/api\/notifications\/ws' failed/];

/** Fails on any console error, page error, CSP violation or alert() seen by the tab. */
export function assertNoProblems(tab: Tab, allow: RegExp[] = []): void {
    const left = tab.problems.filter((p) => ![...EXPECTED, ...allow].some((a) => a.test(p)));
    assert.deepEqual(left, [], 'the page reported problems');
}

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
    id: string;
    impact: string | null;
    help: string;
    nodes: { target: string[] }[];
}

/** axe-core injected into the page; returns serious and critical violations as readable lines. */
export async function axe(page: Page): Promise<string[]> {
    await page.evaluate(AXE);
    const v = (await page.evaluate(async () => {
        const w = window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } };
        const r = await w.axe.run(document, { resultTypes: ['violations'] });
        return r.violations;
    })) as AxeViolation[];
    return v.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.impact} ${x.id}: ${x.help} at ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    return file;
}

/** Drops files on an element the way a person's drag and drop does (DataTransfer with File objects made in the page). */
export async function dropFiles(page: Page, selector: string, files: { name: string; size: number; type?: string; fill?: number }[]): Promise<void> {
    const dt = await page.evaluateHandle((list) => {
        const d = new DataTransfer();
        for (const f of list) {
            const bytes = new Uint8Array(f.size);
            bytes.fill(f.fill ?? 97);
            d.items.add(new File([bytes], f.name, { type: f.type ?? 'application/octet-stream', lastModified: 1_700_000_000_000 }));
        }
        return d;
    }, files);
    const target = page.locator(selector);
    await target.dispatchEvent('dragenter', { dataTransfer: dt });
    await target.dispatchEvent('dragover', { dataTransfer: dt });
    await target.dispatchEvent('drop', { dataTransfer: dt });
}
