/*
 * The WebSocket fan-out at the server's bounds: once upgraded, a WebSocket
 * no longer holds one of libmicrohttpd's connections (Seau takes the socket
 * out of it, so its per-connection memory is freed), yet every client still
 * gets every notification, in order and byte for byte the same; the hub
 * still bounds WebSockets by SEAU_MAX_CONNECTIONS, and an address's
 * WebSockets still count against SEAU_MAX_CONNECTIONS_PER_CLIENT until they
 * close.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { WsClient } from './events-ws.ts';
import { ADMIN, RawConnection, login, poll, req, startServer, test, type Json, type SeauServer } from './harness.ts';
import { startS3rver, type S3Peer } from './s3peer.ts';

const SECRET = 'fanout-webhook-secret-0123456789';
const MAX = 16; /* SEAU_MAX_CONNECTIONS: libmicrohttpd's slots and the hub's clients alike */
const PER_CLIENT = 4;
let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let seq = 0x9000;

function record(key: string): Json {
    return {
        eventVersion: '2.0',
        eventSource: 'minio:s3',
        eventTime: new Date().toISOString(),
        eventName: 's3:ObjectCreated:Put',
        userIdentity: { principalId: 'minio' },
        s3: { bucket: { name: 'fan-a' }, object: { key, size: 1, sequencer: (seq++).toString(16).toUpperCase().padStart(16, '0') } },
    };
}

/* Each address's clients come from one 127/8 address, so the per-address cap is theirs alone. */
const addressOf = (i: number) => `127.0.0.${20 + Math.floor(i / PER_CLIENT)}`;

function open(i: number): Promise<WsClient> {
    return WsClient.connect(srv.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` }, { localAddress: addressOf(i) });
}

async function health(from: string): Promise<number | null> {
    const c = await RawConnection.connect(srv.port, 5000, from);
    try {
        await c.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`).catch(() => undefined);
        const r = await c.response({ timeoutMs: 3000 }).catch(() => null);
        return r?.status ?? null;
    } finally {
        c.close();
    }
}

before(async () => {
    peer = await startS3rver(['fan-a']);
    srv = await startServer({
        env: {
            ...peer.seauEnv(['fan-a']),
            SEAU_WEBHOOK_SECRET: SECRET,
            SEAU_EVENTS_VERIFY: 'false',
            SEAU_MAX_CONNECTIONS: String(MAX),
            SEAU_MAX_CONNECTIONS_PER_CLIENT: String(PER_CLIENT),
        },
    });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
});

after(async () => {
    await srv?.stop();
});

test('WebSockets take no HTTP connection slot, and every client gets every notification, the same and in order', async () => {
    const clients: WsClient[] = [];
    try {
        /* As many WebSockets as the connection limit: before Seau took upgraded sockets out of
         * libmicrohttpd, these held all of its slots and nothing else was served. */
        for (let i = 0; i < MAX; i++)
            clients.push(await open(i));
        assert.equal(await health('127.0.0.59'), 200, 'HTTP is still served beside the WebSockets');
        /* The hub still bounds WebSockets by the same limit. */
        const extra = await WsClient.open(srv.port, '/api/notifications/ws', { Authorization: `Bearer ${admin}` }, { localAddress: '127.0.0.60' });
        assert.ok(!(extra instanceof WsClient), 'a WebSocket past the limit is refused');
        assert.equal(extra.status, 503, extra.body);

        /* Bursts of several notifications, so frames queue up and go out together. */
        const keys: string[] = [];
        for (let burst = 0; burst < 6; burst++) {
            const recs: Json[] = [];
            for (let i = 0; i < 10; i++) {
                keys.push(`fan/${burst}/${i}`);
                recs.push(record(keys[keys.length - 1]!));
            }
            const r = await req(srv, 'POST', '/api/events/s3', { json: { Records: recs }, token: SECRET });
            assert.equal(r.status, 204, r.text);
        }
        for (const c of clients)
            await c.waitNotes(keys.length, `every client to get ${keys.length} notifications`);
        const first = clients[0]!.messages;
        assert.deepEqual(clients[0]!.notes().map((n) => n.metadata.key), keys, 'in the order sent');
        for (const c of clients)
            assert.deepEqual(c.messages, first, 'every client got the same frames');
    } finally {
        await Promise.all(clients.map((c) => c.close()));
    }
});

test("an address's WebSockets count against its connection cap until they close", async () => {
    /* The first test's clients are gone, places given back, before this one counts. */
    await poll('no WebSocket left', async () => {
        const m = await req(srv, 'GET', '/api/metrics');
        return /^seau_websocket_clients 0$/m.test(m.text);
    });
    const clients: WsClient[] = [];
    const group = 5 * PER_CLIENT; /* an address the first test did not use */
    try {
        for (let i = 0; i < PER_CLIENT; i++)
            clients.push(await open(group + i));
        /* libmicrohttpd let go of these connections, but the address is still at its cap. */
        assert.equal(await health(addressOf(group)), null, 'a connection past the cap is refused');
        assert.equal(await health('127.0.0.61'), 200, 'another address is served');
        await clients.pop()!.close();
        await poll('the closed WebSocket to give its place back', async () => (await health(addressOf(group))) === 200, 5000);
    } finally {
        await Promise.all(clients.map((c) => c.close()));
    }
});
