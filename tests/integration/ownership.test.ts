/*
 * Ownership that cannot be stolen (API.md's roles table): a `user` may not
 * replace an object someone else uploaded, on any path that writes a key —
 * POST /api/upload, POST /api/uploads (at start and again at complete),
 * POST /api/copy and moves (destinations), POST /api/rename — while its
 * own objects stay its to replace and managers may replace anything within
 * their grants. Against Ceph RGW; every effect is checked with the AWS SDK.
 */
import { GetObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, createUser, login, req, startServer, test, type Json, type Res, type SeauServer } from './harness.ts';
import { emptyBucket, startRgw, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
const B = 'own-a';

let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let alice: { token: string; id: number };
let bob: { token: string; id: number };
let manager: { token: string; id: number };

async function account(email: string, role: string): Promise<{ token: string; id: number }> {
    const u = await createUser(srv, admin, { email, password: PASSWORD, role });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: B, prefix: '' }] } });
    assert.equal(r.status, 200, r.text);
    return { token: (await login(srv, email, PASSWORD)).token, id: u.id };
}

async function bytes(key: string): Promise<string | null> {
    try {
        const o = await peer.client.send(new GetObjectCommand({ Bucket: B, Key: key }));
        return Buffer.from(await o.Body!.transformToByteArray()).toString();
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return null;
        throw e;
    }
}

async function proxied(token: string, key: string, data: string): Promise<Res> {
    const slash = key.lastIndexOf('/');
    const f = new FormData();
    f.append('bucket', B);
    f.append('prefix', slash >= 0 ? key.slice(0, slash + 1) : '');
    f.append('file', new Blob([data], { type: 'text/plain' }), key.slice(slash + 1));
    const r = await fetch(`${srv.url}/api/upload`, { method: 'POST', body: f, headers: { authorization: `Bearer ${token}` } });
    const text = await r.text();
    let body: Json;
    try {
        body = JSON.parse(text);
    } catch {
        body = undefined;
    }
    return { status: r.status, body, text, headers: r.headers };
}

/** A direct upload: start, PUT to the presigned URL, complete. Returns complete's answer. */
async function direct(token: string, key: string, data: string, between?: () => Promise<void>): Promise<Res> {
    const s = await req(srv, 'POST', '/api/uploads', { token, json: { bucket: B, key, size: Buffer.byteLength(data), contentType: 'text/plain' } });
    if (s.status !== 201)
        return s;
    const put = await fetch(s.body.url, { method: 'PUT', body: data, headers: s.body.headers ?? {} });
    assert.equal(put.status, 200, await put.text());
    if (between)
        await between();
    return req(srv, 'POST', `/api/uploads/${s.body.uploadId}/complete`, { token, json: { parts: [] } });
}

