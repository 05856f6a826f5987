/*
 * Managed share links (API.md POST/GET /api/shares, DELETE /api/shares/{id},
 * GET /s/{token}) against Ceph RGW, the S3 that checks presigned
 * signatures. Objects are seeded with the AWS SDK and every download is
 * compared with the seeded bytes, following the redirect to S3 with fetch.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before } from 'node:test';

import {
    ADMIN,
    assertError,
    assertFields,
    createUser,
    login,
    rawRequest,
    req,
    sleep,
    startServer,
    test,
    type Json,
    type Res,
    type SeauServer,
} from './harness.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const PASSWORD = 'user-password-0123456789';
const LINK_PASSWORD = 'correct horse 7';
const XSS = '<img src=x onerror=alert(1)>.png';
const HTML = { accept: 'text/html,application/xhtml+xml' };

let peer: S3Peer;
let srv: SeauServer;
let admin: string;
let manager: string; /* grant: sh-a, prefix team/ */
let manager2: string; /* grant: sh-b */
let user: string; /* grant: sh-a */
let managerId: number;
const seeded = new Map<string, Buffer>();
/** Every token handed out, to prove none leaks into the log or the activity. */
const tokens: string[] = [];

async function put(bucket: string, key: string, body: Buffer = randomBytes(2048)): Promise<Buffer> {
    await peer.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    seeded.set(`${bucket}/${key}`, body);
    return body;
}

async function grantedUser(email: string, role: string, grants: { bucket: string; prefix: string }[]): Promise<[string, number]> {
    const u = await createUser(srv, admin, { email, password: PASSWORD, role });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants } });
    assert.equal(r.status, 200, r.text);
    return [(await login(srv, email, PASSWORD)).token, u.id];
}

interface Made {
    id: string;
    url: string;
    token: string;
    path: string;
    expiresAt: string | null;
}

async function share(as: string, body: Json, s: SeauServer = srv): Promise<Made> {
    const r = await req(s, 'POST', '/api/shares', { token: as, json: body });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['expiresAt', 'id', 'url']);
    const m = /^(http:\/\/[^/]+)\/s\/([A-Za-z0-9_-]{43})$/.exec(r.body.url);
    assert.ok(m, `url: ${r.body.url}`);
    assert.equal(m[1], s.origin, 'the link is on the server origin');
    tokens.push(m[2]!);
    return { id: r.body.id, url: r.body.url, token: m[2]!, path: `/s/${m[2]}`, expiresAt: r.body.expiresAt };
}

/** Follows a share download to its bytes: the redirect to S3, fetched without Seau. */
async function download(path: string, o: { headers?: Record<string, string> } = {}): Promise<{ res: Res; bytes?: Buffer; location?: string }> {
    const res = await req(srv, 'GET', path, { headers: o.headers });
    if (res.status !== 302)
        return { res };
    const location = res.headers.get('location')!;
    const s3 = await fetch(location);
    assert.equal(s3.status, 200, `the presigned URL must work: ${location}`);
    return { res, location, bytes: Buffer.from(await s3.arrayBuffer()) };
}

async function activity(action: string, limit = 200): Promise<Json[]> {
    const r = await req(srv, 'GET', `/api/activity?action=${action}&limit=${limit}`, { token: admin });
    assert.equal(r.status, 200, r.text);
    return r.body.entries;
}

before(async () => {
    peer = await startRgw(['sh-a', 'sh-b']);
    srv = await startServer({
        env: { ...peer.seauEnv(['sh-a', 'sh-b']), SEAU_SHARE_MAX_EXPIRY: '1h', SEAU_SHARE_DEFAULT_EXPIRY: '10m' },
    });
    admin = (await login(srv, ADMIN.email, ADMIN.password)).token;
    [manager, managerId] = await grantedUser('manager@example.com', 'manager', [{ bucket: 'sh-a', prefix: 'team/' }]);
    [manager2] = await grantedUser('manager2@example.com', 'manager', [{ bucket: 'sh-b', prefix: '' }]);
    [user] = await grantedUser('user@example.com', 'user', [{ bucket: 'sh-a', prefix: '' }]);
    await put('sh-a', 'docs/report.bin');
    await put('sh-a', 'team/plan.txt');
    await put('sh-a', 'folder/one.txt');
    await put('sh-a', 'folder/sub/two é.txt');
    await put('sh-a', `folder/${XSS}`);
    await put('sh-a', 'folder-sibling.txt');
    await put('sh-a', 'outside/secret.txt');
    await put('sh-b', 'b/file.txt');
});

