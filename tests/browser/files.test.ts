/*
 * The file browser in Chromium against seau + Ceph RGW: sign-in and return
 * to the page asked for, browsing, drag-and-drop upload straight to S3
 * (multipart included), resume after a reload, preview, rename, bulk
 * delete, search, and a hostile file name shown as text. Every effect is
 * checked with the AWS SDK, not through seau.
 */
import { DeleteBucketCorsCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

import { ADMIN, WEB_ROOT, assertNoProblems, dropFiles, newTab, poll, signIn, startConsole, test, type Console } from './console.ts';
import { startServer } from '../integration/harness.ts';

const A = 'web-a';
const B = 'web-b';
const XSS = '<img src=x onerror=alert(1)>.png';
const MiB = 1024 * 1024;
let c: Console;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'seau-browser-'));

before(async () => {
    c = await startConsole([A, B]);
    const put = (Key: string, Body: string | Uint8Array, ContentType = 'text/plain') => c.peer.client.send(new PutObjectCommand({ Bucket: A, Key, Body, ContentType }));
    await put('docs/readme.txt', 'hello from the readme\n');
    await put('docs/sub/deep.txt', 'deep');
    await put('notes.txt', 'first line\nsecond line\n');
    await put(XSS, new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/png');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

async function keys(bucket = A, prefix = ''): Promise<Map<string, number>> {
    const r = await c.peer.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return new Map((r.Contents ?? []).map((o) => [o.Key!, o.Size!]));
}

test('sign-in: a signed-out visit goes to the login page and back to where it was', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await page.goto(`/files?bucket=${A}&prefix=docs%2F`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('wrong-password-000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor();
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/files\?bucket=web-a&prefix=docs%2F/);
    await page.locator('[data-name="readme.txt"]').waitFor();
    /* The session ends under the user's feet: the next call sends them to sign in, then back. */
    await tab.context.clearCookies();
    await page.locator('[data-name="sub"]').getByTestId('entry-name').click();
    await page.waitForURL(/\/login\?expired=1&next=/);
    await page.getByText('Your session has ended').waitFor();
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/files\?bucket=web-a&prefix=docs%2Fsub%2F/);
    await page.locator('[data-name="deep.txt"]').waitFor();
    /* Logout revokes the session: the next visit asks again. */
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto('/files');
    await page.waitForURL(/\/login\?next=%2Ffiles/);
    assertNoProblems(tab, [/401 .*\/api\/(auth\/login|list)/]);
    await tab.context.close();
});

test('browse: folders first, breadcrumbs, go to path, sort, keyboard', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page);
    const names = page.locator('[role="row"][data-name]');
    await names.first().waitFor();
    const first = await names.evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-kind')}:${r.getAttribute('data-name')}`));
    assert.deepEqual(first, ['folder:docs', `file:${XSS}`, 'file:notes.txt']);
    /* Sort: Name again sorts descending (folders stay first). */
    await page.getByRole('columnheader', { name: /Name/ }).getByRole('button').click();
    await page.waitForURL(/sort=-name/);
    await poll('the descending order', async () => {
        const files = await names.evaluateAll((rows) => rows.filter((r) => r.getAttribute('data-kind') === 'file').map((r) => r.getAttribute('data-name')));
        return files.join('|') === ['notes.txt', XSS].join('|');
    });
    assert.equal(await names.first().getAttribute('data-kind'), 'folder');
    await page.getByRole('columnheader', { name: /Name/ }).getByRole('button').click();
    await page.waitForURL((u) => !u.search.includes('sort='));
    await page.getByRole('button', { name: 'docs/' }).click();
    await page.waitForURL(/prefix=docs%2F/);
    await page.locator('[data-name="sub"]').waitFor();
    await page.getByTestId('breadcrumbs').getByRole('button', { name: A }).click();
    await page.locator('[data-name="notes.txt"]').waitFor();
    await page.getByLabel('Go to path').fill('docs/sub');
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await page.locator('[data-name="deep.txt"]').waitFor();
    assert.deepEqual((await page.getByTestId('breadcrumbs').getByRole('button').allInnerTexts()).map((x) => x.trim()), [A, 'docs', 'sub']);
    /* Keyboard: Backspace goes up, arrows move, Enter opens a folder. */
    await page.getByTestId('file-list').focus();
    await page.keyboard.press('Backspace');
    await page.locator('[data-name="sub"]').waitFor();
    await page.keyboard.press('Backspace');
    await page.locator('[data-name="docs"]').waitFor();
    await page.getByTestId('file-list').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.waitForURL(/prefix=docs%2F/);
    assertNoProblems(tab);
    await tab.context.close();
});

