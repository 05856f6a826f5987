/*
 * Measures the web client's direct upload in Chromium (bench/web-client-upload
 * runs it): a file of BENCH_SIZE_MB (default 1024) random bytes picked in the
 * file browser's file input, as a person's pick would, and uploaded by the
 * page's own uploader (lib/upload/engine.ts: POST /api/uploads, presigned
 * parts PUT straight to RGW, complete), timed from the pick until the row
 * says done; then `aws s3 cp` of the same file to the same RGW, back to
 * back, BENCH_RUNS (default 2) times. Prints each pair's ratio (aws's time
 * over the browser's: above 1, the browser was faster) and the load average.
 * Needs SEAU_BIN and SEAU_IT_RGW_ENV (or SEAU_IT_*_PORT) like the browser tests.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';

import { ADMIN, newTab, signIn, startConsole, test } from './console.ts';

const BUCKET = 'web-a';
const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_SIZE_MB ?? 1024) * MiB;
const RUNS = Number(process.env.BENCH_RUNS ?? 2);

function writeRandom(file: string, size: number): void {
    const fd = openSync(file, 'w');
    try {
        for (let left = size; left > 0; left -= 16 * MiB) writeSync(fd, randomBytes(Math.min(left, 16 * MiB)));
    } finally {
        closeSync(fd);
    }
}

function awsCp(file: string, url: string, c: Awaited<ReturnType<typeof startConsole>>): Promise<void> {
    return new Promise((resolve, reject) => {
        const p = spawn('aws', ['--endpoint-url', c.peer.endpoint, 's3', 'cp', '--quiet', file, url], {
            stdio: ['ignore', 'ignore', 'inherit'],
            env: { ...process.env, AWS_ACCESS_KEY_ID: c.peer.accessKeyId, AWS_SECRET_ACCESS_KEY: c.peer.secretAccessKey, AWS_DEFAULT_REGION: c.peer.region },
        });
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`aws s3 cp exited with ${code}`))));
    });
}

const rate = (ms: number) => `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s (${(ms / 1000).toFixed(2)} s)`;

async function main() {
    const dir = mkdtempSync(path.join(tmpdir(), 'seau-bench-upload-'));
    try {
        const original = path.join(dir, 'original.bin');
        writeRandom(original, SIZE);
        console.log(`starting seau and RGW…; ${SIZE / MiB} MiB of random bytes`);
        const c = await startConsole([BUCKET], { SEAU_LOG_LEVEL: 'warn' });
        const tab = await newTab(c);
        const { page } = tab;
        await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${BUCKET}&prefix=bench%2F`);
        await page.getByTestId('empty').waitFor();
        const pairs: number[] = [];
        for (let run = 1; run <= RUNS; run++) {
            /* A name of its own each run (a hard link: no copy), so no run resumes another. */
            const name = `browser-${run}.bin`;
            const file = path.join(dir, name);
            linkSync(original, file);
            const t0 = performance.now();
            await page.getByTestId('file-input').setInputFiles(file);
            await page.locator(`[data-upload="${name}"][data-status="done"]`).waitFor({ timeout: 1_800_000 });
            const browserMs = performance.now() - t0;
            const head = await c.peer.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `bench/${name}` }));
            if (head.ContentLength !== SIZE) throw new Error(`bench/${name} holds ${head.ContentLength} bytes, not ${SIZE}`);
            const t1 = performance.now();
            await awsCp(original, `s3://${BUCKET}/bench/aws-${run}.bin`, c);
            const awsMs = performance.now() - t1;
            pairs.push(awsMs / browserMs);
            console.log(`run ${run}: Chromium direct upload ${rate(browserMs)} (${head.ETag?.match(/-(\d+)"$/)?.[1] ?? 1} parts); aws s3 cp ${rate(awsMs)}; browser/aws = ${(awsMs / browserMs).toFixed(2)}`);
        }
        console.log(`ratios: ${pairs.map((r) => r.toFixed(2)).join(', ')}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
        await tab.context.close();
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/* A node:test test, so the shared harness's start/stop hooks run as in the browser tests. */
test('web client direct upload beside aws s3 cp', main, { timeout: 3_600_000 });