test('create: the role table decides, grants hide, S3 must hold the target', async () => {
    /* API.md: share links are a manager's and an admin's right, not a user's. */
    assertError(await req(srv, 'POST', '/api/shares', { token: user, json: { bucket: 'sh-a', key: 'docs/report.bin' } }), 403, 'forbidden');
    assertError(await req(srv, 'POST', '/api/shares', { token: manager, json: { bucket: 'sh-a', key: 'docs/report.bin' } }), 404, 'not_found');
    assertError(await req(srv, 'POST', '/api/shares', { token: manager, json: { bucket: 'sh-b', key: 'b/file.txt' } }), 404, 'not_found');
    assertError(await req(srv, 'POST', '/api/shares', { token: admin, json: { bucket: 'sh-a', key: 'docs/missing.bin' } }), 404, 'not_found');
    assertError(await req(srv, 'POST', '/api/shares', { token: admin, json: { bucket: 'sh-a', key: 'nothing-here/' } }), 404, 'not_found');
    assertError(await req(srv, 'POST', '/api/shares', { token: admin, json: { bucket: 'sh-c', key: 'x' } }), 404, 'not_found');

    const before = Date.now();
    const m = await share(manager, { bucket: 'sh-a', key: 'team/plan.txt' });
    const exp = Date.parse(m.expiresAt!);
    assert.ok(exp >= before + 600_000 - 2000 && exp <= Date.now() + 600_000 + 2000, `default expiry 10 min: ${m.expiresAt}`);
    const a = await share(admin, { key: 'docs/report.bin', expiresIn: 3600, maxDownloads: 5 }); /* default bucket */
    assert.ok(Math.abs(Date.parse(a.expiresAt!) - (Date.now() + 3_600_000)) < 5000);

    const created = await activity('share.create');
    const ok = created.find((e: Json) => e.details?.share === m.id);
    assert.ok(ok, 'share.create is audited');
    assert.equal(ok.status, 'success');
    assert.equal(ok.bucket, 'sh-a');
    assert.equal(ok.key, 'team/plan.txt');
    assert.equal(ok.userEmail, 'manager@example.com');
    assert.ok(created.some((e: Json) => e.status === 'failure' && e.userEmail === 'user@example.com' && e.details?.error === 'forbidden'), 'a refusal is audited');
});

