/*
 * Versions, the recycle bin and tags in Chromium against seau + Ceph RGW:
 * restore an older version from the details panel, delete a file (the
 * dialog says it can be brought back) and restore it from "Deleted files",
 * edit a file's tags, and the delete dialog of a bucket where deletes are
 * final. Every effect is checked with the AWS SDK.
 */
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { assertNoProblems, newTab, poll, signIn, startConsole, test, type Console } from './console.ts';

const V = 'web-rv';
const OFF = 'web-roff';
let c: Console;

async function text(bucket: string, key: string): Promise<string> {
    const r = await c.peer.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await r.Body!.transformToString();
}

async function exists(bucket: string, key: string): Promise<boolean> {
    try {
        await c.peer.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
    } catch {
        return false;
    }
}

before(async () => {
    c = await startConsole([V, OFF]);
    await c.peer.client.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: 'Enabled' } }));
    const put = (Bucket: string, Key: string, Body: string) => c.peer.client.send(new PutObjectCommand({ Bucket, Key, Body, ContentType: 'text/plain' }));
    await put(V, 'report.txt', 'the first draft');
    await new Promise((r) => setTimeout(r, 1100));
    await put(V, 'report.txt', 'the second draft, longer');
    await put(V, 'bin/letter.txt', 'dear reader');
    await put(V, 'tagged.txt', 'tag me');
    await put(OFF, 'final.txt', 'final');
});

test('restore an older version from the details panel', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, undefined, undefined, `/files?bucket=${V}`);
    const row = page.locator('[data-name="report.txt"]');
    await row.getByTestId('row-menu').click();
    await page.getByRole('menuitem', { name: 'Details' }).click();
    await page.getByTestId('system-metadata').getByText('STANDARD').waitFor();
    await page.getByTestId('tab-versions').click();
    await poll('two versions shown', async () => ((await page.getByTestId('version').count()) === 2 ? true : undefined));
    await page.getByTestId('restore-version').click();
    await page.getByTestId('confirm-version').click();
    await page.getByText('Version restored.').waitFor();
    assert.equal(await text(V, 'report.txt'), 'the first draft');
    await poll('three versions after the restore', async () => ((await page.getByTestId('version').count()) === 3 ? true : undefined));
    assertNoProblems(tab);
    await tab.context.close();
});

test('delete a file, then restore it from Deleted files', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, undefined, undefined, `/files?bucket=${V}&prefix=bin%2F`);
    const row = page.locator('[data-name="letter.txt"]');
    await row.getByTestId('row-menu').click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await page.getByTestId('delete-recoverability').filter({ hasText: 'Deleted files' }).waitFor();
    await page.getByTestId('confirm-delete').click();
    await row.waitFor({ state: 'detached' });
    assert.equal(await exists(V, 'bin/letter.txt'), false);

    await page.getByTestId('deleted-files').click();
    await page.waitForURL(/\/trash\?bucket=web-rv&prefix=bin%2F/);
    await page.getByTestId('trash-row').filter({ hasText: 'bin/letter.txt' }).waitFor();
    await page.getByTestId('restore-one').click();
    await page.getByText('1 file(s) restored.').waitFor();
    await page.getByTestId('bin-empty').waitFor();
    assert.equal(await text(V, 'bin/letter.txt'), 'dear reader');
    assertNoProblems(tab);
    await tab.context.close();
});

test('edit a file\'s tags', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, undefined, undefined, `/files?bucket=${V}`);
    await page.locator('[data-name="tagged.txt"]').getByTestId('row-menu').click();
    await page.getByRole('menuitem', { name: 'Details' }).click();
    await page.getByTestId('tab-tags').click();
    await page.getByText('No tags.').waitFor();
    await page.getByTestId('edit-tags').click();
    await page.getByTestId('pair-add').click();
    await page.getByTestId('pair-name').fill('project');
    await page.getByTestId('pair-value').fill('apollo');
    await page.getByTestId('save-tags').click();
    await page.getByText('Tags saved.').waitFor();
    await page.getByTestId('tag-list').getByText('project: apollo').waitFor();
    const tags = await c.peer.client.send(new GetObjectTaggingCommand({ Bucket: V, Key: 'tagged.txt' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'project', Value: 'apollo' }]);
    assertNoProblems(tab);
    await tab.context.close();
});

test('where deletes are final the dialog says so, in French too', async () => {
    const tab = await newTab(c, { locale: 'fr-FR' });
    const { page } = tab;
    await signIn(page, undefined, undefined, `/files?bucket=${OFF}`);
    await page.locator('[data-name="final.txt"]').getByTestId('row-menu').click();
    await page.getByRole('menuitem', { name: 'Supprimer' }).click();
    await page.getByTestId('delete-recoverability').filter({ hasText: 'définitive' }).waitFor();
    assertNoProblems(tab);
    await tab.context.close();
});
