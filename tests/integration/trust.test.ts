/*
 * GET /api/prefix-totals and GET /api/capabilities on Ceph RGW (bucket
 * tr-a, versioned) and s3rver (bucket tr-s, no ListParts): a folder's
 * totals as the index counts them, within grants; what each store can do.
 */
import { PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertError, createUser, login, req, runCli, startServer, test, type SeauServer } from './harness.ts';
import { emptyBucket, rgwAvailable, startRgw, startS3rver, type S3Peer } from './s3peer.ts';

const A = 'tr-a';
const S = 'tr-s';
const PASSWORD = 'user-password-0123456789';
const skip = rgwAvailable() || process.env.SEAU_IT_RGW_ENV ? false : 'Ceph RGW is not installed here';

const SEED: Array<[string, number]> = [
    ['reports/2026/a.pdf', 1000],
    ['reports/2026/b.pdf', 2000],
    ['reports/c.txt', 300],
    ['reportsx/d.txt', 40],
    ['other/e.bin', 5],
];

let peer: S3Peer;
let local: S3Peer;
let srv: SeauServer;
let local_srv: SeauServer;
let admin: string;
let user: string;

before(async () => {
    if (skip) return;
    peer = await startRgw([A]);
    await emptyBucket(peer, A);
    await peer.client.send(new PutBucketVersioningCommand({ Bucket: A, VersioningConfiguration: { Status: 'Enabled' } }));
    for (const [key, size] of SEED) await peer.client.send(new PutObjectCommand({ Bucket: A, Key: key, Body: Buffer.alloc(size, 'x') }));
    srv = await startServer({ env: { ...peer.seauEnv([A]), SEAU_INDEX_RECONCILE_INTERVAL: '0' } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const u = await createUser(srv, admin, { email: 'user@example.com', password: PASSWORD, role: 'user' });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: A, prefix: 'reports/2026/' }] } });
    assert.equal(r.status, 200, r.text);
    user = (await login(srv, 'user@example.com', PASSWORD)).token;
    const sync = await runCli(['index', 'sync'], { env: srv.env });
    assert.equal(sync.code, 0, sync.stderr);
    local = await startS3rver([S]);
    local_srv = await startServer({ env: { ...local.seauEnv([S]), SEAU_INDEX_RECONCILE_INTERVAL: '0' } });
});

test('a folder counts every object below it, at any depth, and nothing beside it', async () => {
    let r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=reports/`, { token: admin });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { bucket: A, prefix: 'reports/', objects: 3, bytes: 3300 });
    r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=`, { token: admin });
    assert.deepEqual([r.body.objects, r.body.bytes], [5, 3345]);
    r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=nothing/`, { token: admin });
    assert.deepEqual([r.body.objects, r.body.bytes], [0, 0]);
}, { skip });

test('a user counts only what its grants show', async () => {
    let r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=reports/`, { token: user });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.objects, r.body.bytes], [2, 3000], 'reports/c.txt lies outside its grant');
    r = await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=other/`, { token: user });
    assert.deepEqual([r.body.objects, r.body.bytes], [0, 0]);
    assertError(await req(srv, 'GET', '/api/prefix-totals?bucket=tr-zzz&prefix=', { token: admin }), 404, 'not_found');
    assertError(await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=/abs/`, { token: admin }), 400, 'validation_failed');
    assertError(await req(srv, 'GET', `/api/prefix-totals?bucket=${A}&prefix=`), 401, 'unauthorized');
}, { skip });

test('capabilities: RGW versions and lists parts, s3rver does neither', async () => {
    let r = await req(srv, 'GET', `/api/capabilities?bucket=${A}`, { token: user });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { bucket: A, versioning: true, listParts: true, level: 'none' }, 'the user sees the root only as the way to its grant');
    const la = (await login(local_srv, ADMIN.email, ADMIN.password)).token;
    r = await req(local_srv, 'GET', `/api/capabilities?bucket=${S}`, { token: la });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { bucket: S, versioning: false, listParts: false, level: 'full' });
    assertError(await req(local_srv, 'GET', '/api/capabilities?bucket=tr-zzz', { token: la }), 404, 'not_found');
}, { skip });

/* ------------------------------------------------------------ the share page */

const HTML = { accept: 'text/html' };

async function link(body: Record<string, unknown>): Promise<string> {
    const r = await req(srv, 'POST', '/api/shares', { token: admin, json: body });
    assert.equal(r.status, 201, r.text);
    return new URL(r.body.url).pathname;
}

