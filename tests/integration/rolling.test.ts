/*
 * A rolling restart behind a load balancer (README "Several replicas"):
 * three replicas on one PostgreSQL database and one bucket on Ceph RGW,
 * nginx in front of them (tests/integration/nginx.ts). Under a steady load
 * of API requests through nginx, each replica in turn gets SIGTERM with
 * SEAU_SHUTDOWN_DRAIN, exits cleanly and starts again on its port. No
 * request may fail, and a WebSocket client connected through nginx, which
 * reconnects with `since` whenever its replica closes it, receives every
 * notification of uploads made meanwhile exactly once and in order.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { WsClient } from './events-ws.ts';
import { ADMIN, login, poll, sleep, startServer, test, type Json, type SeauServer } from './harness.ts';
import { Nginx } from './nginx.ts';
import { emptyBucket, startRgw, type S3Peer } from './s3peer.ts';
import { pgDatabaseUrl, pgServerUrl, psql } from './store.ts';

const BUCKET = 'roll-a';
const server = pgServerUrl();
const dbName = `seau_it_rolling_${process.pid}`;
const dbUrl = pgDatabaseUrl(server, dbName);
let peer: S3Peer;
let env: Record<string, string>;
let replicas: SeauServer[] = [];
let lb: Nginx;
let admin: string;

before(async () => {
    psql(server, `DROP DATABASE IF EXISTS ${dbName}`);
    psql(server, `CREATE DATABASE ${dbName}`);
    peer = await startRgw([BUCKET]);
    await emptyBucket(peer, BUCKET);
    env = { ...peer.seauEnv([BUCKET]), SEAU_DATABASE_URL: dbUrl, SEAU_SHUTDOWN_DRAIN: '2s', SEAU_LOG_LEVEL: 'info' };
    for (let i = 0; i < 3; i++)
        replicas.push(await startServer({ env }));
    lb = await Nginx.start(replicas.map((r) => r.port));
    admin = (await login(replicas[0]!, ADMIN.email, ADMIN.password)).token;
});

after(async () => {
    await lb?.stop();
    for (const s of replicas)
        if (s.running)
            await s.stop();
    psql(server, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
});

/** Requests through nginx in a loop until stopped; every answer that is not 200 is a loss. */
class Load {
    sent = 0;
    lost: string[] = [];
    private stopped = false;
    private loops: Promise<void>[] = [];

    start(workers: number): void {
        const paths = ['/api/auth/me', `/api/list?bucket=${BUCKET}`, '/api/notifications?limit=5', '/api/health'];
        for (let w = 0; w < workers; w++)
            this.loops.push((async () => {
                for (let i = w; !this.stopped; i++) {
                    const p = paths[i % paths.length]!;
                    this.sent++;
                    try {
                        const r = await fetch(lb.url + p, { headers: { authorization: `Bearer ${admin}` }, signal: AbortSignal.timeout(10_000) });
                        const text = await r.text();
                        if (r.status !== 200)
                            this.lost.push(`${p}: ${r.status} ${text.slice(0, 200)}`);
                    } catch (e) {
                        this.lost.push(`${p}: ${(e as Error).message}`);
                    }
                }
            })());
    }

    async stop(): Promise<void> {
        this.stopped = true;
        await Promise.all(this.loops);
    }
}

/** A WebSocket client through nginx that reconnects with ?since= after each close. */
class Follower {
    notes: Json[] = [];
    reconnects = 0;
    private ws: WsClient | null = null;
    private seen = 0;
    private stopped = false;
    private loop: Promise<void> | null = null;

    start(): void {
        this.loop = (async () => {
            while (!this.stopped) {
                const last = this.notes.length ? this.notes[this.notes.length - 1].id : null;
                const query = last === null ? '' : `?since=${last}`;
                try {
                    this.ws = await WsClient.connect(lb.port, `/api/notifications/ws${query}`, { Authorization: `Bearer ${admin}` });
                } catch {
                    await sleep(100); /* nginx found no replica that answers yet */
                    continue;
                }
                this.seen = 0;
                if (last !== null)
                    this.reconnects++;
                while (!this.ws.ended && !this.stopped) {
                    this.take();
                    await sleep(20);
                }
                this.take();
            }
        })();
    }

    private take(): void {
        const ws = this.ws!;
        for (; this.seen < ws.messages.length; this.seen++)
            this.notes.push(JSON.parse(ws.messages[this.seen]!));
    }

    async stop(): Promise<void> {
        this.stopped = true;
        this.ws?.socket.destroy();
        await this.loop;
    }
}

async function uploadTo(s: SeauServer, key: string): Promise<void> {
    const f = new FormData();
    f.append('bucket', BUCKET);
    f.append('file', new Blob([`rolling ${key}\n`], { type: 'text/plain' }), key);
    const r = await fetch(`${s.url}/api/upload`, { method: 'POST', body: f, headers: { authorization: `Bearer ${admin}` } });
    assert.equal(r.status, 201, await r.text());
}

test('a rolling restart under load loses no request and no notification', async (t) => {
    const load = new Load();
    const follower = new Follower();
    follower.start();
    await poll('the WebSocket client to connect through nginx', () => follower['ws'] !== null, 10_000);
    load.start(6);

    const uploaded: string[] = [];
    let n = 0;
    for (let i = 0; i < replicas.length; i++) {
        /* Uploads go straight to a replica that stays up; their notes reach every replica. */
        const writer = replicas[(i + 1) % replicas.length]!;
        const old = replicas[i]!;
        old.kill('SIGTERM');
        const exited = old.waitForExit(60_000);
        while (old.running) {
            const key = `during-${i}-${n++}.txt`;
            await uploadTo(writer, key);
            uploaded.push(key);
            await sleep(150);
        }
        old.assertCleanExit(await exited);
        replicas[i] = await startServer({ env, port: old.port });
        for (let k = 0; k < 3; k++) {
            const key = `after-${i}-${n++}.txt`;
            await uploadTo(writer, key);
            uploaded.push(key);
        }
        await sleep(500);
    }
    const sent = load.sent;
    await load.stop();

    const wanted = new Set(uploaded);
    await poll(
        'every upload notification at the WebSocket client',
        () => follower.notes.filter((x) => x.type === 'upload' && wanted.has(x.metadata.key)).length >= uploaded.length,
        15_000,
    );
    await sleep(500); /* a duplicate would arrive right behind */
    await follower.stop();

    assert.deepEqual(load.lost, [], `${load.lost.length} of ${sent} requests failed; nginx said:\n${lb.log.split('\n').slice(-15).join('\n')}`);
    assert.ok(sent > 100, `only ${sent} requests were made during the restarts`);
    const ids = follower.notes.map((x) => x.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'notifications out of order');
    assert.equal(new Set(ids).size, ids.length, 'a notification arrived twice');
    const keys = follower.notes.filter((x) => x.type === 'upload').map((x) => x.metadata.key);
    assert.deepEqual(keys, uploaded, 'the uploads seen by the client, in order');
    assert.ok(follower.reconnects >= 1, 'the client was never moved to another replica');
    t.diagnostic(`${sent} requests, ${uploaded.length} uploads, ${follower.reconnects} reconnections`);
}, { timeout: 240_000 });
