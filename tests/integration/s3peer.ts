/*
 * S3 peers for the files tests: s3rver (fast, permissive: no signature
 * checks, no versioning) and Ceph RGW (the S3 that checks signatures and
 * versions for real), each started on private ports and a temp directory,
 * plus an AWS SDK client as the independent S3 client that seeds and checks.
 *
 * RGW: when SEAU_IT_RGW_ENV names the env file of a running RGW (CTest
 * passes the one tests/peers/s3-peers-up.sh started for the whole run), every
 * file shares it: a bucket that already exists there is emptied (objects,
 * versions, open multipart uploads) before use, so each test file must use
 * bucket names no other file uses. Otherwise a private RGW is started on
 * ports 37480 (radosgw), 37481-37482 (monitor) and 37500-37539 (messenger)
 * unless SEAU_IT_RGW_PORT / SEAU_IT_MON_PORT / SEAU_IT_MS_PORTS say otherwise.
 */
import {
    AbortMultipartUploadCommand,
    CreateBucketCommand,
    DeleteObjectsCommand,
    ListMultipartUploadsCommand,
    ListObjectVersionsCommand,
    S3Client,
} from '@aws-sdk/client-s3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

import { HERE, freePort, poll, tempDir } from './harness.ts';

export interface S3Peer {
    name: 's3rver' | 'rgw';
    endpoint: string;
    accessKeyId: string;
    secretAccessKey: string;
    region: string;
    client: S3Client;
    /** The environment that points seau at this peer (with SEAU_BUCKETS). */
    seauEnv(buckets: string[]): Record<string, string>;
}

function makePeer(name: S3Peer['name'], endpoint: string, id: string, secret: string): S3Peer {
    const region = 'us-east-1';
    const client = new S3Client({
        endpoint,
        region,
        forcePathStyle: true,
        credentials: { accessKeyId: id, secretAccessKey: secret },
    });
    return {
        name,
        endpoint,
        accessKeyId: id,
        secretAccessKey: secret,
        region,
        client,
        seauEnv: (buckets) => ({
            SEAU_S3_ENDPOINT: endpoint,
            SEAU_BUCKETS: buckets.join(','),
            AWS_ACCESS_KEY_ID: id,
            AWS_SECRET_ACCESS_KEY: secret,
            AWS_REGION: region,
        }),
    };
}

export async function createBuckets(peer: S3Peer, buckets: string[]): Promise<void> {
    for (const b of buckets)
        await peer.client.send(new CreateBucketCommand({ Bucket: b }));
}

const children: ChildProcess[] = [];
const rgwDirs: string[] = [];
const PEERS = path.resolve(HERE, '../../../shared/peers');

/**
 * Starts s3rver on a free port in a temp directory (stopped when the file's
 * tests end). Test files run in parallel and each picks free ports, so
 * another server may take the port between the pick and s3rver's bind: the
 * answer must come from this s3rver (its bucket list, while it runs), else
 * another port is tried.
 */
export async function startS3rver(buckets: string[]): Promise<S3Peer> {
    const bin = path.resolve(HERE, '../peers/node_modules/.bin/s3rver');
    if (!existsSync(bin))
        throw new Error(`s3rver is not installed at ${bin}: run scripts/setup`);
    for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const dir = tempDir('seau-s3rver-');
        /* The OpenSSL flag: without it s3rver 3.7 fails every truncated listing. */
        const p = spawn(bin, ['-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent'], {
            env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
            stdio: 'ignore',
        });
        children.push(p);
        const endpoint = `http://127.0.0.1:${port}`;
        const ours = await poll('s3rver to answer', async () => {
            if (p.exitCode !== null || p.signalCode !== null)
                return 'exited';
            const r = await fetch(endpoint + '/');
            const text = await r.text();
            return text.includes('ListAllMyBucketsResult') ? 'ok' : undefined;
        }, 15_000, 50);
        if (ours === 'ok') {
            const peer = makePeer('s3rver', endpoint, 'S3RVER', 'S3RVER');
            await createBuckets(peer, buckets);
            return peer;
        }
        if (attempt === 3)
            throw new Error(`s3rver could not start on a free port (3 attempts; last ${port})`);
    }
}