async function openUploads(): Promise<number> {
    return ((await peer.client.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads ?? []).length;
}

before(async () => {
    peer = await startRgw([B]);
    await emptyBucket(peer, B);
    srv = await startServer({ env: peer.seauEnv([B]) });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    alice = await account('alice@example.com', 'user');
    bob = await account('bob@example.com', 'user');
    manager = await account('manager@example.com', 'manager');
    for (const [key, who] of [['shared/report.txt', alice], ['alice/notes.txt', alice], ['bob/draft.txt', bob], ['bob/move-me.txt', bob]] as const) {
        const r = await proxied(who.token, key, `${key} by ${who.id}`);
        assert.equal(r.status, 201, r.text);
    }
    /* An object written by another tool: the index knows no uploader. */
    await peer.client.send(new PutObjectCommand({ Bucket: B, Key: 'outside/tool.txt', Body: 'from elsewhere' }));
});

test('POST /api/upload: a user may not replace another\'s object, nor one of unknown owner', async () => {
    const r = await proxied(bob.token, 'shared/report.txt', 'stolen');
    assertError(r, 403, 'forbidden');
    assert.match(r.body.error.message, /shared\/report\.txt/);
    assert.equal(await bytes('shared/report.txt'), `shared/report.txt by ${alice.id}`);
    assertError(await proxied(bob.token, 'outside/tool.txt', 'stolen'), 403, 'forbidden');
    assert.equal(await bytes('outside/tool.txt'), 'from elsewhere');
    /* The refusal is audited as a failed upload. */
    const a = await req(srv, 'GET', '/api/activity?action=object.upload&limit=100', { token: admin });
    assert.ok(a.body.entries.some((e: Json) => e.key === 'shared/report.txt' && e.status === 'failure' && e.userEmail === 'bob@example.com'));
    /* Its own object stays its to replace; a new name is free; uploadedBy stays the owner's. */
    const own = await proxied(alice.token, 'shared/report.txt', 'v2 by alice');
    assert.equal(own.status, 201, own.text);
    assert.equal(own.body.files[0].uploadedBy, alice.id);
    assert.equal(await bytes('shared/report.txt'), 'v2 by alice');
    assert.equal((await proxied(bob.token, 'shared/bob-new.txt', 'new')).status, 201);
    /* A manager may replace anything within its grants. */
    const m = await proxied(manager.token, 'outside/tool.txt', 'by the manager');
    assert.equal(m.status, 201, m.text);
    assert.equal(await bytes('outside/tool.txt'), 'by the manager');
    assert.equal(await openUploads(), 0);
});

test('POST /api/uploads: refused at start onto another\'s object', async () => {
    const r = await req(srv, 'POST', '/api/uploads', { token: bob.token, json: { bucket: B, key: 'alice/notes.txt', size: 5, contentType: 'text/plain' } });
    assertError(r, 403, 'forbidden');
    assert.equal(await bytes('alice/notes.txt'), `alice/notes.txt by ${alice.id}`);
    /* Onto its own: fine. */
    const own = await direct(bob.token, 'bob/draft.txt', 'bob v2');
    assert.equal(own.status, 200, own.text);
    assert.equal(own.body.file.uploadedBy, bob.id);
    assert.equal(await bytes('bob/draft.txt'), 'bob v2');
});

test('POST /api/uploads: asked again at complete when someone uploaded meanwhile', async () => {
    const r = await direct(bob.token, 'shared/race.txt', 'bob was first to start', async () => {
        const a = await proxied(alice.token, 'shared/race.txt', 'alice finished first');
        assert.equal(a.status, 201, a.text);
    });
    assertError(r, 403, 'forbidden');
    assert.equal(await bytes('shared/race.txt'), 'alice finished first', 'the object stays alice\'s');
    assert.equal(await openUploads(), 0, 'the refused upload is aborted in S3');
    /* The session is gone. */
    const a = await req(srv, 'GET', '/api/activity?action=object.upload&limit=100', { token: admin });
    assert.ok(a.body.entries.some((e: Json) => e.key === 'shared/race.txt' && e.status === 'failure' && e.details?.error === 'forbidden'));
});

test('copy and move: a user\'s copy never replaces another\'s object, whatever the conflict mode', async () => {
    const copy = (json: Json) => req(srv, 'POST', '/api/copy', { token: bob.token, json: { bucket: B, ...json } });
    /* bob/notes.txt would land on alice/notes.txt. */
    assert.equal((await proxied(bob.token, 'bob/notes.txt', 'bob notes')).status, 201);
    for (const conflict of ['replace', undefined, 'fail']) {
        for (const move of [false, true]) {
            const r = await copy({ sources: ['bob/notes.txt'], destinationPrefix: 'alice/', conflict, move });
            assert.equal(r.status, 200, r.text);
            assert.deepEqual(r.body.copied, []);
            assert.equal(r.body.errors.length, 1, r.text);
            assert.equal(r.body.errors[0].code, conflict === 'replace' ? 'forbidden' : 'conflict', r.text);
        }
    }
    assert.equal(await bytes('alice/notes.txt'), `alice/notes.txt by ${alice.id}`);
    assert.equal(await bytes('bob/notes.txt'), 'bob notes', 'a refused move keeps its source');
    /* keepBoth and skip never touch it either. */
    const k = await copy({ sources: ['bob/notes.txt'], destinationPrefix: 'alice/', conflict: 'keepBoth' });
    assert.deepEqual(k.body.copied, [{ from: 'bob/notes.txt', to: 'alice/notes (1).txt' }]);
    assert.equal(await bytes('alice/notes.txt'), `alice/notes.txt by ${alice.id}`);
    const sk = await copy({ sources: ['bob/notes.txt'], destinationPrefix: 'alice/', conflict: 'skip' });
    assert.deepEqual(sk.body.skipped, ['bob/notes.txt'], sk.text);
    assert.deepEqual(sk.body.copied, []);
    /* A manager replaces. */
    const mg = await req(srv, 'POST', '/api/copy', { token: manager.token, json: { bucket: B, sources: ['bob/notes.txt'], destinationPrefix: 'alice/', conflict: 'replace' } });
    assert.deepEqual(mg.body.copied, [{ from: 'bob/notes.txt', to: 'alice/notes.txt' }], mg.text);
    assert.equal(await bytes('alice/notes.txt'), 'bob notes');
});

test('rename: a user may not rename onto another\'s object', async () => {
    const rn = (json: Json, token = bob.token) => req(srv, 'POST', '/api/rename', { token, json: { bucket: B, ...json } });
    assertError(await rn({ key: 'bob/move-me.txt', newKey: 'shared/report.txt' }), 409, 'conflict');
    assertError(await rn({ key: 'bob/move-me.txt', newKey: 'shared/report.txt', conflict: 'replace' }), 403, 'forbidden');
    assert.equal(await bytes('shared/report.txt'), 'v2 by alice');
    assert.equal(await bytes('bob/move-me.txt'), `bob/move-me.txt by ${bob.id}`);
    /* Onto its own object: replace is allowed. */
    const own = await rn({ key: 'bob/move-me.txt', newKey: 'shared/bob-new.txt', conflict: 'replace' });
    assert.equal(own.status, 200, own.text);
    assert.equal(await bytes('shared/bob-new.txt'), `bob/move-me.txt by ${bob.id}`);
    assert.equal(await bytes('bob/move-me.txt'), null);
});
