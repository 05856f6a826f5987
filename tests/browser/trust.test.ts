/*
 * The console people trust, in Chromium against seau + Ceph RGW: an upload
 * cut off by a reload resumes from the kept file without a second pick;
 * "all 5,000 in this folder" deleted as a job with progress in the bell and
 * the list read again from the server; move by the folder picker and by
 * dragging rows onto a folder and a breadcrumb; the row menu from the
 * keyboard; the phone layout. Effects are checked with the AWS SDK.
 */
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

import { createUser, login, req, runCli } from '../integration/harness.ts';
import { ADMIN, assertNoProblems, axe, newTab, poll, screenshot, signIn, startConsole, test, type Console } from './console.ts';

const T = 'web-trust';
const MiB = 1024 * 1024;
const BULK = 5000;
let c: Console;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'seau-trust-'));

async function keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
        const r = await c.peer.client.send(new ListObjectsV2Command({ Bucket: T, Prefix: prefix, ContinuationToken: token }));
        out.push(...(r.Contents ?? []).map((o) => o.Key!));
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
}

async function put(key: string, body: string | Uint8Array = 'x'): Promise<void> {
    await c.peer.client.send(new PutObjectCommand({ Bucket: T, Key: key, Body: body }));
}

before(async () => {
    c = await startConsole([T]);
    for (const k of ['move/a.txt', 'move/b.txt', 'move/c.txt', 'move/dest/keep.txt', 'phone/a-rather-long-file-name-for-a-phone-screen.pdf', 'phone/sub/x.txt']) await put(k);
    /* 5,000 files in one folder, and one beside it that must stay. */
    const names = Array.from({ length: BULK }, (_, i) => `bulk/f${String(i).padStart(5, '0')}.txt`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((k) => put(k, 'bulk')));
    await put('bulk-sibling/stay.txt');
    const sync = await runCli(['index', 'sync'], { env: c.server.env });
    assert.equal(sync.code, 0, sync.stderr);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('upload: a reload mid-upload warns first, then Resume goes on from the kept file without a second pick', async () => {
    const file = path.join(tmp, 'kept.bin');
    writeFileSync(file, Buffer.alloc(20 * MiB, 7));
    utimesSync(file, new Date(1_700_000_000_000), new Date(1_700_000_000_000));
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${T}&prefix=resume%2F`);
    await page.getByTestId('empty').waitFor();
    let partOneDone = false;
    await page.route((u) => u.href.startsWith(c.peer.endpoint), async (route) => {
        if (new URL(route.request().url()).searchParams.get('partNumber') === '1') await route.continue();
        /* the other parts hang, as on a dying network */
    });
    page.on('requestfinished', (r) => {
        if (r.url().includes('partNumber=1')) partOneDone = true;
    });
    await page.getByTestId('file-input').setInputFiles(file);
    await poll('part 1 to reach RGW', () => partOneDone, 30_000);
    /* The file is kept in IndexedDB once the session opens. */
    await poll('the file to be kept', async () => page.evaluate(() => new Promise<boolean>((resolve) => {
        const r = indexedDB.open('seau-uploads');
        r.onsuccess = () => {
            const g = r.result.transaction('files').objectStore('files').count();
            g.onsuccess = () => resolve(g.result === 1);
        };
        r.onerror = () => resolve(false);
    })), 10_000);
    await page.reload();
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    assert.equal(tab.leaveQuestions, 1, 'leaving while the upload ran asked first');
    const line = page.locator('[data-interrupted="kept.bin"]');
    await line.waitFor();
    const parts: string[] = [];
    page.on('request', (r) => {
        if (r.method() === 'PUT' && r.url().startsWith(c.peer.endpoint)) parts.push(new URL(r.url()).searchParams.get('partNumber') ?? 'single');
    });
    /* Resume: no file chooser may open. */
    let chooser = false;
    page.on('filechooser', () => {
        chooser = true;
    });
    await line.getByTestId('resume').click();
    await page.locator('[data-upload="kept.bin"][data-status="done"]').waitFor({ timeout: 60_000 });
    assert.equal(chooser, false, 'the kept file was used');
    assert.deepEqual(parts.sort(), ['2', '3'], 'only the missing parts were sent');
    await page.locator('[data-upload="kept.bin"] [data-resumed="1"]').waitFor();
    assert.deepEqual(await keys('resume/'), ['resume/kept.bin']);
    assert.equal(await page.locator('[data-interrupted]').count(), 0);
    /* The new file sits in the list without a reload. */
    await page.locator('[data-name="kept.bin"]').waitFor();
    assertNoProblems(tab);
    await tab.context.close();
});

test('bulk: "all 5,000 in this folder" is deleted as a job with progress, and the list is read again after', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${T}&prefix=bulk%2F`);
    await page.locator('[data-name="f00000.txt"]').waitFor();
    await page.getByTestId('select-all').check();
    await page.getByTestId('selected-count').filter({ hasText: '1000 selected' }).waitFor();
    const offer = page.getByTestId('select-folder');
    await offer.filter({ hasText: '5,000' }).waitFor();
    await offer.click();
    await page.getByTestId('selected-count').filter({ hasText: 'All 5,000 in this folder' }).waitFor();
    await page.getByTestId('bulk').getByRole('button', { name: 'Delete' }).click();
    const line = page.getByTestId('delete-folder-line');
    await line.filter({ hasText: /everything in folder bulk\/ — 5,000 file\(s\), 19\.5 KB/ }).waitFor();
    await screenshot(page, 'trust-bulk-delete-confirm');
    await page.getByTestId('confirm-delete').click();
    await page.getByTestId('jobs-running').waitFor();
    await page.getByTestId('bell').click();
    const job = page.getByTestId('job');
    await job.first().waitFor();
    /* Progress moves while it runs (the job is read back from the bell). */
    await poll('some progress', async () => Number(await job.first().getAttribute('data-done')) > 0 || (await job.first().getAttribute('data-status')) === 'done', 60_000);
    await screenshot(page, 'trust-bulk-job-progress');
    await page.locator('[data-testid="job"][data-status="done"]').waitFor({ timeout: 180_000 });
    assert.match(await job.first().getByTestId('job-summary').innerText(), /Finished: 5000 done/);
    await page.getByTestId('bell').click();
    /* The list came from the server again: the folder is empty, honestly. */
    await page.getByTestId('empty').waitFor({ timeout: 30_000 });
    assert.deepEqual(await keys('bulk/'), []);
    assert.deepEqual(await keys('bulk-sibling/'), ['bulk-sibling/stay.txt']);
    assertNoProblems(tab);
    await tab.context.close();
});

test('move: by the folder picker (creating a folder in it), by dragging onto a folder and onto a breadcrumb; the row menu opens from the keyboard', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${T}&prefix=move%2F`);
    await page.locator('[data-name="a.txt"]').waitFor();
    /* Keyboard: focus the list, go to a.txt, Shift+F10 opens its menu with the first item focused. */
    await page.getByTestId('file-list').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Shift+F10');
    const menu = page.getByRole('menu');
    await menu.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'menuitem');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    /* The ⋯ button is reachable by Tab. */
    const more = page.locator('[data-name="a.txt"] [data-testid="row-menu"]');
    assert.notEqual(await more.getAttribute('tabindex'), '-1');
    await more.click();
    await page.getByTestId('menu-move').click();
    const picker = page.getByTestId('folder-picker');
    await picker.waitFor();
    await picker.getByTestId('picker-new').click();
    await picker.getByTestId('picker-new-name').fill('picked');
    await picker.getByTestId('picker-new-name').press('Enter');
    await picker.getByText('Into: web-trust/move/picked/').waitFor();
    await picker.getByTestId('picker-confirm').click();
    await page.locator('[data-name="a.txt"]').waitFor({ state: 'detached' });
    assert.ok((await keys('move/picked/')).includes('move/picked/a.txt'));

    /* Drag b.txt onto the folder row dest/. */
    const drag = async (from: string, to: string) => {
        const dt = await page.evaluateHandle(() => new DataTransfer());
        await page.locator(from).dispatchEvent('dragstart', { dataTransfer: dt });
        await page.locator(to).dispatchEvent('dragover', { dataTransfer: dt });
        await page.locator(to).dispatchEvent('drop', { dataTransfer: dt });
    };
    await drag('[data-name="b.txt"]', '[data-name="dest"]');
    await page.locator('[data-name="b.txt"]').waitFor({ state: 'detached' });
    assert.deepEqual(await keys('move/dest/'), ['move/dest/b.txt', 'move/dest/keep.txt']);
    /* Drag c.txt onto the bucket's breadcrumb: it goes to the root. */
    await drag('[data-name="c.txt"]', '[data-testid="breadcrumbs"] [data-prefix=""]');
    await page.locator('[data-name="c.txt"]').waitFor({ state: 'detached' });
    assert.deepEqual(await keys('c.txt'), ['c.txt']);
    assert.deepEqual(await keys('move/c.txt'), []);
    assertNoProblems(tab);
    await tab.context.close();
});

test('phone: toolbars in one row each, the menu on screen, the table scrolls sideways; axe-clean; both languages and themes', async () => {
    for (const [locale, scheme] of [['en-US', 'light'], ['fr-FR', 'dark']] as const) {
        const tab = await newTab(c, { locale, colorScheme: scheme, viewport: { width: 390, height: 844 } });
        const { page } = tab;
        await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${T}&prefix=phone%2F`);
        await page.locator('[data-name="sub"]').waitFor();
        for (const id of ['location-bar', 'action-bar']) {
            const box = await page.getByTestId(id).boundingBox();
            assert.ok(box && box.height < 48, `${id} is one row (${box?.height}px)`);
        }
        const list = page.getByTestId('file-list');
        const [scrollW, clientW] = await list.evaluate((el) => [el.scrollWidth, el.clientWidth]);
        assert.ok(scrollW > clientW, 'the table scrolls sideways rather than drop columns');
        assert.ok(await page.getByRole('columnheader', { name: /Modified|Modifié/ }).count(), 'the date column is still there');
        const more = page.locator('[data-name="a-rather-long-file-name-for-a-phone-screen.pdf"] [data-testid="row-menu"]');
        await more.click();
        const menu = page.getByRole('menu');
        await menu.waitFor();
        const m = (await menu.boundingBox())!;
        assert.ok(m.x >= 0 && m.y >= 0 && m.x + m.width <= 390 && m.y + m.height <= 844, `the menu is on screen: ${JSON.stringify(m)}`);
        await screenshot(page, `trust-phone-menu-${locale}-${scheme}`);
        await page.keyboard.press('Escape');
        assert.deepEqual(await axe(page), []);
        await screenshot(page, `trust-phone-${locale}-${scheme}`);
        assertNoProblems(tab);
        await tab.context.close();
    }
});

