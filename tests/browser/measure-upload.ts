/*
 * Measures the web client's direct upload in Chromium (bench/web-client-upload
 * runs it): a file of BENCH_SIZE_MB (default 1024) random bytes picked in the
 * file browser's file input, as a person's pick would, and uploaded by the
 * page's own uploader (lib/upload/engine.ts: POST /api/uploads, presigned
 * parts PUT straight to RGW, complete), timed from the pick until the row
 * says done; and `aws s3 cp` of the same file to the same RGW, back to back,
 * BENCH_RUNS (default 2) pairs, the first of each pair taking turns, after
 * one aws upload not counted (a fresh RGW is slower at its first GiB).
 * Prints each pair's ratio (aws's time over the browser's: above 1, the
 * browser was faster), where the CPU went during each upload (seconds per
 * process: Chromium's browser, network service, renderer…, radosgw, aws),
 * how busy the machine was, and the load average.
 * Needs SEAU_BIN and SEAU_IT_RGW_ENV (or SEAU_IT_*_PORT) like the browser
 * tests. Each object is deleted once measured, and BENCH_RGW_CONF (the
 * RGW's ceph.conf) lets RGW's garbage collector free it before the next
 * upload: memstore holds 4 GiB, and a full store hangs every upload.
 */
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';

import { ADMIN, newTab, signIn, startConsole, test } from './console.ts';

const BUCKET = 'web-a';
const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_SIZE_MB ?? 1024) * MiB;
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const RGW_CONF = process.env.BENCH_RGW_CONF ?? '';

function writeRandom(file: string, size: number): void {
    const fd = openSync(file, 'w');
    try {
        for (let left = size; left > 0; left -= 16 * MiB) writeSync(fd, randomBytes(Math.min(left, 16 * MiB)));
    } finally {
        closeSync(fd);
    }
}

type Peer = Awaited<ReturnType<typeof startConsole>>['peer'];

function awsCp(file: string, url: string, peer: Peer): Promise<void> {
    return new Promise((resolve, reject) => {
        const p = spawn('aws', ['--endpoint-url', peer.endpoint, 's3', 'cp', '--quiet', file, url], {
            stdio: ['ignore', 'ignore', 'inherit'],
            env: { ...process.env, AWS_ACCESS_KEY_ID: peer.accessKeyId, AWS_SECRET_ACCESS_KEY: peer.secretAccessKey, AWS_DEFAULT_REGION: peer.region },
        });
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`aws s3 cp exited with ${code}`))));
    });
}

/* RGW keeps deleted and replaced data until its garbage collector runs (hours later). */
function collectGarbage(): void {
    if (RGW_CONF) spawnSync('radosgw-admin', ['-c', RGW_CONF, '-n', 'client.admin', 'gc', 'process', '--include-all'], { stdio: 'ignore' });
}

/*
 * CPU time (clock ticks, user + system) of the processes that take part, by
 * kind: this process's descendants (Chromium's processes by type, seau,
 * aws) and the RGW's radosgw and ceph-osd (their command line names the
 * RGW's folder).
 */
function cpuTicks(rgwDir: string): Map<string, number> {
    const procs = new Map<number, { ppid: number; args: string[]; ticks: number }>();
    for (const pid of readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        try {
            const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/); /* Chromium's children rewrite theirs, space-separated */
            const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            procs.set(Number(pid), { ppid: Number(f[1]), args, ticks: Number(f[11]) + Number(f[12]) });
        } catch {
            /* gone */
        }
    }
    const mine = (pid: number): boolean => {
        for (let p = procs.get(pid)?.ppid; p && p > 1; p = procs.get(p)?.ppid) if (p === process.pid) return true;
        return false;
    };
    const out = new Map<string, number>();
    for (const [pid, p] of procs) {
        const exe = p.args[0] ?? '';
        let kind = '';
        if (rgwDir && p.args.join(' ').includes(rgwDir)) kind = exe.includes('radosgw') ? 'radosgw' : exe.includes('ceph-osd') ? 'ceph-osd' : '';
        else if (mine(pid)) {
            if (exe.includes('chromium')) {
                const type = p.args.find((a) => a.startsWith('--type='))?.slice(7) ?? 'browser';
                const sub = p.args.find((a) => a.startsWith('--utility-sub-type='))?.split('.').pop();
                kind = `chromium ${sub ?? type}`;
            } else if (exe.endsWith('/seau')) kind = 'seau';
            else if (p.args.some((a) => a.endsWith('/aws'))) kind = 'aws';
        }
        if (kind) out.set(kind, (out.get(kind) ?? 0) + p.ticks);
    }
    return out;
}