test('upload: drag and drop of several files goes straight to S3, multipart included', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=drop%2F`);
    await page.getByTestId('empty').waitFor();
    const direct: string[] = [];
    page.on('request', (r) => {
        if (r.method() === 'PUT' && r.url().startsWith(c.peer.endpoint)) direct.push(r.url());
    });
    await dropFiles(page, '[data-testid="browser"]', [
        { name: 'small-1.txt', size: 1000, type: 'text/plain' },
        { name: 'small-2.txt', size: 2000, type: 'text/plain' },
        { name: 'big.bin', size: 20 * MiB + 5, fill: 7 },
    ]);
    for (const n of ['small-1.txt', 'small-2.txt', 'big.bin'])
        await page.locator(`[data-upload="${n}"][data-status="done"]`).waitFor({ timeout: 60_000 });
    const got = await keys(A, 'drop/');
    assert.equal(got.get('drop/small-1.txt'), 1000);
    assert.equal(got.get('drop/small-2.txt'), 2000);
    assert.equal(got.get('drop/big.bin'), 20 * MiB + 5);
    const head = await c.peer.client.send(new HeadObjectCommand({ Bucket: A, Key: 'drop/big.bin' }));
    assert.match(head.ETag ?? '', /-3"$/, 'big.bin was assembled from 3 parts');
    assert.ok(direct.filter((u) => u.includes('partNumber=')).length >= 3, 'the parts went straight to RGW');
    assert.ok(direct.length >= 5, `every file went to RGW directly (${direct.length} PUTs)`);
    /* The open folder shows the new files without a reload. */
    await page.locator('[data-name="big.bin"]').waitFor();
    await page.locator('[data-name="small-2.txt"]').waitFor();
    assertNoProblems(tab);
    await tab.context.close();
});

test('upload: after a reload, re-selecting the file sends only the missing parts', async () => {
    const file = path.join(tmp, 'resume.bin');
    writeFileSync(file, Buffer.alloc(20 * MiB, 3));
    utimesSync(file, new Date(1_700_000_000_000), new Date(1_700_000_000_000));
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=resume%2F`);
    await page.getByTestId('empty').waitFor();
    /* First visit: part 1 goes through, the others hang as on a dying network. */
    let partOneDone = false;
    await page.route((u) => u.href.startsWith(c.peer.endpoint), async (route) => {
        const u = new URL(route.request().url());
        if (u.searchParams.get('partNumber') === '1') {
            await route.continue();
            return;
        }
        /* never answered */
    });
    page.on('requestfinished', (r) => {
        if (r.url().includes('partNumber=1')) partOneDone = true;
    });
    await page.getByTestId('file-input').setInputFiles(file);
    await poll('part 1 to reach RGW', () => partOneDone, 30_000);
    /* Reload first: it cancels the hanging parts, so none can slip through when the route goes. */
    await page.reload();
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.getByTestId('empty').waitFor();
    const parts: string[] = [];
    page.on('request', (r) => {
        if (r.method() === 'PUT' && r.url().startsWith(c.peer.endpoint)) parts.push(new URL(r.url()).searchParams.get('partNumber') ?? 'single');
    });
    await page.getByTestId('file-input').setInputFiles(file);
    await page.locator('[data-upload="resume.bin"][data-status="done"]').waitFor({ timeout: 60_000 });
    assert.deepEqual(parts.sort(), ['2', '3'], 'only the missing parts were sent');
    await page.locator('[data-upload="resume.bin"] [data-resumed="1"]').waitFor();
    const got = await keys(A, 'resume/');
    assert.equal(got.get('resume/resume.bin'), 20 * MiB);
    await tab.context.close();
});

