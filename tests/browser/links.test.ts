/*
 * Upload links and copy with a conflict, in Chromium: an anonymous visitor
 * opens an upload link (English and French, light and dark), picks files
 * and drops one, and sees each one's progress end in "Received" (a taken
 * name is kept apart as "report (1).txt"); a signed-in admin copies a file
 * onto a name that is taken, is asked, and keeps both. Effects are checked
 * in RGW with the AWS SDK.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertNoProblems, axe, dropFiles, newTab, poll, screenshot, signIn, startConsole, test, type Console } from './console.ts';

const A = 'web-a';
let c: Console;
let adminToken = '';

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const r = await fetch(c.origin + path, {
        method,
        headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
}

async function keys(prefix: string): Promise<Set<string>> {
    const r = await c.peer.client.send(new ListObjectsV2Command({ Bucket: A, Prefix: prefix }));
    return new Set((r.Contents ?? []).map((o) => o.Key!));
}

async function text(key: string): Promise<string> {
    const o = await c.peer.client.send(new GetObjectCommand({ Bucket: A, Key: key }));
    return Buffer.from(await o.Body!.transformToByteArray()).toString();
}

before(async () => {
    c = await startConsole([A, 'web-b']);
    const r = await fetch(`${c.origin}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ADMIN) });
    adminToken = ((await r.json()) as { token: string }).token;
});

test('an anonymous visitor uploads through an upload link, with per-file progress', async () => {
    await c.peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'inbox/report.txt', Body: 'already here' }));
    const made = await api('POST', '/api/upload-links', { bucket: A, prefix: 'inbox/', message: 'Please send the signed contract', maxFiles: 10 });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const path = new URL(made.json.url).pathname;

    const tab = await newTab(c);
    const { page } = tab;
    await page.goto(path);
    await page.getByRole('heading', { name: 'Send files' }).waitFor();
    await page.getByText('Please send the signed contract').waitFor();
    assert.equal(await page.getByText('already here').count(), 0);
    await page.locator('#file').setInputFiles([
        { name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from('the visitor\'s report') },
        { name: 'contract.txt', mimeType: 'text/plain', buffer: Buffer.from('x'.repeat(200_000)) },
    ]);
    await page.locator('#list li.ok').nth(1).waitFor();
    const items = await page.locator('#list li').allInnerTexts();
    assert.ok(items.some((t) => t.includes('contract.txt') && t.includes('Received')), items.join(' | '));
    assert.ok(items.some((t) => t.includes('Received as report (1).txt')), items.join(' | '));
    assert.equal(await page.locator('#list li progress').nth(1).evaluate((p) => (p as HTMLProgressElement).value), 100);
    /* Drag and drop onto the zone. */
    await dropFiles(page, '#zone', [{ name: 'dropped.txt', size: 1000, type: 'text/plain', fill: 0x61 }]);
    await page.locator('#list li.ok').nth(2).waitFor();
    const k = await keys('inbox/');
    for (const want of ['inbox/report.txt', 'inbox/report (1).txt', 'inbox/contract.txt', 'inbox/dropped.txt'])
        assert.ok(k.has(want), `${want} in ${[...k].join(', ')}`);
    assert.equal(await text('inbox/report.txt'), 'already here', 'never replaced');
    assert.equal(await text('inbox/report (1).txt'), 'the visitor\'s report');
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'upload-link-en-light');
    assertNoProblems(tab);
    await tab.context.close();

    /* In French and in the dark, as the visitor's browser asks. */
    const fr = await newTab(c, { locale: 'fr-FR', colorScheme: 'dark' });
    await fr.page.goto(path);
    await fr.page.getByRole('heading', { name: 'Envoyer des fichiers' }).waitFor();
    const bg = await fr.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(13, 17, 23)', 'dark when the system prefers it');
    await screenshot(fr.page, 'upload-link-fr-dark');
    assertNoProblems(fr);
    await fr.context.close();
});

test('copy with a conflict: asked first, keep both', async () => {
    await c.peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'cc/src/report.txt', Body: 'new content' }));
    await c.peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'cc/dst/report.txt', Body: 'old content' }));
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=cc%2Fsrc%2F`);
    await page.getByLabel('Select report.txt').check();
    await page.getByTestId('bulk-copy').click();
    await page.getByTestId('picker-path').fill('cc/dst/');
    await page.getByTestId('picker-confirm').click();
    const dialog = page.getByTestId('conflict-dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /cc\/dst\/report\.txt already exists/);
    assert.match(await page.getByTestId('conflict-versioning').innerText(), /keeps no versions/);
    await page.getByTestId('conflict-keep').click();
    await poll('the copy under a numbered name', async () => (await keys('cc/dst/')).has('cc/dst/report (1).txt'));
    assert.equal(await text('cc/dst/report.txt'), 'old content');
    assert.equal(await text('cc/dst/report (1).txt'), 'new content');
    assert.equal(await text('cc/src/report.txt'), 'new content', 'a copy keeps its source');
    assertNoProblems(tab);
    await tab.context.close();
});
