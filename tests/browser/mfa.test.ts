/*
 * Identity in Chromium: enrol two-step sign-in from the account page (QR
 * code, confirmation, recovery codes shown once), sign out, sign in with a
 * TOTP code, sign in with a recovery code, end another session, make a
 * personal access token and use it, and the admin's access explainer and
 * MFA reset. TOTP codes are computed here with node:crypto.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { before } from 'node:test';
import type { Page } from 'playwright-core';

import { ADMIN, assertNoProblems, newTab, poll, startConsole, test, type Console } from './console.ts';

const BUCKET = 'web-mfa';
const EMAIL = 'mfa-web@example.com';
const PASSWORD = 'mfa-web-password-1234';
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

function totp(secret: string, steps = 0): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0;
    let value = 0;
    const key: number[] = [];
    for (const ch of secret) {
        value = (value << 5) | alphabet.indexOf(ch);
        bits += 5;
        if (bits >= 8) {
            key.push((value >>> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
    const mac = createHmac('sha1', Buffer.from(key)).update(msg).digest();
    const off = mac[mac.length - 1]! & 0x0f;
    return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

before(async () => {
    c = await startConsole([BUCKET]);
    const r = await fetch(`${c.origin}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ADMIN) });
    adminToken = ((await r.json()) as { token: string }).token;
    const u = await api('POST', '/api/users', { email: EMAIL, name: 'Mia', password: PASSWORD, role: 'user' });
    assert.equal(u.status, 201);
    assert.equal((await api('PUT', `/api/users/${u.json.user.id}/grants`, { grants: [{ bucket: BUCKET, prefix: 'docs/' }] })).status, 200);
});

/** The password step of the sign-in form; stays on /login when a code is asked. */
async function password(page: Page): Promise<void> {
    await page.goto('/login?next=%2Faccount');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
}

async function code(page: Page, value: string): Promise<void> {
    await page.getByLabel('Code', { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Verify' }).click();
}

test('enrol MFA, sign out, sign in with TOTP and with a recovery code, end a session, make and use a token', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await password(page);
    await page.waitForURL((u) => u.pathname.startsWith('/account'));

    /* Enrolment: QR code and key, a confirmation code, ten recovery codes. */
    await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
    const qr = page.getByRole('img', { name: 'QR code to add Seau to an authenticator app' });
    await qr.waitFor();
    assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/png;base64,/);
    const secret = (await page.getByTestId('mfa-secret').textContent())!.trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.getByLabel('Code from the app').fill('000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong or was already used' }).waitFor();
    await page.getByLabel('Code from the app').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const list = page.getByTestId('recovery-codes');
    await list.waitFor();
    const recovery = (await list.locator('li').allTextContents()).map((s) => s.trim());
    assert.equal(recovery.length, 10);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByText(/Recovery codes left: 10/).waitFor();

    /* Sign out; the password alone no longer signs in. */
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/login'));
    await password(page);
    await page.getByText('Enter the 6-digit code').waitFor();
    assert.ok(page.url().includes('/login'), 'still on the sign-in page');
    await code(page, '123456');
    await page.getByRole('alert').filter({ hasText: 'wrong or was already used' }).waitFor();
    /* The confirmation used the current step: the next one is unused and within the window. */
    await code(page, totp(secret, 1));
    await page.waitForURL((u) => u.pathname.startsWith('/account'));

    /* A second browser signs in with a recovery code. */
    const other = await newTab(c);
    await password(other.page);
    await other.page.getByText('Enter the 6-digit code').waitFor();
    await code(other.page, recovery[0]!);
    await other.page.waitForURL((u) => u.pathname.startsWith('/account'));
    /* The same recovery code does not work twice. */
    const third = await newTab(c);
    await password(third.page);
    await third.page.getByText('Enter the 6-digit code').waitFor();
    await code(third.page, recovery[0]!);
    await third.page.getByRole('alert').filter({ hasText: 'wrong or was already used' }).waitFor();
    await third.context.close();

    /* The first browser sees both sessions and ends the other one. */
    await page.reload();
    const rows = page.getByTestId('sessions').locator('tbody tr');
    await poll('two sessions listed', async () => (await rows.count()) === 2);
    await page.getByTestId('sessions').getByText('This device').waitFor();
    await page.getByTestId('sessions').getByRole('button', { name: 'End' }).click();
    await poll('one session left', async () => (await rows.count()) === 1);
    const probe = await other.page.evaluate(async () => (await fetch('/api/auth/me')).status);
    assert.equal(probe, 401, 'the ended session no longer works');
    await other.context.close();

    /* A personal access token: shown once, works as Bearer, revoked. */
    await page.getByLabel('Name', { exact: true }).fill('nightly backup');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    const token = (await shown.textContent())!.trim();
    assert.match(token, /^seau_[A-Za-z0-9_-]{43}$/);
    const me = await api('GET', '/api/auth/me', undefined, token);
    assert.equal(me.status, 200);
    assert.equal(me.json.user.email, EMAIL);
    await page.reload();
    const tokenRow = page.locator('tr[data-token="nightly backup"]');
    await tokenRow.waitFor();
    assert.doesNotMatch((await tokenRow.textContent()) ?? '', /Never$/, 'its last use is shown');
    await tokenRow.getByRole('button', { name: 'Revoke' }).click();
    await tokenRow.waitFor({ state: 'detached' });
    assert.equal((await api('GET', '/api/auth/me', undefined, token)).status, 401);
    assertNoProblems(tab, [/status of 401/]);
    await tab.context.close();
});

test('admin: the access explainer answers with the grant, and an account\'s MFA is reset', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await page.goto('/login?next=%2Fadmin%2Fusers');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/admin/users'));
    const panel = page.getByTestId('access-explainer');
    await panel.waitFor();
    await panel.getByLabel('Account').selectOption({ label: EMAIL });
    await panel.getByLabel('Bucket').fill(BUCKET);
    await panel.getByLabel('Path (key or folder/)').fill('docs/report.pdf');
    await panel.getByLabel('Action').selectOption('read');
    await panel.getByRole('button', { name: 'Explain' }).click();
    const answer = panel.getByTestId('explain-answer');
    await answer.getByText('Allowed', { exact: true }).waitFor();
    await answer.getByText(`By the grant on bucket ${BUCKET}, prefix docs/`).waitFor();
    await panel.getByLabel('Path (key or folder/)').fill('private/x');
    await panel.getByRole('button', { name: 'Explain' }).click();
    await answer.getByText('Denied', { exact: true }).waitFor();

    const row = page.locator(`tr[data-email="${EMAIL}"]`);
    await row.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    await poll('the reset', async () => {
        const users = (await api('GET', '/api/users')).json.users as { email: string; mfa: boolean }[];
        return users.find((u) => u.email === EMAIL)?.mfa === false;
    });
    assertNoProblems(tab);
    await tab.context.close();
});
