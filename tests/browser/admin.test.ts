/*
 * Administration and collaboration in Chromium: user management (create,
 * role, disable, reset password, grants, delete), a share link opened in a
 * second, signed-out context and then revoked, the dashboard against
 * /api/stats, the activity log, and a notification reaching one session
 * when another uploads.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertNoProblems, dropFiles, newTab, poll, signIn, startConsole, test, type Console } from './console.ts';

const A = 'web-a';
const B = 'web-b';
let c: Console;
let adminToken = '';

async function api(method: string, path: string, body?: unknown, token = adminToken): Promise<{ status: number; json: any }> {
    const r = await fetch(c.origin + path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
}

before(async () => {
    c = await startConsole([A, B]);
    const r = await fetch(`${c.origin}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ADMIN) });
    adminToken = ((await r.json()) as { token: string }).token;
});

test('users: create, change role, disable and enable, reset password, grants, delete', async () => {
    const bob = await api('POST', '/api/users', { email: 'bob@example.com', name: 'Bob', password: 'bob-password-123456', role: 'user' });
    assert.equal(bob.status, 201);
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, '/admin/users');
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Email').fill('alice@example.com');
    await dialog.getByLabel('Name').fill('Alice');
    await dialog.getByLabel('Password').fill('alice-password-123456');
    await dialog.getByLabel('Role').selectOption('user');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const row = page.locator('tr[data-email="alice@example.com"]');
    await row.waitFor();
    const find = async (email: string) => ((await api('GET', '/api/users')).json.users as { email: string; role: string; disabled: boolean; id: string }[]).find((u) => u.email === email);
    assert.equal((await find('alice@example.com'))?.role, 'user');

    await row.getByLabel('Role of alice@example.com').selectOption('manager');
    await poll('the role change', async () => (await find('alice@example.com'))?.role === 'manager');
    await row.getByRole('button', { name: 'Disable' }).click();
    await poll('alice disabled', async () => (await find('alice@example.com'))?.disabled === true);
    await row.getByRole('button', { name: 'Enable' }).click();
    await poll('alice enabled', async () => (await find('alice@example.com'))?.disabled === false);

    await row.getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('dialog').getByLabel('New password for alice@example.com').fill('alice-new-password-99');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByText('The password has been changed.').waitFor();

    await row.getByRole('button', { name: 'Access' }).click();
    const g = page.getByRole('dialog');
    await g.getByRole('button', { name: 'Add access' }).click();
    await g.getByLabel('Bucket').selectOption(B);
    await g.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Access saved.').waitFor();
    const alice = await find('alice@example.com');
    const grants = await api('GET', `/api/users/${alice!.id}/grants`);
    assert.deepEqual(grants.json.grants.map((x: { bucket: string; prefix: string }) => [x.bucket, x.prefix]), [[B, '']]);

    /* Alice, in her own browser, signs in with the new password and sees only web-b. */
    const other = await newTab(c);
    await signIn(other.page, 'alice@example.com', 'alice-new-password-99');
    await other.page.getByTestId('breadcrumbs').waitFor();
    const options = await other.page.getByLabel('Bucket').locator('option').allInnerTexts();
    assert.deepEqual(options, [B]);
    await other.context.close();

    await page.locator('tr[data-email="bob@example.com"]').getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('confirm-delete-user').click();
    await page.locator('tr[data-email="bob@example.com"]').waitFor({ state: 'detached' });
    assert.equal(await find('bob@example.com'), undefined);
    assertNoProblems(tab);
    await tab.context.close();
});