/** [all ticks, idle ticks] of the machine. */
function machineTicks(): [number, number] {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return [f.reduce((a, b) => a + b, 0), f[3]! + f[4]!];
}

/** Runs an upload; says how long it took and where the CPU went meanwhile. */
async function measured(rgwDir: string, fn: () => Promise<void>): Promise<{ ms: number; cpu: string }> {
    const c0 = cpuTicks(rgwDir);
    const m0 = machineTicks();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    const m1 = machineTicks();
    const c1 = cpuTicks(rgwDir);
    /* aws has exited by now: the caller reads its CPU from this process's children's totals. */
    const parts = [...c1].map(([k, v]) => [k, (v - (c0.get(k) ?? 0)) / 100] as const).filter(([, s]) => s >= 0.05);
    const busy = 1 - (m1[1] - m0[1]) / Math.max(1, m1[0] - m0[0]);
    return { ms, cpu: `machine ${(busy * 100).toFixed(0)}% busy; CPU s: ${parts.map(([k, s]) => `${k} ${s.toFixed(1)}`).join(', ')}` };
}

/* aws s3 cp is gone when its CPU could be read: take it from this process's children instead. */
function childCpuSeconds(): number {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const s = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(s[13]) + Number(s[14])) / 100; /* cutime + cstime */
}

const rate = (ms: number) => `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s (${(ms / 1000).toFixed(2)} s)`;

async function main() {
    const dir = mkdtempSync(path.join(tmpdir(), 'seau-bench-upload-'));
    try {
        const original = path.join(dir, 'original.bin');
        writeRandom(original, SIZE);
        console.log(`starting seau and RGW…; ${SIZE / MiB} MiB of random bytes`);
        const c = await startConsole([BUCKET], { SEAU_LOG_LEVEL: 'warn' });
        const rgwDir = process.env.SEAU_IT_RGW_ENV ? path.dirname(process.env.SEAU_IT_RGW_ENV) : '';
        const tab = await newTab(c);
        const { page } = tab;
        await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${BUCKET}&prefix=bench%2F`);
        await page.getByTestId('empty').waitFor();
        collectGarbage();
        const warm = await measured(rgwDir, () => awsCp(original, `s3://${BUCKET}/bench/warm-up.bin`, c.peer));
        await c.peer.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'bench/warm-up.bin' }));
        console.log(`warm-up (aws s3 cp, not counted): ${rate(warm.ms)}`);
        const pairs: number[] = [];
        for (let run = 1; run <= RUNS; run++) {
            /* A name of its own each run (a hard link: no copy), so no run resumes another. */
            const name = `browser-${run}.bin`;
            const file = path.join(dir, name);
            linkSync(original, file);
            let parts = '1';
            const browser = async () => {
                collectGarbage();
                const r = await measured(rgwDir, async () => {
                    await page.getByTestId('file-input').setInputFiles(file);
                    await page.locator(`[data-upload="${name}"][data-status="done"]`).waitFor({ timeout: 1_800_000 });
                });
                const head = await c.peer.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `bench/${name}` }));
                if (head.ContentLength !== SIZE) throw new Error(`bench/${name} holds ${head.ContentLength} bytes, not ${SIZE}`);
                parts = head.ETag?.match(/-(\d+)"$/)?.[1] ?? '1';
                await c.peer.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `bench/${name}` }));
                return r;
            };
            const aws = async () => {
                collectGarbage();
                const before = childCpuSeconds();
                const r = await measured(rgwDir, () => awsCp(original, `s3://${BUCKET}/bench/aws-${run}.bin`, c.peer));
                await c.peer.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `bench/aws-${run}.bin` }));
                return { ...r, cpu: `${r.cpu}, aws ${(childCpuSeconds() - before).toFixed(1)}` };
            };
            let b: Awaited<ReturnType<typeof browser>>;
            let a: Awaited<ReturnType<typeof aws>>;
            if (run % 2 === 1) {
                b = await browser();
                a = await aws();
            } else {
                a = await aws();
                b = await browser();
            }
            pairs.push(a.ms / b.ms);
            console.log(`run ${run} (${run % 2 === 1 ? 'browser first' : 'aws first'}): Chromium direct upload ${rate(b.ms)} (${parts} parts); aws s3 cp ${rate(a.ms)}; browser/aws = ${(a.ms / b.ms).toFixed(2)}`);
            console.log(`  browser: ${b.cpu}`);
            console.log(`  aws:     ${a.cpu}`);
        }
        console.log(`ratios: ${pairs.map((r) => r.toFixed(2)).join(', ')}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
        await tab.context.close();
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/* A node:test test, so the shared harness's start/stop hooks run as in the browser tests. */
test('web client direct upload beside aws s3 cp', main, { timeout: 3_600_000 });