test('upload: cancel aborts the multipart upload in S3; retry sends the file again', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=cancel%2F`);
    await page.getByTestId('empty').waitFor();
    /* Parts hang, so the upload is caught in flight. */
    await page.route((u) => u.href.startsWith(c.peer.endpoint), () => undefined);
    await dropFiles(page, '[data-testid="browser"]', [{ name: 'stopped.bin', size: 17 * MiB }]);
    const row = page.locator('[data-upload="stopped.bin"]');
    await row.and(page.locator('[data-status="running"]')).waitFor();
    await poll('the multipart upload to open', async () => ((await c.peer.client.send(new ListMultipartUploadsCommand({ Bucket: A, Prefix: 'cancel/' }))).Uploads ?? []).length === 1);
    await page.getByRole('button', { name: 'Cancel upload of stopped.bin' }).click();
    await page.locator('[data-upload="stopped.bin"][data-status="cancelled"]').waitFor();
    await poll('S3 to drop the parts', async () => ((await c.peer.client.send(new ListMultipartUploadsCommand({ Bucket: A, Prefix: 'cancel/' }))).Uploads ?? []).length === 0);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.getByRole('button', { name: 'Retry upload of stopped.bin' }).click();
    await page.locator('[data-upload="stopped.bin"][data-status="done"]').waitFor({ timeout: 60_000 });
    assert.equal((await keys(A, 'cancel/')).get('cancel/stopped.bin'), 17 * MiB);
    assertNoProblems(tab);
    await tab.context.close();
});

test('error and empty states are plain sentences', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=no-such-bucket`);
    const alert = page.locator('main [role="alert"]');
    await alert.waitFor();
    assert.match(await alert.innerText(), /does not exist, or you cannot see it/);
    await alert.getByRole('button', { name: 'Try again' }).waitFor();
    await page.goto(`/files?bucket=${A}&prefix=nothing-here%2F`);
    await page.getByTestId('empty').getByText('This folder is empty.').waitFor();
    assertNoProblems(tab, [/40[04] .*\/api\/list/]);
    await tab.context.close();
});

test('upload: when S3 refuses the browser (no CORS), the file goes through seau and the page says so', async () => {
    await c.peer.client.send(new DeleteBucketCorsCommand({ Bucket: B }));
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${B}`);
    await page.getByTestId('empty').waitFor();
    await dropFiles(page, '[data-testid="browser"]', [{ name: 'via-seau.txt', size: 3000, type: 'text/plain' }]);
    await page.locator('[data-upload="via-seau.txt"][data-status="done"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-upload="via-seau.txt"] [data-via-server]').waitFor();
    assert.equal((await keys(B)).get('via-seau.txt'), 3000);
    const r = await c.peer.client.send(new ListObjectsV2Command({ Bucket: B }));
    assert.equal(r.Contents?.length, 1, 'no stray object from the refused attempt');
    assertNoProblems(tab, [/CORS policy|net::ERR_FAILED/]);
    await tab.context.close();
});

test('preview: image and text in a modal with next and previous; a hostile name shows as text', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    await c.peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'pics/a.png', Body: png, ContentType: 'image/png' }));
    await c.peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'pics/b.txt', Body: 'text body <b>not bold</b>', ContentType: 'text/plain' }));
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=pics%2F`);
    await page.locator('[data-name="a.png"]').getByTestId('entry-name').click();
    const img = page.getByTestId('image-preview');
    await img.waitFor();
    await poll('the image to load', () => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 1));
    await page.getByRole('button', { name: 'Next file' }).click();
    const text = page.getByTestId('text-preview');
    await text.waitFor();
    assert.equal(await text.innerText(), 'text body <b>not bold</b>');
    await page.keyboard.press('ArrowLeft');
    await img.waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'detached' });

    /* The XSS name: literal text, no element made from it, no alert. */
    await page.goto(`/files?bucket=${A}`);
    const row = page.locator('[role="row"][data-kind="file"]').filter({ hasText: 'onerror' });
    await row.waitFor();
    assert.equal(await row.getByTestId('entry-name').innerText(), XSS);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assertNoProblems(tab);
    await tab.context.close();
});