/** Whether RGW can run here (the Debian packages are installed). */
export function rgwAvailable(): boolean {
    return existsSync(path.join(PEERS, 'radosgw-up.sh')) && existsSync('/usr/bin/radosgw');
}

function readEnvFile(file: string): Record<string, string> {
    const vars: Record<string, string> = {};
    for (const line of readFileSync(file, 'utf8').split('\n')) {
        const m = /^(?:export )?([A-Z_0-9]+)=(.*)$/.exec(line.trim());
        if (m)
            vars[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
    }
    return vars;
}

/** Removes every object, version and open multipart upload of a bucket. */
export async function emptyBucket(peer: S3Peer, bucket: string): Promise<void> {
    for (;;) {
        const page = await peer.client.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
        const ids = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
            Key: v.Key!,
            VersionId: v.VersionId,
        }));
        if (ids.length === 0)
            break;
        await peer.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ids, Quiet: true } }));
    }
    const uploads = await peer.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? [])
        await peer.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
}

/**
 * Ceph RGW: the run's shared one (SEAU_IT_RGW_ENV), with the buckets created
 * or emptied, else a private one (~15 s; stopped and wiped when the file's
 * tests end).
 */
export async function startRgw(buckets: string[]): Promise<S3Peer> {
    const shared = process.env.SEAU_IT_RGW_ENV;
    if (shared) {
        const vars = readEnvFile(shared);
        const peer = makePeer('rgw', vars.S3_ENDPOINT!, vars.AWS_ACCESS_KEY_ID!, vars.AWS_SECRET_ACCESS_KEY!);
        for (const b of buckets) {
            try {
                await peer.client.send(new CreateBucketCommand({ Bucket: b }));
            } catch (e) {
                if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou' &&
                    (e as { name?: string }).name !== 'BucketAlreadyExists')
                    throw e;
            }
            /* RGW answers 200 to re-creating a bucket one owns: empty it whatever it said. */
            await emptyBucket(peer, b);
        }
        return peer;
    }
    /* Not tempDir(): the harness removes those before this file's after() runs,
     * and radosgw-down.sh needs the PID files in it. */
    const dir = mkdtempSync(path.join(os.tmpdir(), 'seau-rgw-'));
    const rgwPort = process.env.SEAU_IT_RGW_PORT ?? '37480';
    const ms = process.env.SEAU_IT_MS_PORTS ?? '37500-37539';
    rgwDirs.push(dir);
    const env = {
        ...process.env,
        CEPH_DIR: dir,
        RGW_PORT: rgwPort,
        MON_PORT: process.env.SEAU_IT_MON_PORT ?? '37481',
        MS_PORT_MIN: ms.split('-')[0]!,
        MS_PORT_MAX: ms.split('-')[1]!,
        /* As tests/peers/s3-peers-up.sh does: S3 keys go to 1024 bytes, past the shared
         * script's OSD object-name limit. */
        CEPH_ARGS: '--osd_max_object_name_len=2048',
    };
    const up = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(path.join(PEERS, 'radosgw-up.sh'), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('close', (code) => resolve({ code, out }));
    });
    if (up.code !== 0)
        throw new Error(`radosgw-up.sh failed (${up.code}):\n${up.out.slice(-2000)}`);
    const vars = readEnvFile(path.join(dir, 's3.env'));
    const peer = makePeer('rgw', vars.S3_ENDPOINT!, vars.AWS_ACCESS_KEY_ID!, vars.AWS_SECRET_ACCESS_KEY!);
    await createBuckets(peer, buckets);
    return peer;
}

after(() => {
    for (const c of children)
        if (c.exitCode === null)
            c.kill('SIGTERM');
    for (const dir of rgwDirs)
        spawnSync(path.join(PEERS, 'radosgw-down.sh'), [], {
            env: { ...process.env, CEPH_DIR: dir, WIPE: '1' },
            stdio: 'ignore',
        });
    for (const dir of rgwDirs)
        rmSync(dir, { recursive: true, force: true });
});
