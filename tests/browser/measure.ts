/*
 * Measures the web client on this machine (bench/web-client runs it):
 *   1. the largest contentful paint of the file browser on localhost
 *      (signed in, a folder of 100 files, cold cache, median of 5 loads);
 *   2. a 10,000-file folder: time until the first rows show, then scrolling
 *      to the last row (loading every page on the way), with frame times.
 * Needs SEAU_BIN and SEAU_IT_RGW_ENV like the browser tests.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';

import { ADMIN, newTab, signIn, startConsole, test } from './console.ts';

/* web-b: the browser tests' second bucket (emptied first), so the bench needs no bucket of its own. */
const BUCKET = 'web-b';
const N = Number(process.env.BENCH_ROWS ?? 10_000);

async function seed(c: Awaited<ReturnType<typeof startConsole>>, prefix: string, n: number): Promise<void> {
    let next = 0;
    const worker = async () => {
        for (let i = next++; i < n; i = next++)
            await c.peer.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}file-${String(i).padStart(5, '0')}.txt`, Body: `row ${i}` }));
    };
    await Promise.all(Array.from({ length: 32 }, worker));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
    console.log('starting seau and RGW…');
    const c = await startConsole([BUCKET], { SEAU_LOG_LEVEL: 'warn' });
    console.log(`seau at ${c.origin}; seeding…`);
    const t0 = Date.now();
    await seed(c, 'small/', 100);
    await seed(c, 'big/', N);
    console.log(`seeded ${N + 100} objects in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    /* 1. LCP, cold cache each time (a new context), signed in. */
    const lcps: number[] = [];
    for (let i = 0; i < 5; i++) {
        const tab = await newTab(c);
        await signIn(tab.page, ADMIN.email, ADMIN.password, '/account');
        await tab.context.clearCookies().catch(() => undefined);
        await signIn(tab.page, ADMIN.email, ADMIN.password, '/account');
        const cdp = await tab.context.newCDPSession(tab.page);
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
        await tab.page.goto(`/files?bucket=${BUCKET}&prefix=small%2F`);
        await tab.page.locator('[data-name="file-00099.txt"]').or(tab.page.locator('[data-name="file-00010.txt"]')).first().waitFor();
        await tab.page.waitForTimeout(300);
        const lcp = await tab.page.evaluate(() => new Promise<number>((resolve) => {
            new PerformanceObserver((l) => {
                const e = l.getEntries();
                resolve(e[e.length - 1]!.startTime);
            }).observe({ type: 'largest-contentful-paint', buffered: true });
        }));
        lcps.push(lcp);
        await tab.context.close();
    }
    console.log(`file browser LCP (localhost, cold cache, 100 files): median ${median(lcps).toFixed(0)} ms (runs: ${lcps.map((x) => x.toFixed(0)).join(', ')})`);

    /* 2. 10,000 rows: first rows, then scroll to the bottom loading every page. */
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, '/account');
    const start = Date.now();
    await page.goto(`/files?bucket=${BUCKET}&prefix=big%2F`);
    await page.locator('[data-name="file-00000.txt"]').waitFor();
    const firstRows = Date.now() - start;
    const r = await page.evaluate(async (n) => {
        const list = document.querySelector('[data-testid="file-list"]') as HTMLElement;
        const frames: number[] = [];
        let last = performance.now();
        const t0 = last;
        const last_row = `file-${String(n - 1).padStart(5, '0')}.txt`;
        /* Scroll one screen per frame, as a fast fling would; pages load on the way. */
        for (;;) {
            list.scrollTop += list.clientHeight;
            await new Promise((r) => requestAnimationFrame(() => r(null)));
            const now = performance.now();
            frames.push(now - last);
            last = now;
            if (document.querySelector(`[data-name="${last_row}"]`)) break;
            if (now - t0 > 120_000) throw new Error('the last row never showed');
        }
        const sorted = [...frames].sort((a, b) => a - b);
        return {
            ms: performance.now() - t0,
            frames: frames.length,
            p50: sorted[Math.floor(sorted.length * 0.5)]!,
            p95: sorted[Math.floor(sorted.length * 0.95)]!,
            max: sorted[sorted.length - 1]!,
            rowsInDom: document.querySelectorAll('[role="row"][data-name]').length,
        };
    }, N);
    console.log(`${N}-row folder: first rows after ${firstRows} ms; scrolled to the last row in ${r.ms.toFixed(0)} ms over ${r.frames} frames (frame p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, max ${r.max.toFixed(0)} ms); ${r.rowsInDom} rows in the DOM at the end`);
    /* Scrolling back through the loaded 10,000 rows, no network: pure rendering. */
    const back = await page.evaluate(async () => {
        const list = document.querySelector('[data-testid="file-list"]') as HTMLElement;
        const frames: number[] = [];
        let last = performance.now();
        const t0 = last;
        while (list.scrollTop > 0) {
            list.scrollTop -= list.clientHeight;
            await new Promise((r) => requestAnimationFrame(() => r(null)));
            const now = performance.now();
            frames.push(now - last);
            last = now;
        }
        const sorted = [...frames].sort((a, b) => a - b);
        return { ms: performance.now() - t0, frames: frames.length, p95: sorted[Math.floor(sorted.length * 0.95)]!, max: sorted[sorted.length - 1]! };
    });
    console.log(`scrolling back to the top through all loaded rows: ${back.ms.toFixed(0)} ms over ${back.frames} frames (frame p95 ${back.p95.toFixed(1)} ms, max ${back.max.toFixed(0)} ms)`);
    /* All 10,000 as fast as the pages come: jump to the bottom each frame until the last row shows. */
    const start2 = Date.now();
    await page.goto(`/files?bucket=${BUCKET}&prefix=big%2F`);
    await page.locator('[data-name="file-00000.txt"]').waitFor();
    const jump = await page.evaluate(async (n) => {
        const list = document.querySelector('[data-testid="file-list"]') as HTMLElement;
        const t0 = performance.now();
        const lastRow = `file-${String(n - 1).padStart(5, '0')}.txt`;
        while (!document.querySelector(`[data-name="${lastRow}"]`)) {
            list.scrollTop = list.scrollHeight;
            await new Promise((r) => requestAnimationFrame(() => r(null)));
            if (performance.now() - t0 > 120_000) throw new Error('the last row never showed');
        }
        const loaded = performance.now() - t0;
        /* Then a jump from the bottom to the middle of the loaded list: one frame's work. */
        const t1 = performance.now();
        list.scrollTop = list.scrollHeight / 2;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
        return { loaded, jumpMs: performance.now() - t1 };
    }, N);
    console.log(`${N}-row folder, every page as fast as it comes: first rows after ${Date.now() - start2 - Math.round(jump.loaded)} ms, all ${N} listed and the last one drawn ${jump.loaded.toFixed(0)} ms later; a jump to the middle then takes ${jump.jumpMs.toFixed(0)} ms (two frames)`);
    await tab.context.close();
}

/* A node:test test, so the shared harness's start/stop hooks run as in the browser tests. */
test('web client measurements', main, { timeout: 900_000 });