test('levels: where a grant is read only, upload is off and said so, and a drop uploads nothing; the grants editor shows the level', async () => {
    const admin = (await login(c.server, ADMIN.email, ADMIN.password)).token;
    await put('ro/seen.txt', 'read me');
    const u = await createUser(c.server, admin, { email: 'reader@example.com', password: 'reader-password-0123456789', role: 'user' });
    const g = await req(c.server, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants: [{ bucket: T, prefix: 'ro/', level: 'read' }] } });
    assert.equal(g.status, 200, g.text);
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, 'reader@example.com', 'reader-password-0123456789', `/files?bucket=${T}&prefix=ro%2F`);
    await page.locator('[data-name="seen.txt"]').waitFor();
    await page.locator('[data-testid="folder-level"][data-level="read"]').waitFor();
    assert.equal(await page.getByTestId('upload-button').isDisabled(), true);
    const { dropFiles } = await import('./console.ts');
    await dropFiles(page, '[data-testid="browser"]', [{ name: 'sneaky.txt', size: 10 }]);
    await page.getByText(/Read only here/).last().waitFor();
    assert.equal(await page.locator('[data-upload]').count(), 0, 'no upload began');
    assert.deepEqual(await keys('ro/'), ['ro/seen.txt']);
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'trust-read-only');
    assertNoProblems(tab);
    await tab.context.close();

    /* The admin sees the level in the grants editor. */
    const at = await newTab(c);
    await signIn(at.page, ADMIN.email, ADMIN.password, '/admin/users');
    await at.page.getByRole('row').filter({ hasText: 'reader@example.com' }).getByRole('button', { name: /^(Access|Accès)$/ }).first().click();
    await at.page.getByTestId('grant-level').first().waitFor();
    assert.equal(await at.page.getByTestId('grant-level').first().inputValue(), 'read');
    assertNoProblems(at);
    await at.context.close();
});