test('create: every field is validated, and the expiry cap names expiresIn', async () => {
    const post = (json: Json) => req(srv, 'POST', '/api/shares', { token: admin, json });
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', expiresIn: 7201 }), ['expiresIn']);
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', expiresIn: 3601 }), ['expiresIn']);
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', expiresIn: 0 }), ['expiresIn']); /* "never" needs an unlimited cap */
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', expiresIn: -5 }), ['expiresIn']);
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', expiresIn: '60' }), ['expiresIn']);
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', expiresIn: 1.5 }), ['expiresIn']);
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', maxDownloads: 0 }), ['maxDownloads']);
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', password: 'short' }), ['password']);
    assertFields(await post({ bucket: 'sh-a', key: 'docs/report.bin', password: 'x'.repeat(1025) }), ['password']);
    assertFields(await post({ bucket: 'sh-a', key: '../docs/report.bin' }), ['key']);
    assertFields(await post({ bucket: 'sh-a', key: '/docs/report.bin' }), ['key']);
    assertFields(await post({ bucket: 'sh-a', key: 'k'.repeat(1025) }), ['key']);
    assertFields(await post({ bucket: 'sh-a' }), ['key']);
    assertFields(await post({ bucket: 'NO', key: 'a' }), ['bucket']);
    assertFields(await post({ key: 'a', url: 'x' }), ['url']);
    assertError(await req(srv, 'POST', '/api/shares', { token: admin, body: 'key=a', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    assertError(await req(srv, 'POST', '/api/shares', { json: { key: 'docs/report.bin' } }), 401, 'unauthorized');
    /* The largest accepted values pass. */
    const m = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin', expiresIn: 3600, password: 'p'.repeat(1024), maxDownloads: 1_000_000_000 });
    assert.ok(m.expiresAt);
});

test('a file link: a page without script under a strict CSP, then the exact bytes via a short presigned URL', async () => {
    const m = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin' });
    const page = await req(srv, 'GET', m.path, { headers: HTML });
    assert.equal(page.status, 200, page.text);
    assert.match(page.headers.get('content-type')!, /^text\/html; charset=utf-8/);
    assert.match(page.text, /<h1>report\.bin<\/h1>/);
    assert.match(page.text, /2 KB/); /* the console's format: web/lib/format.ts */
    assert.match(page.text, /href="\?download=1"/);
    assert.doesNotMatch(page.text, /<script|\son\w+=|javascript:/i);
    assert.doesNotMatch(page.text, /style="/, 'no inline style attributes: the CSP would block them');
    /* Headers: the server's and the page's own policy, which allows exactly its stylesheet. */
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.headers.get('x-robots-tag') ?? '', /noindex/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.doesNotMatch(csp, /,/, 'one policy: the page\'s own, not the server\'s beside it (which blocks its style)');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp.split(',').find((p) => p.includes("default-src 'none'"))!, /unsafe-inline|script-src/);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.text)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    assert.ok(csp.includes(`'sha256-${hash}'`), `the stylesheet's hash must be in the CSP: ${csp}`);

    const d = await download(`${m.path}?download=1`);
    assert.equal(d.res.status, 302, d.res.text);
    assert.deepEqual(d.bytes, seeded.get('sh-a/docs/report.bin'));
    const u = new URL(d.location!);
    assert.equal(u.origin, peer.endpoint, 'redirected to S3 itself');
    assert.ok(Number(u.searchParams.get('X-Amz-Expires')) <= 300, 'the presigned URL lives at most 5 minutes');
    assert.match(u.searchParams.get('response-content-disposition') ?? '', /attachment; filename="report\.bin"/);
    assert.ok(!d.location!.includes(m.token), 'the token does not travel to S3');
    /* The same link downloads again (no limit set). */
    assert.deepEqual((await download(`${m.path}?download=1`)).bytes, seeded.get('sh-a/docs/report.bin'));

    /* JSON errors for scripts, pages for browsers. */
    const bad = `/s/${'A'.repeat(43)}`;
    assertError(await req(srv, 'GET', bad), 404, 'not_found');
    const nf = await req(srv, 'GET', bad, { headers: HTML });
    assert.equal(nf.status, 404);
    assert.match(nf.headers.get('content-type')!, /^text\/html/);
    assertError(await req(srv, 'GET', '/s/short'), 404, 'not_found');
});

test('expiry: a one-second link is gone (410) after 1.5 s', async () => {
    const m = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin', expiresIn: 1 });
    assert.equal((await req(srv, 'GET', m.path, { headers: HTML })).status, 200);
    await sleep(1500);
    assertError(await req(srv, 'GET', `${m.path}?download=1`), 410, 'gone');
    const page = await req(srv, 'GET', m.path, { headers: HTML });
    assert.equal(page.status, 410);
    assert.match(page.text, /no longer available/);
    const e = (await activity('share.access')).find((x: Json) => x.details?.share === m.id && x.details?.reason === 'expired');
    assert.ok(e, 'the refused access is audited');
    assert.equal(e.status, 'failure');
    assert.equal(e.details.http, 410);
});

test('password: missing or wrong is 401 with the form, the right one opens; a cookie keeps it', async () => {
    const m = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin', password: LINK_PASSWORD });
    const missing = assertError(await req(srv, 'GET', `${m.path}?download=1`), 401, 'unauthorized');
    assert.match(missing.message, /password/);
    assertError(await req(srv, 'GET', `${m.path}?download=1&password=wrong-password`), 401, 'unauthorized');
    const form = await req(srv, 'GET', m.path, { headers: HTML });
    assert.equal(form.status, 401);
    assert.match(form.text, /<form method="post">/);
    assert.match(form.text, /type="password"/);
    assert.doesNotMatch(form.text, /report\.bin/, 'nothing about the file before the password');

    /* The right password in the query: the exact bytes. */
    const d = await download(`${m.path}?download=1&password=${encodeURIComponent(LINK_PASSWORD)}`);
    assert.equal(d.res.status, 302, d.res.text);
    assert.deepEqual(d.bytes, seeded.get('sh-a/docs/report.bin'));

    /* The browser's way: the form (wrong, then right), a 303 back with a cookie, then plain links. */
    const formPost = (pw: string, extra = '') => req(srv, 'POST', m.path + extra, {
        body: `password=${encodeURIComponent(pw).replace(/%20/g, '+')}`,
        headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
    });
    const wrong = await formPost('nope nope nope');
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /not right/);
    const right = await formPost(LINK_PASSWORD);
    assert.equal(right.status, 303, right.text);
    assert.equal(right.headers.get('location'), m.path);
    const setCookie = right.headers.get('set-cookie') ?? '';
    assert.match(setCookie, new RegExp(`^seau_share=[0-9a-f]{64}; Path=${m.path}; Max-Age=\\d+; HttpOnly; SameSite=Strict`));
    const cookie = setCookie.split(';')[0]!;
    const page = await req(srv, 'GET', m.path, { headers: { ...HTML, cookie } });
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /report\.bin/);
    const viaCookie = await download(`${m.path}?download=1`, { headers: { cookie } });
    assert.deepEqual(viaCookie.bytes, seeded.get('sh-a/docs/report.bin'));
    /* A forged cookie, or one of another link, opens nothing. */
    assertError(await req(srv, 'GET', `${m.path}?download=1`, { headers: { cookie: `seau_share=${'0'.repeat(64)}` } }), 401, 'unauthorized');
    const other = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin', password: LINK_PASSWORD });
    assertError(await req(srv, 'GET', `${other.path}?download=1`, { headers: { cookie } }), 401, 'unauthorized');
    /* POST with download=1 answers with the file directly. */
    const direct = await req(srv, 'POST', other.path, {
        body: `password=${encodeURIComponent(LINK_PASSWORD)}&download=1`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(direct.status, 302, direct.text);
    /* A browser goes back to the page instead: CSP form-action would block a form's redirect to S3. */
    const browser = await req(srv, 'POST', `${other.path}?download=1`, {
        body: `password=${encodeURIComponent(LINK_PASSWORD)}`,
        headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(browser.status, 303, browser.text);
    assert.equal(browser.headers.get('location'), other.path);
    assertError(await req(srv, 'POST', other.path, { json: { password: LINK_PASSWORD } }), 415, 'unsupported_media_type');

    const reasons = (await activity('share.access')).filter((x: Json) => x.details?.share === m.id).map((x: Json) => x.details.reason ?? x.details.event);
    assert.ok(reasons.includes('password_required'), reasons.join());
    assert.ok(reasons.includes('wrong_password'), reasons.join());
    assert.ok(reasons.includes('download'), reasons.join());
});

test('password guessing is throttled per link and address: 429 after 10 failures', async () => {
    const m = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin', password: LINK_PASSWORD });
    for (let i = 0; i < 10; i++)
        assertError(await req(srv, 'GET', `${m.path}?download=1&password=guess-${i}-xxxx`), 401, 'unauthorized');
    const r = await req(srv, 'GET', `${m.path}?download=1&password=${encodeURIComponent(LINK_PASSWORD)}`);
    assertError(r, 429, 'rate_limited');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    const page = await req(srv, 'GET', `${m.path}?password=guess-x-xxxx`, { headers: HTML });
    assert.equal(page.status, 429);
    assert.ok(Number(page.headers.get('retry-after')) > 0);
    /* Another link is not affected. */
    const other = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin', password: LINK_PASSWORD });
    assert.equal((await req(srv, 'GET', `${other.path}?download=1&password=${encodeURIComponent(LINK_PASSWORD)}`)).status, 302);
    assert.ok((await activity('share.access')).some((x: Json) => x.details?.share === m.id && x.details?.reason === 'rate_limited'));
});

test('maxDownloads=2: two downloads, then 410; page views do not count', async () => {
    const m = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin', maxDownloads: 2 });
    for (let i = 0; i < 3; i++)
        assert.equal((await req(srv, 'GET', m.path, { headers: HTML })).status, 200);
    assert.deepEqual((await download(`${m.path}?download=1`)).bytes, seeded.get('sh-a/docs/report.bin'));
    assert.equal((await req(srv, 'HEAD', `${m.path}?download=1`)).status, 302, 'a HEAD does not count');
    assert.deepEqual((await download(`${m.path}?download=1`)).bytes, seeded.get('sh-a/docs/report.bin'));
    assertError(await req(srv, 'GET', `${m.path}?download=1`), 410, 'gone');
    assert.equal((await req(srv, 'GET', m.path, { headers: HTML })).status, 410);
    const listed = (await req(srv, 'GET', '/api/shares?limit=1000', { token: admin })).body.shares.find((s: Json) => s.id === m.id);
    assert.equal(listed.downloads, 2);
    assert.equal(listed.maxDownloads, 2);
    assert.equal(listed.state, 'exhausted');
});

test('the download limit holds under 12 concurrent downloads', async () => {
    const m = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin', maxDownloads: 3 });
    const rs = await Promise.all(Array.from({ length: 12 }, () => req(srv, 'GET', `${m.path}?download=1`)));
    const counts = rs.reduce((c: Record<number, number>, r) => ({ ...c, [r.status]: (c[r.status] ?? 0) + 1 }), {});
    assert.deepEqual(counts, { 302: 3, 410: 9 });
    const listed = (await req(srv, 'GET', '/api/shares?limit=1000', { token: admin })).body.shares.find((s: Json) => s.id === m.id);
    assert.equal(listed.downloads, 3);
});

test('revocation: 204, the link is gone at once; only the owner, a manager within grants or an admin', async () => {
    const m = await share(manager, { bucket: 'sh-a', key: 'team/plan.txt' });
    assert.equal((await req(srv, 'GET', `${m.path}?download=1`)).status, 302);
    assertError(await req(srv, 'DELETE', `/api/shares/${m.id}`, { token: user }), 404, 'not_found');
    assertError(await req(srv, 'DELETE', `/api/shares/${m.id}`, { token: manager2 }), 404, 'not_found');
    assertError(await req(srv, 'DELETE', '/api/shares/unknown-id', { token: admin }), 404, 'not_found');
    const r = await req(srv, 'DELETE', `/api/shares/${m.id}`, { token: manager });
    assert.equal(r.status, 204, r.text);
    assertError(await req(srv, 'GET', `${m.path}?download=1`), 410, 'gone');
    assert.equal((await req(srv, 'GET', m.path, { headers: HTML })).status, 410);
    assertError(await req(srv, 'DELETE', `/api/shares/${m.id}`, { token: manager }), 404, 'not_found');
    const rev = (await activity('share.revoke')).find((e: Json) => e.details?.share === m.id);
    assert.ok(rev, 'share.revoke is audited');
    assert.equal(rev.userEmail, 'manager@example.com');
    assert.equal(rev.key, 'team/plan.txt');
    /* An admin revokes anyone's. */
    const n = await share(manager, { bucket: 'sh-a', key: 'team/plan.txt' });
    assert.equal((await req(srv, 'DELETE', `/api/shares/${n.id}`, { token: admin })).status, 204);
    assertError(await req(srv, 'GET', `${n.path}?download=1`), 410, 'gone');
});

test('a link dies with its creator\'s right to share it', async () => {
    const m = await share(manager, { bucket: 'sh-a', key: 'team/plan.txt' });
    assert.equal((await req(srv, 'GET', `${m.path}?download=1`)).status, 302);
    let r = await req(srv, 'PUT', `/api/users/${managerId}/grants`, { token: admin, json: { grants: [{ bucket: 'sh-a', prefix: 'elsewhere/' }] } });
    assert.equal(r.status, 200, r.text);
    assertError(await req(srv, 'GET', `${m.path}?download=1`), 410, 'gone');
    r = await req(srv, 'PUT', `/api/users/${managerId}/grants`, { token: admin, json: { grants: [{ bucket: 'sh-a', prefix: 'team/' }] } });
    assert.equal(r.status, 200, r.text);
    assert.equal((await req(srv, 'GET', `${m.path}?download=1`)).status, 302, 'and comes back with it (it was never revoked)');
    assert.ok((await activity('share.access')).some((x: Json) => x.details?.share === m.id && x.details?.reason === 'withdrawn'));
});

test('a folder link lists only its prefix, escapes names, and refuses keys outside it', async () => {
    const m = await share(admin, { bucket: 'sh-a', key: 'folder/' });
    const page = await req(srv, 'GET', m.path, { headers: HTML });
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /<h1>folder\/<\/h1>/);
    assert.match(page.text, />one\.txt</);
    assert.match(page.text, />sub\/two é\.txt</);
    assert.match(page.text, /href="\?download=1&amp;key=sub%2Ftwo%20%C3%A9\.txt"/);
    assert.doesNotMatch(page.text, /folder-sibling|outside|secret/);
    /* The hostile name is text, never markup. */
    assert.ok(page.text.includes('&lt;img src=x onerror=alert(1)&gt;.png'), 'escaped name shown');
    assert.ok(!page.text.includes('<img'), 'no <img> element');
    assert.ok(page.text.includes('key=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.png'));

    const d = await download(`${m.path}?download=1&key=${encodeURIComponent('sub/two é.txt')}`);
    assert.equal(d.res.status, 302, d.res.text);
    assert.deepEqual(d.bytes, seeded.get('sh-a/folder/sub/two é.txt'));
    assert.deepEqual((await download(`${m.path}?download=1&key=${encodeURIComponent(XSS)}`)).bytes, seeded.get(`sh-a/folder/${XSS}`));

    for (const bad of ['../folder-sibling.txt', '../', '..', '/outside/secret.txt', 'sub/../../outside/secret.txt', './one.txt', 'a\u0001b'])
        assertFields(await req(srv, 'GET', `${m.path}?download=1&key=${encodeURIComponent(bad)}`), ['key']);
    assertFields(await req(srv, 'GET', `${m.path}?download=1`), ['key']);
    /* fetch would normalise a raw ../ away: a raw request keeps it. */
    const raw = await rawRequest(srv.port, `GET ${m.path}?download=1&key=../outside/secret.txt HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n\r\n`);
    assert.equal(raw.status, 400, raw.text);
    assertError(await req(srv, 'GET', `${m.path}?download=1&key=missing.txt`), 404, 'not_found');
    const gone = await req(srv, 'GET', `${m.path}?download=1&key=..`, { headers: HTML });
    assert.equal(gone.status, 400);
    assert.match(gone.headers.get('content-type')!, /^text\/html/);
});

test('a folder link pages its files, 100 at a time', async () => {
    for (let i = 0; i < 105; i++)
        await put('sh-b', `many/f${String(i).padStart(3, '0')}.txt`, Buffer.from(`f${i}`));
    const m = await share(manager2, { bucket: 'sh-b', key: 'many/' });
    const p1 = await req(srv, 'GET', m.path, { headers: HTML });
    assert.equal(p1.status, 200);
    assert.equal((p1.text.match(/<tr><td>/g) ?? []).length, 100);
    const next = /href="\?after=([^"]+)"/.exec(p1.text);
    assert.ok(next, 'a next-page link');
    assert.equal(next[1], 'f099.txt');
    const p2 = await req(srv, 'GET', `${m.path}?after=${next[1]}`, { headers: HTML });
    assert.equal((p2.text.match(/<tr><td>/g) ?? []).length, 5);
    assert.doesNotMatch(p2.text, /\?after=/);
    assert.match(p2.text, />f104\.txt</);
});

test('listing: own shares for users, within grants for managers, all for admins; no URL, token or hash', async () => {
    const mine = await share(manager2, { bucket: 'sh-b', key: 'b/file.txt', password: LINK_PASSWORD, maxDownloads: 4 });
    const team = await share(manager, { bucket: 'sh-a', key: 'team/plan.txt' });
    const adminOnA = await share(admin, { bucket: 'sh-a', key: 'team/plan.txt' });
    const adminElsewhere = await share(admin, { bucket: 'sh-a', key: 'outside/secret.txt' });
    const list = async (who: string, q = '') => {
        const r = await req(srv, 'GET', `/api/shares?limit=1000${q}`, { token: who });
        assert.equal(r.status, 200, r.text);
        return r;
    };
    const all = await list(admin);
    const ids = (r: Res) => r.body.shares.map((s: Json) => s.id);
    for (const m of [mine, team, adminOnA, adminElsewhere])
        assert.ok(ids(all).includes(m.id));
    const entry = all.body.shares.find((s: Json) => s.id === mine.id);
    assert.deepEqual(
        { ...entry, createdAt: typeof entry.createdAt, expiresAt: typeof entry.expiresAt, createdBy: typeof entry.createdBy },
        { id: mine.id, bucket: 'sh-b', key: 'b/file.txt', url: null, createdBy: 'number', createdByEmail: 'manager2@example.com', createdAt: 'string', expiresAt: 'string', downloads: 0, maxDownloads: 4, hasPassword: true, folder: false, state: 'live' },
    );
    for (const t of tokens)
        assert.ok(!all.text.includes(t), 'no token in the listing');
    assert.doesNotMatch(all.text, /argon2|hash/i);

    const m1 = ids(await list(manager));
    assert.ok(m1.includes(team.id) && m1.includes(adminOnA.id), 'a manager sees shares within its grants');
    assert.ok(!m1.includes(adminElsewhere.id) && !m1.includes(mine.id), 'and nothing outside them');
    const m2 = ids(await list(manager2));
    assert.ok(m2.includes(mine.id) && !m2.includes(team.id));
    assert.deepEqual(ids(await list(user)), [], 'a user has none of its own');
    const onlyB = (await list(admin, '&bucket=sh-b')).body.shares;
    assert.ok(onlyB.length > 0 && onlyB.every((s: Json) => s.bucket === 'sh-b'));
    assertFields(await req(srv, 'GET', '/api/shares?bucket=NO', { token: admin }), ['bucket']);
    assertFields(await req(srv, 'GET', '/api/shares?limit=1001', { token: admin }), ['limit']);
    assertFields(await req(srv, 'GET', '/api/shares?cursor=zzz', { token: admin }), ['cursor']);

    /* Paging: newest first, two at a time, every share once. */
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 100; i++) {
        const r = await req(srv, 'GET', `/api/shares?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: admin });
        assert.equal(r.status, 200, r.text);
        assert.ok(r.body.shares.length <= 2);
        seen.push(...ids(r));
        if (!r.body.nextCursor)
            break;
        cursor = r.body.nextCursor;
    }
    assert.deepEqual(seen, ids(all));
    assert.equal(new Set(seen).size, seen.length);
});

test('every access is audited with address and agent; no token in the activity or the log', async () => {
    const m = await share(admin, { bucket: 'sh-a', key: 'docs/report.bin' });
    const ua = 'share-test-agent/1.0';
    assert.equal((await req(srv, 'GET', m.path, { headers: { ...HTML, 'user-agent': ua } })).status, 200);
    assert.equal((await req(srv, 'GET', `${m.path}?download=1`, { headers: { 'user-agent': ua } })).status, 302);
    const mine = (await activity('share.access')).filter((e: Json) => e.details?.share === m.id);
    const view = mine.find((e: Json) => e.details.event === 'view');
    const dl = mine.find((e: Json) => e.details.event === 'download');
    assert.ok(view && dl, JSON.stringify(mine));
    for (const e of [view, dl]) {
        assert.equal(e.status, 'success');
        assert.equal(e.ip, '127.0.0.1');
        assert.equal(e.userAgent, ua);
        assert.equal(e.userId, null, 'a visitor is nobody');
        assert.equal(e.bucket, 'sh-a');
        assert.equal(e.key, 'docs/report.bin');
    }
    /* Everything the server said about links. */
    const everything = await req(srv, 'GET', '/api/activity?limit=1000', { token: admin });
    assert.equal(everything.status, 200);
    for (const t of tokens) {
        assert.ok(!everything.text.includes(t), 'a token in the activity');
        assert.ok(!srv.stderr.includes(t) && !srv.stdout.includes(t), 'a token in the log');
    }
    const line = await srv.waitForLog('the access log line of a link', (l: Json) => l.msg === 'request' && l.route === '/s/{token}');
    assert.equal(line.path, '/s/{token}', 'the access log names the pattern, not the token');
});

test('proxy mode streams the file through Seau', async () => {
    const s = await startServer({ env: { ...peer.seauEnv(['sh-a', 'sh-b']), SEAU_DOWNLOAD_MODE: 'proxy' } });
    const t = (await login(s, ADMIN.email, ADMIN.password)).token;
    const m = await share(t, { bucket: 'sh-a', key: 'docs/report.bin', maxDownloads: 1 }, s);
    const r = await fetch(`${s.url}${m.path}?download=1`, { redirect: 'manual' });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-disposition') ?? '', /attachment/);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), seeded.get('sh-a/docs/report.bin'));
    const again = await req(s, 'GET', `${m.path}?download=1`);
    assertError(again, 410, 'gone');
    await s.stop();
});