test('rename inline, new folder, bulk delete', async () => {
    for (const k of ['ops/one.txt', 'ops/two.txt', 'ops/three.txt'])
        await c.peer.client.send(new PutObjectCommand({ Bucket: A, Key: k, Body: k }));
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=ops%2F`);
    await page.locator('[data-name="one.txt"]').waitFor();
    /* Rename through the row menu. */
    await page.getByRole('button', { name: 'More actions for one.txt' }).click();
    await page.getByRole('menuitem', { name: 'Rename' }).click();
    const input = page.getByTestId('rename-input');
    await input.fill('uno.txt');
    await input.press('Enter');
    await page.locator('[data-name="uno.txt"]').waitFor();
    await poll('RGW to hold the new name', async () => {
        const k = await keys(A, 'ops/');
        return k.has('ops/uno.txt') && !k.has('ops/one.txt');
    });
    const body = await (await c.peer.client.send(new GetObjectCommand({ Bucket: A, Key: 'ops/uno.txt' }))).Body!.transformToString();
    assert.equal(body, 'ops/one.txt');
    /* New folder. */
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByTestId('folder-name').fill('made');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('[data-name="made"]').waitFor();
    await poll('the folder marker', async () => (await keys(A, 'ops/')).has('ops/made/'));
    /* ZIP of two selected files: a real archive arrives. */
    await page.getByLabel('Select two.txt').check();
    await page.getByLabel('Select three.txt').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bulk').getByRole('button', { name: 'Download as ZIP' }).click()]);
    const zipPath = path.join(tmp, 'sel.zip');
    await download.saveAs(zipPath);
    const zip = readFileSync(zipPath);
    assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
    assert.ok(zip.includes(Buffer.from('two.txt')) && zip.includes(Buffer.from('three.txt')));
    await page.getByTestId('bulk').getByRole('button', { name: 'Clear selection' }).click();
    /* Move one file into the new folder. */
    await page.getByLabel('Select uno.txt').check();
    await page.getByTestId('bulk').getByRole('button', { name: 'Move' }).click();
    await page.getByRole('dialog').getByLabel('Destination folder').fill('ops/made/');
    await page.getByRole('dialog').getByRole('button', { name: 'Move' }).click();
    await page.locator('[data-name="uno.txt"]').waitFor({ state: 'detached' });
    await poll('the move in RGW', async () => {
        const k = await keys(A, 'ops/');
        return k.has('ops/made/uno.txt') && !k.has('ops/uno.txt');
    });
    /* Bulk delete of two files. */
    await page.getByLabel('Select two.txt').check();
    await page.getByLabel('Select three.txt').check();
    await page.getByTestId('bulk').getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('confirm-delete').click();
    await page.locator('[data-name="two.txt"]').waitFor({ state: 'detached' });
    const left = await keys(A, 'ops/');
    assert.ok(!left.has('ops/two.txt') && !left.has('ops/three.txt'), 'both are gone from RGW');
    assert.ok(left.has('ops/made/uno.txt'), 'the rest stays');
    assertNoProblems(tab);
    await tab.context.close();
});

test('search finds files uploaded through seau, with a type filter', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}`);
    await page.getByLabel('Search files').fill('small');
    await page.getByRole('search').getByRole('button', { name: 'Search files' }).click();
    await page.locator('[data-name="small-1.txt"]').waitFor();
    await page.locator('[data-name="small-2.txt"]').waitFor();
    assert.equal(await page.locator('[data-name="big.bin"]').count(), 0);
    await page.getByRole('button', { name: 'Filters' }).click();
    await page.getByLabel('Type').selectOption('image');
    await page.getByRole('search').getByRole('button', { name: 'Search files' }).click();
    await page.getByTestId('empty').waitFor();
    await page.getByRole('button', { name: 'Clear search' }).click();
    await page.locator('[data-name="notes.txt"]').waitFor();
    assertNoProblems(tab);
    await tab.context.close();
});

test('upload refusals are explained in plain words before any byte is sent', async () => {
    /* A second server on the same buckets with a 4 KiB limit and only text allowed. */
    const strict = await startServer({ env: { ...c.peer.seauEnv([A, B]), SEAU_WEB_ROOT: WEB_ROOT, SEAU_LOG_LEVEL: 'info', SEAU_MAX_UPLOAD_BYTES: '4KiB', SEAU_ALLOWED_TYPES: 'text/plain' } });
    const tab = await newTab({ ...c, server: strict, origin: strict.origin });
    const { page } = tab;
    const sent: string[] = [];
    page.on('request', (r) => {
        if (r.url().startsWith(c.peer.endpoint)) sent.push(r.url());
    });
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=refused%2F`);
    await page.getByTestId('empty').waitFor();
    await dropFiles(page, '[data-testid="browser"]', [
        { name: 'too-big.txt', size: 5000, type: 'text/plain' },
        { name: 'picture.png', size: 100, type: 'image/png' },
    ]);
    const big = page.locator('[data-upload="too-big.txt"][data-status="failed"]');
    const png = page.locator('[data-upload="picture.png"][data-status="failed"]');
    await big.getByText('larger than the server accepts').waitFor();
    await png.getByText('not allowed here').waitFor();
    assert.deepEqual(sent, [], 'nothing went to S3');
    assert.equal((await keys(A, 'refused/')).size, 0);
    assertNoProblems(tab, [/41[35] .*\/api\/uploads/]);
    await tab.context.close();
    await strict.stop();
});