test('activity in French: sentences, the action code as a filter; axe-clean in the dark', async () => {
    const tab = await newTab(c, { locale: 'fr-FR', colorScheme: 'dark' });
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, '/admin/activity');
    const table = page.getByTestId('activity');
    await table.waitFor();
    const sentences = await page.getByTestId('activity-sentence').allInnerTexts();
    assert.ok(sentences.some((s) => s === `${ADMIN.email} s’est connecté`), sentences.slice(0, 5).join(' | '));
    assert.ok(sentences.some((s) => s.startsWith(`${ADMIN.email} a envoyé kept.bin dans ${T}/resume/`)), sentences.slice(0, 8).join(' | '));
    await page.getByTestId('action-filter').selectOption('object.upload');
    await page.getByRole('button', { name: 'Appliquer' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="activity"] code')].every((c) => c.textContent === 'object.upload'));
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'trust-activity-fr-dark');
    assertNoProblems(tab);
    await tab.context.close();
});

test('share page: the recipient sees the image and the text, in French and in the dark, axe-clean', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e4cc6b0000000049454e44ae426082', 'hex');
    await c.peer.client.send(new PutObjectCommand({ Bucket: T, Key: 'share/dot.png', Body: png, ContentType: 'image/png' }));
    await put('share/notes.txt', 'première ligne\n<b>pas du HTML</b>\n');
    const admin = (await login(c.server, ADMIN.email, ADMIN.password)).token;
    const make = async (key: string) => (await req(c.server, 'POST', '/api/shares', { token: admin, json: { bucket: T, key } })).body.url as string;
    const tab = await newTab(c, { locale: 'fr-FR', colorScheme: 'dark' });
    const { page } = tab;
    await page.goto(await make('share/dot.png'));
    const img = page.locator('.preview img');
    await img.waitFor();
    await page.waitForFunction(() => (document.querySelector('.preview img') as HTMLImageElement | null)?.naturalWidth === 1);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    await page.getByRole('link', { name: 'Télécharger' }).waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(13, 17, 23)', 'dark when the visitor asks');
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'trust-share-image-fr-dark');
    await page.goto(await make('share/notes.txt'));
    assert.equal((await page.locator('.preview pre').innerText()).trimEnd(), 'première ligne\n<b>pas du HTML</b>');
    assert.equal(await page.locator('.preview pre b').count(), 0, 'text, not markup');
    assert.deepEqual(await axe(page), []);
    await screenshot(page, 'trust-share-text-fr-dark');
    assertNoProblems(tab);
    await tab.context.close();
});
