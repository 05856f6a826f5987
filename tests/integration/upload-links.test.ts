/*
 * Upload links (API.md "Upload links"): managers and admins make them
 * within their grants; anyone with the link gets a page (FR/EN, dark mode,
 * one strict CSP, no listing) and may upload files under the link's prefix,
 * never over an existing object, within maxFiles and maxBytes counted in the
 * store, with the password, type and malware rules; expired, revoked or
 * full links answer 410; cross-site posts are refused; everything is
 * audited and the creator is notified. Against Ceph RGW and a real clamd.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before } from 'node:test';

import { CLAMD_TEST_PATTERN, EICAR, startClamd, type Clamd } from './clamd.ts';
import {
    ADMIN,
    assertError,
    assertFields,
    createUser,
    login,
    poll,
    req,
    sleep,
    startServer,
    test,
    type Json,
    type SeauServer,
} from './harness.ts';
import { emptyBucket, startRgw, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
const B = 'ul-a';
const OTHER = 'ul-b';
const HTML = { accept: 'text/html,application/xhtml+xml' };
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), randomBytes(300)]);

let peer: S3Peer;
let clamd: Clamd;
let srv: SeauServer;
let admin: string;
let manager: string; /* grant: ul-a, prefix inbox/ */
let managerId: number;
let manager2: string; /* grant: ul-a, everything */
let user: string;
const tokens: string[] = [];

async function account(email: string, role: string, grants: Json[]): Promise<[string, number]> {
    const u = await createUser(srv, admin, { email, password: PASSWORD, role });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants } });
    assert.equal(r.status, 200, r.text);
    return [(await login(srv, email, PASSWORD)).token, u.id];
}

interface Link {
    id: string;
    token: string;
    path: string;
}

async function makeLink(as: string, body: Json): Promise<Link> {
    const r = await req(srv, 'POST', '/api/upload-links', { token: as, json: body });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['expiresAt', 'id', 'url']);
    const m = /^(http:\/\/[^/]+)\/u\/([A-Za-z0-9_-]{43})$/.exec(r.body.url);
    assert.ok(m, `url: ${r.body.url}`);
    assert.equal(m[1], srv.origin);
    tokens.push(m[2]!);
    return { id: r.body.id, token: m[2]!, path: `/u/${m[2]}` };
}

interface Sent {
    status: number;
    body: Json;
    text: string;
    headers: Headers;
}

async function send(link: Link, files: { name: string; data: Buffer | string }[], o: { password?: string; headers?: Record<string, string> } = {}): Promise<Sent> {
    const f = new FormData();
    if (o.password !== undefined)
        f.append('password', o.password);
    for (const file of files)
        f.append('file', new Blob([typeof file.data === 'string' ? file.data : new Uint8Array(file.data)]), file.name);
    const r = await fetch(`${srv.url}${link.path}/upload`, { method: 'POST', body: f, headers: o.headers ?? {} });
    const text = await r.text();
    let body: Json;
    try {
        body = JSON.parse(text);
    } catch {
        body = undefined;
    }
    return { status: r.status, body, text, headers: r.headers };
}

async function bytes(key: string, bucket = B): Promise<string | null> {
    try {
        const o = await peer.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await o.Body!.transformToByteArray()).toString();
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return null;
        throw e;
    }
}