test('the share page speaks the visitor\'s language, in the console\'s size format, dark when asked', async () => {
    await peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'share/report.bin', Body: Buffer.alloc(15155, 1) }));
    const path = await link({ bucket: A, key: 'share/report.bin' });
    const fr = await req(srv, 'GET', path, { headers: { ...HTML, 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8' } });
    assert.equal(fr.status, 200, fr.text);
    assert.match(fr.text, /<html lang="fr">/);
    assert.match(fr.text, /14,8 Ko/);
    assert.match(fr.text, />Télécharger<\/a>/);
    assert.match(fr.text, /prefers-color-scheme:dark/);
    const en = await req(srv, 'GET', path, { headers: { ...HTML, 'accept-language': 'en-US,en;q=0.9' } });
    assert.match(en.text, /<html lang="en">/);
    assert.match(en.text, /14\.8 KB/);
    /* The stylesheet, dark part included, is what the page's CSP allows. */
    const css = /<style>([\s\S]*?)<\/style>/.exec(en.text)![1]!;
    const { createHash } = await import('node:crypto');
    assert.ok(en.headers.get('content-security-policy')!.includes(`'sha256-${createHash('sha256').update(css).digest('base64')}'`));
    const gone = await req(srv, 'GET', '/s/not-a-token', { headers: { ...HTML, 'accept-language': 'fr' } });
    assert.equal(gone.status, 404);
    assert.match(gone.text, /Lien introuvable/);
}, { skip });

test('the share page previews images and text; the preview is the file, inline, through Seau', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e4cc6b0000000049454e44ae426082', 'hex');
    await peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'share/dot.png', Body: png, ContentType: 'image/png' }));
    const img = await link({ bucket: A, key: 'share/dot.png' });
    const page = await req(srv, 'GET', img, { headers: HTML });
    assert.match(page.text, /<img src="\?download=1&amp;inline=1" alt="dot\.png">/);
    assert.match(page.headers.get('content-security-policy')!, /img-src 'self'; media-src 'self'/);
    const inline = await fetch(`${srv.origin}${img}?download=1&inline=1`, { redirect: 'manual' });
    assert.equal(inline.status, 200, 'streamed, not redirected to S3 (the page allows images from itself only)');
    assert.match(inline.headers.get('content-disposition') ?? '', /^inline/);
    assert.deepEqual(Buffer.from(await inline.arrayBuffer()), png);

    const text = '<script>alert(1)</script>\n' + 'é'.repeat(40000);
    await peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'share/notes.txt', Body: text, ContentType: 'text/plain' }));
    const t = await req(srv, 'GET', await link({ bucket: A, key: 'share/notes.txt' }), { headers: HTML });
    assert.match(t.text, /<pre tabindex="0">&lt;script&gt;alert\(1\)&lt;\/script&gt;\né/);
    assert.doesNotMatch(t.text, /<script/);
    assert.match(t.text, /Only the beginning of the file is shown\./);
    const shown = /<pre tabindex="0">([\s\S]*?)<\/pre>/.exec(t.text)![1]!;
    assert.ok(!shown.includes('\ufffd'), 'cut at a character boundary');
    /* A link with a download limit shows no preview: looking must not use it up. */
    const limited = await req(srv, 'GET', await link({ bucket: A, key: 'share/dot.png', maxDownloads: 1 }), { headers: HTML });
    assert.doesNotMatch(limited.text, /<img/);
}, { skip });

/* ------------------------------------------------------------ grant levels */

test('grant levels: read only cannot upload, read and upload cannot delete or share, full can; GET shows levels below full only', async () => {
    const m = await createUser(srv, admin, { email: 'levels@example.com', password: PASSWORD, role: 'manager' });
    let r = await req(srv, 'PUT', `/api/users/${m.id}/grants`, {
        token: admin,
        json: { grants: [{ bucket: A, prefix: 'reports/2026/', level: 'read' }, { bucket: A, prefix: 'reportsx/', level: 'upload' }, { bucket: A, prefix: 'other/' }] },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.grants, [
        { bucket: A, prefix: 'other/' },
        { bucket: A, prefix: 'reports/2026/', level: 'read' },
        { bucket: A, prefix: 'reportsx/', level: 'upload' },
    ]);
    assertError(await req(srv, 'PUT', `/api/users/${m.id}/grants`, { token: admin, json: { grants: [{ bucket: A, prefix: '', level: 'owner' }] } }), 400, 'validation_failed');
    const t = (await login(srv, 'levels@example.com', PASSWORD)).token;
    /* Read only: the files are there to read, not to change. */
    r = await req(srv, 'GET', `/api/list?bucket=${A}&prefix=reports/2026/`, { token: t });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.files.length, 2);
    assertError(await req(srv, 'POST', '/api/uploads', { token: t, json: { bucket: A, key: 'reports/2026/new.txt', size: 3 } }), 403, 'forbidden');
    assertError(await req(srv, 'DELETE', `/api/delete/reports/2026/a.pdf?bucket=${A}`, { token: t }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/shares', { token: t, json: { bucket: A, key: 'reports/2026/a.pdf' } }), 403, 'forbidden');
    r = await req(srv, 'GET', `/api/capabilities?bucket=${A}&prefix=reports/2026/`, { token: t });
    assert.equal(r.body.level, 'read');
    /* Read and upload. */
    r = await req(srv, 'POST', '/api/uploads', { token: t, json: { bucket: A, key: 'reportsx/new.txt', size: 3 } });
    assert.equal(r.status, 201, r.text);
    await req(srv, 'DELETE', `/api/uploads/${r.body.uploadId}`, { token: t });
    assertError(await req(srv, 'DELETE', `/api/delete/reportsx/d.txt?bucket=${A}`, { token: t }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/shares', { token: t, json: { bucket: A, key: 'reportsx/d.txt' } }), 403, 'forbidden');
    assert.equal((await req(srv, 'GET', `/api/capabilities?bucket=${A}&prefix=reportsx/`, { token: t })).body.level, 'upload');
    /* Full, as every grant before levels. */
    r = await req(srv, 'POST', '/api/shares', { token: t, json: { bucket: A, key: 'other/e.bin' } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await req(srv, 'GET', `/api/capabilities?bucket=${A}&prefix=other/`, { token: t })).body.level, 'full');
}, { skip });
