/*
 * Malware scanning of direct uploads (API.md POST /api/uploads/{id}/complete
 * with SEAU_CLAMAV): the completed object is streamed from S3 to a real
 * clamd before it counts as uploaded; an infected one (the EICAR test
 * string) is deleted, its version too in a versioned bucket, and complete
 * answers 422 malware_detected; a file of several parts is scanned whole;
 * a scanner that cannot be reached refuses the upload (fail closed).
 * Against Ceph RGW.
 */
import { HeadObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before } from 'node:test';

import { EICAR, startClamd, type Clamd } from './clamd.ts';
import { ADMIN, assertError, freePort, login, req, startServer, test, type Json, type Res, type SeauServer } from './harness.ts';
import { emptyBucket, startRgw, type S3Peer } from './s3peer.ts';

const A = 'scan-a';
const V = 'scan-v'; /* versioned */
const MiB = 1024 * 1024;

let peer: S3Peer;
let clamd: Clamd;
let srv: SeauServer;
let admin: string;

async function exists(bucket: string, key: string): Promise<boolean> {
    try {
        await peer.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return false;
        throw e;
    }
}

/** Starts a direct upload, PUTs every part as a browser would, and completes it. */
async function upload(s: SeauServer, token: string, bucket: string, key: string, data: Buffer): Promise<Res> {
    const st = await req(s, 'POST', '/api/uploads', { token, json: { bucket, key, size: data.length, contentType: 'text/plain' } });
    assert.equal(st.status, 201, st.text);
    const parts: { partNumber: number; etag: string }[] = [];
    if (st.body.url) {
        const r = await fetch(st.body.url, { method: 'PUT', body: new Uint8Array(data), headers: st.body.headers ?? {} });
        assert.equal(r.status, 200, await r.text());
    } else {
        for (const p of st.body.parts) {
            const chunk = data.subarray((p.partNumber - 1) * st.body.partSize, p.partNumber * st.body.partSize);
            const r = await fetch(p.url, { method: 'PUT', body: new Uint8Array(chunk) });
            assert.equal(r.status, 200, await r.text());
            parts.push({ partNumber: p.partNumber, etag: r.headers.get('etag')! });
        }
    }
    return req(s, 'POST', `/api/uploads/${st.body.uploadId}/complete`, { token, json: { parts } });
}

before(async () => {
    peer = await startRgw([A, V]);
    for (const b of [A, V])
        await emptyBucket(peer, b);
    await peer.client.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'Enabled' } }));
    clamd = await startClamd({ eicar: true });
    srv = await startServer({ env: { ...peer.seauEnv([A, V]), SEAU_CLAMAV: clamd.address, SEAU_UPLOAD_MULTIPART_THRESHOLD: '8MiB' } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
});

test('a clean file is scanned and kept; EICAR is 422 malware_detected and nothing stays', async () => {
    const ok = await upload(srv, admin, A, 'clean.txt', Buffer.from('nothing to see here\n'));
    assert.equal(ok.status, 200, ok.text);
    assert.ok(await exists(A, 'clean.txt'));
    const bad = await upload(srv, admin, A, 'eicar.txt', Buffer.from(EICAR));
    assertError(bad, 422, 'malware_detected');
    assert.match(bad.body.error.message, /Seau\.Test\.Eicar/);
    assert.equal(await exists(A, 'eicar.txt'), false);
    /* Not in the index either, and the refusal is audited. */
    const s = await req(srv, 'GET', `/api/search?bucket=${A}&q=eicar`, { token: admin });
    assert.deepEqual(s.body.files, []);
    const a = await req(srv, 'GET', '/api/activity?action=object.upload&limit=50', { token: admin });
    assert.ok(a.body.entries.some((e: Json) => e.key === 'eicar.txt' && e.status === 'failure' && e.details?.error === 'malware_detected'), a.text);
});

test('in a versioned bucket the infected version is deleted, the earlier one stays', async () => {
    const first = await upload(srv, admin, V, 'doc.txt', Buffer.from('first, clean'));
    assert.equal(first.status, 200, first.text);
    assertError(await upload(srv, admin, V, 'doc.txt', Buffer.from(`header\n${EICAR}\n`)), 422, 'malware_detected');
    const v = await peer.client.send(new ListObjectVersionsCommand({ Bucket: V, Prefix: 'doc.txt' }));
    assert.equal((v.Versions ?? []).length, 1, 'only the clean version is left');
    assert.equal((v.DeleteMarkers ?? []).length, 0, 'no delete marker either');
});

test('a file of several parts is scanned whole (the signature in its last part)', async () => {
    const data = Buffer.concat([randomBytes(17 * MiB).fill(0x61), Buffer.from(EICAR)]);
    const r = await upload(srv, admin, A, 'big.txt', data);
    assertError(r, 422, 'malware_detected');
    assert.equal(await exists(A, 'big.txt'), false);
}, { timeout: 120_000 });

test('an unreachable scanner refuses the upload (503) and removes the object', async () => {
    const s = await startServer({ env: { ...peer.seauEnv([A, V]), SEAU_CLAMAV: `tcp://127.0.0.1:${await freePort()}` } });
    const t = (await login(s, ADMIN.email, ADMIN.password)).token;
    const r = await upload(s, t, A, 'unscanned.txt', Buffer.from('hello'));
    assert.equal(r.status, 503, r.text);
    assert.equal(await exists(A, 'unscanned.txt'), false);
    await s.stop();
});
