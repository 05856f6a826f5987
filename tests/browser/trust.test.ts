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

import { runCli } from '../integration/harness.ts';
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
