/*
 * `make run`'s local S3 is s3rver, which lacks ListParts: uploads from the
 * browser must still work there, one-part and multipart alike.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { startServer } from '../integration/harness.ts';
import { startS3rver } from '../integration/s3peer.ts';
import { ADMIN, WEB_ROOT, allowBrowser, assertNoProblems, dropFiles, launchBrowser, newTab, signIn, test, type Console } from './console.ts';

const MiB = 1024 * 1024;
let c: Console;

before(async () => {
    const peer = await startS3rver(['demo']);
    const server = await startServer({ env: { ...peer.seauEnv(['demo']), SEAU_WEB_ROOT: WEB_ROOT, SEAU_LOG_LEVEL: 'info' } });
    await allowBrowser(peer, ['demo'], server.origin);
    c = { server, peer, browser: await launchBrowser(), origin: server.origin };
});

test('uploads straight to s3rver, small and multipart', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    const direct: string[] = [];
    page.on('request', (r) => {
        if (r.method() === 'PUT' && r.url().startsWith(c.peer.endpoint)) direct.push(r.url());
    });
    await signIn(page, ADMIN.email, ADMIN.password, '/files?bucket=demo');
    await page.getByTestId('empty').waitFor();
    await dropFiles(page, '[data-testid="browser"]', [{ name: 'a.txt', size: 100, type: 'text/plain' }, { name: 'big.bin', size: 17 * MiB }]);
    for (const n of ['a.txt', 'big.bin']) await page.locator(`[data-upload="${n}"][data-status="done"]`).waitFor({ timeout: 30_000 });
    const r = await c.peer.client.send(new ListObjectsV2Command({ Bucket: 'demo' }));
    assert.deepEqual(r.Contents?.map((o) => [o.Key, o.Size]), [['a.txt', 100], ['big.bin', 17 * MiB]]);
    assert.ok(direct.length >= 4, `the bytes went to s3rver directly (${direct.length} PUTs)`);
    assert.equal(await page.locator('[data-via-server]').count(), 0);
    assertNoProblems(tab);
    await tab.context.close();
});