test('account: a user changes their own password', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, 'alice@example.com', 'alice-new-password-99', '/account');
    await page.getByLabel('Current password').fill('wrong-current-password');
    await page.getByLabel('New password', { exact: true }).fill('alice-third-password-7');
    await page.getByLabel('Repeat the new password').fill('alice-third-password-7');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('main [role="alert"]').waitFor();
    await page.getByLabel('Current password').fill('alice-new-password-99');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your password has been changed.').waitFor();
    const ok = await fetch(`${c.origin}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'alice@example.com', password: 'alice-third-password-7' }) });
    assert.equal(ok.status, 200);
    assertNoProblems(tab, [/400 .*\/api\/users\//]);
    await tab.context.close();
});

test('share link: made in a dialog, opened signed-out in a second context, then revoked', async () => {
    await c.peer.client.send(new PutObjectCommand({ Bucket: A, Key: 'share/report.txt', Body: 'quarterly numbers', ContentType: 'text/plain' }));
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=share%2F`);
    await page.getByRole('button', { name: 'More actions for report.txt' }).click();
    await page.getByRole('menuitem', { name: 'Share' }).click();
    await page.getByLabel('Expires after').selectOption(String(86400));
    await page.getByTestId('create-share').click();
    const url = await page.getByTestId('share-url').inputValue();
    assert.match(url, /\/s\/[A-Za-z0-9_-]+/);
    const shareUrl = new URL(new URL(url).pathname + new URL(url).search, c.origin).href;

    const stranger = await c.browser.newContext();
    const sp = await stranger.newPage();
    const res = await sp.goto(shareUrl);
    assert.equal(res?.status(), 200);
    await sp.getByText('report.txt').first().waitFor();
    const dl = await stranger.request.get(shareUrl + (shareUrl.includes('?') ? '&' : '?') + 'download=1');
    assert.equal(dl.status(), 200);
    assert.equal(await dl.text(), 'quarterly numbers');

    await page.getByRole('button', { name: 'Close' }).first().click();
    await page.goto('/shares');
    const failure = page.locator('main [role="alert"]');
    await page.getByRole('table').or(failure).first().waitFor();
    if (await failure.count()) assert.fail(`the shares page: ${await failure.first().innerText()}`);
    await page.getByRole('button', { name: 'Revoke the link to share/report.txt' }).click();
    await page.getByText('The link no longer works.').waitFor();
    const gone = await stranger.request.get(shareUrl);
    assert.equal(gone.status(), 410);
    await stranger.close();
    assertNoProblems(tab);
    await tab.context.close();
});

test('dashboard: the cards show /api/stats; the activity log lists sign-ins', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=dash%2F`);
    await dropFiles(page, '[data-testid="browser"]', [{ name: 'counted.txt', size: 1234, type: 'text/plain' }]);
    await page.locator('[data-upload="counted.txt"][data-status="done"]').waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('card').first().waitFor();
    const stats = (await api('GET', '/api/stats')).json as { objects: number; activeUsers: number };
    const cards = await page.getByTestId('card').allInnerTexts();
    assert.equal(cards.length, 4);
    assert.ok(cards[0]!.includes(stats.objects.toLocaleString('en')), `objects card ${cards[0]} vs ${stats.objects}`);
    assert.ok(stats.objects >= 1);
    assert.ok(cards[3]!.includes(String(stats.activeUsers)));
    await page.getByRole('figure').first().waitFor();

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByTestId('activity').waitFor();
    const text = await page.getByTestId('activity').innerText();
    assert.match(text, /login/i);
    assert.match(text, /admin@example\.com/);
    assertNoProblems(tab);
    await tab.context.close();
});

test('notifications: an upload by another session shows in the bell and in the open folder', async () => {
    const watcher = await newTab(c);
    await signIn(watcher.page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=live%2F`);
    await watcher.page.getByTestId('empty').waitFor();
    /* A second session of the admin, in another browser context, uploads to the watched folder. */
    const second = await newTab(c);
    await signIn(second.page, ADMIN.email, ADMIN.password, `/files?bucket=${A}&prefix=live%2F`);
    await dropFiles(second.page, '[data-testid="browser"]', [{ name: 'arrived.txt', size: 10, type: 'text/plain' }]);
    await watcher.page.locator('[data-name="arrived.txt"]').waitFor({ timeout: 15_000 });
    await watcher.page.getByTestId('unread').waitFor({ timeout: 15_000 });
    await watcher.page.getByTestId('bell').click();
    await watcher.page.getByTestId('notif-list').getByText('arrived.txt').first().waitFor();
    assertNoProblems(watcher);
    for (const x of [watcher, second]) await x.context.close();
});