async function keys(prefix: string): Promise<string[]> {
    const r = await peer.client.send(new ListObjectsV2Command({ Bucket: B, Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function activity(action: string): Promise<Json[]> {
    const r = await req(srv, 'GET', `/api/activity?action=${action}&limit=500`, { token: admin });
    assert.equal(r.status, 200, r.text);
    return r.body.entries;
}

before(async () => {
    peer = await startRgw([B, OTHER]);
    for (const b of [B, OTHER])
        await emptyBucket(peer, b);
    clamd = await startClamd({ eicar: true });
    srv = await startServer({ env: { ...peer.seauEnv([B, OTHER]), SEAU_CLAMAV: clamd.address, SEAU_ALLOWED_TYPES: 'text/plain,image/*,application/octet-stream' } });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    [manager, managerId] = await account('ul-manager@example.com', 'manager', [{ bucket: B, prefix: 'inbox/' }]);
    [manager2] = await account('ul-manager2@example.com', 'manager', [{ bucket: B, prefix: '' }]);
    [user] = await account('ul-user@example.com', 'user', [{ bucket: B, prefix: '' }]);
    await peer.client.send(new PutObjectCommand({ Bucket: B, Key: 'inbox/reports/secret-listing.txt', Body: 'not for visitors' }));
    await peer.client.send(new PutObjectCommand({ Bucket: B, Key: 'inbox/reports/report.txt', Body: 'the original' }));
});

test('create: managers and admins within grants; every field validated', async () => {
    assertError(await req(srv, 'POST', '/api/upload-links', { token: user, json: { bucket: B, prefix: 'x/' } }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/upload-links', { token: manager, json: { bucket: B, prefix: 'elsewhere/' } }), 404, 'not_found');
    assertError(await req(srv, 'POST', '/api/upload-links', { token: manager, json: { bucket: OTHER, prefix: '' } }), 404, 'not_found');
    const post = (json: Json) => req(srv, 'POST', '/api/upload-links', { token: admin, json });
    assertFields(await post({ bucket: B, prefix: 'no-slash' }), ['prefix']);
    assertFields(await post({ bucket: B, prefix: '../x/' }), ['prefix']);
    assertFields(await post({ bucket: B, prefix: 'x/', expiresIn: 0 }), ['expiresIn']);
    assertFields(await post({ bucket: B, prefix: 'x/', expiresIn: 366 * 86400 + 1 }), ['expiresIn']);
    assertFields(await post({ bucket: B, prefix: 'x/', maxFiles: 0 }), ['maxFiles']);
    assertFields(await post({ bucket: B, prefix: 'x/', maxBytes: -1 }), ['maxBytes']);
    assertFields(await post({ bucket: B, prefix: 'x/', password: 'short' }), ['password']);
    assertFields(await post({ bucket: B, prefix: 'x/', message: 'm'.repeat(2001) }), ['message']);
    assertFields(await post({ bucket: B, prefix: 'x/', url: 'x' }), ['url']);
    /* At the limits. */
    await makeLink(admin, { bucket: B, prefix: 'x/', expiresIn: 366 * 86400, message: 'm'.repeat(2000), maxFiles: 100000 });
    const before = Date.now();
    const l = await makeLink(manager, { bucket: B, prefix: 'inbox/reports/', message: 'Please send the Q3 report' });
    const list = await req(srv, 'GET', '/api/upload-links', { token: manager });
    assert.equal(list.status, 200, list.text);
    const mine = list.body.links.find((x: Json) => x.id === l.id);
    assert.ok(mine, list.text);
    assert.equal(mine.url, null, 'the token is shown once');
    assert.equal(mine.prefix, 'inbox/reports/');
    assert.equal(mine.state, 'live');
    assert.equal(mine.createdByEmail, 'ul-manager@example.com');
    const exp = Date.parse(mine.expiresAt);
    assert.ok(exp >= before + 7 * 86400_000 - 5000 && exp <= Date.now() + 7 * 86400_000 + 5000, 'default expiry: 7 days');
    /* A manager lists only its own; an admin all. */
    assert.ok(!(await req(srv, 'GET', '/api/upload-links', { token: manager2 })).body.links.some((x: Json) => x.id === l.id));
    assert.ok((await req(srv, 'GET', '/api/upload-links', { token: admin })).body.links.some((x: Json) => x.id === l.id));
    const created = await activity('uploadlink.create');
    assert.ok(created.some((e: Json) => e.details?.link === l.id && e.status === 'success' && e.key === 'inbox/reports/'));
    assert.ok(created.some((e: Json) => e.status === 'failure' && e.userEmail === 'ul-manager@example.com' && e.details?.error === 'not_found'));
});

test('the page: FR/EN, dark mode, one strict CSP allowing its own style and script, no listing', async () => {
    const l = await makeLink(manager, { bucket: B, prefix: 'inbox/reports/', message: 'Bonjour <script>alert(1)</script>', maxFiles: 5 });
    const en = await req(srv, 'GET', l.path, { headers: { ...HTML, 'accept-language': 'de;q=1, en-GB;q=0.8, fr;q=0.5' } });
    assert.equal(en.status, 200, en.text);
    assert.match(en.text, /<html lang="en">/);
    assert.match(en.text, /Send files/);
    assert.match(en.text, /Files you may still send: 5/);
    const fr = await req(srv, 'GET', l.path, { headers: { ...HTML, 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.8' } });
    assert.match(fr.text, /<html lang="fr">/);
    assert.match(fr.text, /Envoyer des fichiers/);
    assert.match(fr.text, /Bonjour &lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'the message is escaped');
    assert.doesNotMatch(fr.text, /secret-listing|report\.txt/, 'the folder is never listed');
    assert.match(fr.text, /prefers-color-scheme:dark/);
    assert.match(fr.text, new RegExp(`action="${l.token}/upload"`));
    /* Exactly one policy, which allows the page's stylesheet and script by hash and nothing else. */
    const csp = fr.headers.get('content-security-policy') ?? '';
    assert.ok(!csp.includes(','), `one policy only: ${csp}`);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const style = /<style>([\s\S]*?)<\/style>/.exec(fr.text)![1]!;
    const script = /<script>([\s\S]*?)<\/script>/.exec(fr.text)![1]!;
    for (const part of [style, script])
        assert.ok(csp.includes(`'sha256-${createHash('sha256').update(part).digest('base64')}'`), csp);
    assert.equal(fr.headers.get('cache-control'), 'no-store');
    assert.match(fr.headers.get('x-robots-tag') ?? '', /noindex/);
    /* Unknown tokens: 404, a page for browsers. */
    assertError(await req(srv, 'GET', `/u/${'A'.repeat(43)}`), 404, 'not_found');
    const nf = await req(srv, 'GET', `/u/${'A'.repeat(43)}`, { headers: { ...HTML, 'accept-language': 'fr' } });
    assert.equal(nf.status, 404);
    assert.match(nf.text, /Lien introuvable/);
});

test('uploads land under the prefix, never over an existing object', async () => {
    const l = await makeLink(manager, { bucket: B, prefix: 'inbox/reports/' });
    const sentAt = Date.now();
    const r = await send(l, [{ name: 'report.txt', data: 'from a visitor' }, { name: 'notes é.txt', data: 'notes' }]);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.files, [{ name: 'report (1).txt', size: 14 }, { name: 'notes é.txt', size: 5 }]);
    assert.equal(await bytes('inbox/reports/report.txt'), 'the original', 'never replaced');
    assert.equal(await bytes('inbox/reports/report (1).txt'), 'from a visitor');
    const again = await send(l, [{ name: 'report.txt', data: 'second visitor' }]);
    assert.deepEqual(again.body.files, [{ name: 'report (2).txt', size: 14 }], again.text);
    /* Names cannot leave the prefix. */
    const bad = await send(l, [{ name: '../escape.txt', data: 'x' }]);
    assertError(bad, 400, 'validation_failed');
    assert.equal(await bytes('inbox/escape.txt'), null);
    /* Audited, owned by the link's creator in the index, and the creator is notified. */
    const ups = await activity('object.upload');
    const e = ups.find((x: Json) => x.key === 'inbox/reports/report (1).txt' && x.status === 'success');
    assert.ok(e, 'object.upload audited');
    assert.equal(e.userEmail, `upload-link:${l.id}`);
    assert.equal(e.details.via, 'upload-link');
    const s = await req(srv, 'GET', `/api/search?bucket=${B}&q=report (1)`, { token: manager });
    assert.equal(s.body.files.find((f: Json) => f.key === 'inbox/reports/report (1).txt')?.uploadedBy, managerId, s.text);
    /* One notification a file: the upload's own event carries the link's sentence. */
    const fromLink = async (): Promise<Json[]> => {
        const n = await req(srv, 'GET', '/api/notifications?limit=50', { token: manager });
        return n.body.notifications.filter(
            (x: Json) => x.metadata?.source === 'seau' && Date.parse(x.timestamp) >= sentAt && /^inbox\/reports\//.test(x.metadata?.key ?? ''),
        );
    };
    await poll('the three files\' notifications', async () => (await fromLink()).length >= 3);
    await sleep(300); /* a second one for a file, were there one, would be out by now */
    const got = await fromLink();
    assert.deepEqual(
        got.map((x: Json) => x.metadata.key).sort(),
        ['inbox/reports/notes é.txt', 'inbox/reports/report (1).txt', 'inbox/reports/report (2).txt'],
        JSON.stringify(got),
    );
    for (const x of got)
        assert.equal(x.message, 'A file arrived through the upload link to inbox/reports/');
    /* A browser without script gets a page. */
    const page = await send(l, [{ name: 'plain.txt', data: 'p' }], { headers: HTML });
    assert.equal(page.status, 201);
    assert.match(page.text, /Your files were received/);
});

test('password, limits (files and bytes, counted atomically), type and malware rules', async () => {
    const p = await makeLink(manager, { bucket: B, prefix: 'inbox/pw/', password: 'correct horse 7' });
    assertError(await send(p, [{ name: 'a.txt', data: 'a' }]), 401, 'unauthorized');
    assertError(await send(p, [{ name: 'a.txt', data: 'a' }], { password: 'wrong password' }), 401, 'unauthorized');
    assert.equal((await send(p, [{ name: 'a.txt', data: 'a' }], { password: 'correct horse 7' })).status, 201);
    assert.deepEqual(await keys('inbox/pw/'), ['inbox/pw/a.txt']);

    const f = await makeLink(manager, { bucket: B, prefix: 'inbox/files/', maxFiles: 2 });
    /* Three files in one request: the third finds the link full and ends the request (410); what
     * was stored stays, what was not is abandoned and its slot given back. */
    const three = await send(f, [{ name: '1.txt', data: '1' }, { name: '2.txt', data: '2' }, { name: '3.txt', data: '3' }]);
    assertError(three, 410, 'gone');
    /* The 410 goes out while the request is still being read; what it had under way is
     * settled when the request is released, a moment later: the unused slot given back, a
     * file half sent abandoned. Then the count is what was stored. */
    let stored = -1;
    let counted = -1;
    await poll('the link\'s count to settle on what was stored', async () => {
        stored = (await keys('inbox/files/')).length;
        counted = (await req(srv, 'GET', '/api/upload-links', { token: manager })).body.links.find((x: Json) => x.id === f.id).files;
        return counted === stored;
    }, 5000).catch(() => undefined);
    assert.ok(stored <= 2, `stored ${stored}`);
    assert.equal(counted, stored, 'the count is what was stored');
    for (let i = stored; i < 2; i++)
        assert.equal((await send(f, [{ name: `more${i}.txt`, data: 'm' }])).status, 201);
    assertError(await send(f, [{ name: '4.txt', data: '4' }]), 410, 'gone');
    assert.equal((await keys('inbox/files/')).length, 2);
    const page = await req(srv, 'GET', f.path, { headers: HTML });
    assert.equal(page.status, 410);

    /* Concurrent requests never pass maxFiles. */
    const c = await makeLink(manager, { bucket: B, prefix: 'inbox/race/', maxFiles: 3 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => send(c, [{ name: `${i}.txt`, data: `${i}` }])));
    assert.equal(results.filter((x) => x.status === 201).length, 3, results.map((x) => x.status).join(','));
    assert.equal((await keys('inbox/race/')).length, 3);

    const b = await makeLink(manager, { bucket: B, prefix: 'inbox/bytes/', maxBytes: 1000 });
    assertError(await send(b, [{ name: 'big.bin', data: randomBytes(2000) }]), 413, 'payload_too_large');
    assert.equal((await send(b, [{ name: 'small.txt', data: 'x'.repeat(100) }])).status, 201);
    assert.deepEqual(await keys('inbox/bytes/'), ['inbox/bytes/small.txt']);
    /* What a request reserved but did not store was given back. */
    const list = await req(srv, 'GET', '/api/upload-links', { token: manager });
    assert.equal(list.body.links.find((x: Json) => x.id === b.id).bytes, 100, list.text);

    const t = await makeLink(manager, { bucket: B, prefix: 'inbox/type/' });
    assertError(await send(t, [{ name: 'tool.exe', data: EXE }]), 415, 'unsupported_media_type');
    const m = await send(t, [{ name: 'eicar.txt', data: EICAR }]);
    assertError(m, 422, 'malware_detected');
    assertError(await send(t, [{ name: 'pattern.txt', data: `x ${CLAMD_TEST_PATTERN} y` }]), 422, 'malware_detected');
    assert.deepEqual(await keys('inbox/type/'), []);
});

test('expired, revoked and withdrawn links are gone; cross-site posts are refused', async () => {
    const e = await makeLink(manager, { bucket: B, prefix: 'inbox/exp/', expiresIn: 1 });
    await sleep(1500);
    assertError(await send(e, [{ name: 'late.txt', data: 'late' }]), 410, 'gone');
    assertError(await req(srv, 'GET', e.path), 410, 'gone');

    const r = await makeLink(manager, { bucket: B, prefix: 'inbox/rev/' });
    assertError(await req(srv, 'DELETE', `/api/upload-links/${r.id}`, { token: manager2 }), 404, 'not_found');
    assert.equal((await req(srv, 'DELETE', `/api/upload-links/${r.id}`, { token: manager })).status, 204);
    assertError(await req(srv, 'DELETE', `/api/upload-links/${r.id}`, { token: manager }), 404, 'not_found');
    assertError(await send(r, [{ name: 'x.txt', data: 'x' }]), 410, 'gone');
    assert.ok(!(await req(srv, 'GET', '/api/upload-links', { token: manager })).body.links.some((x: Json) => x.id === r.id));
    assert.ok((await activity('uploadlink.revoke')).some((x: Json) => x.details?.link === r.id));

    const x = await makeLink(manager, { bucket: B, prefix: 'inbox/csrf/' });
    assertError(await send(x, [{ name: 'a.txt', data: 'a' }], { headers: { origin: 'http://evil.example' } }), 403, 'csrf_rejected');
    assertError(await send(x, [{ name: 'a.txt', data: 'a' }], { headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'csrf_rejected');
    assert.equal((await send(x, [{ name: 'a.txt', data: 'a' }], { headers: { origin: srv.origin } })).status, 201);

    /* The creator loses the grant: the link is withdrawn. */
    const w = await makeLink(manager2, { bucket: B, prefix: 'inbox/withdrawn/' });
    const m2 = (await req(srv, 'GET', '/api/users', { token: admin })).body.users.find((u: Json) => u.email === 'ul-manager2@example.com');
    assert.equal((await req(srv, 'PUT', `/api/users/${m2.id}/grants`, { token: admin, json: { grants: [{ bucket: OTHER, prefix: '' }] } })).status, 200);
    assertError(await send(w, [{ name: 'a.txt', data: 'a' }]), 410, 'gone');
    assert.deepEqual(await keys('inbox/withdrawn/'), []);
});

test('no token reaches the log or the audit', async () => {
    const log = srv.stderr + srv.stdout;
    const audit = JSON.stringify(await activity('uploadlink.access')) + JSON.stringify(await activity('object.upload'));
    for (const t of tokens) {
        assert.ok(!log.includes(t), 'a token in the log');
        assert.ok(!audit.includes(t), 'a token in the audit');
    }
    assert.ok(log.includes('/u/{token}'), 'the access log names the pattern');
});
