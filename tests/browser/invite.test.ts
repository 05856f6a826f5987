/*
 * Invitations in Chromium: an admin invites someone from the users page and
 * copies the one-time link; the person opens it signed out, sees whom it is
 * for, chooses a password (typed twice) and lands in the console; the
 * password then signs in. A password an admin chose leads to the "choose a
 * new password" screen first. Every page is axe-clean, in English and in
 * French.
 */
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertNoProblems, axe, newTab, screenshot, signIn, startConsole, test, type Console } from './console.ts';

const BUCKET = 'web-inv';
const PASSWORD = 'chosen-by-me-0123456789';
let c: Console;
let adminToken = '';

/* The invitation page's lookups of a dead link answer 404, which the browser logs. */
const DEAD_LINK = [/status of 404 .*\/api\/invitations\//];

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
    c = await startConsole([BUCKET], { SEAU_FORCE_PASSWORD_CHANGE: 'true' });
    const r = await fetch(`${c.origin}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ADMIN) });
    adminToken = ((await r.json()) as { token: string }).token;
});

test('invite from the users page, open the link signed out, choose a password, sign in with it', async () => {
    const admin = await newTab(c);
    await signIn(admin.page, ADMIN.email, ADMIN.password, '/admin/users');
    await admin.page.waitForURL((u) => u.pathname.startsWith('/admin/users'));
    await admin.page.getByRole('button', { name: 'Invite', exact: true }).click();
    const dialog = admin.page.getByRole('dialog', { name: 'Invite someone' });
    await dialog.getByLabel('Email').fill('nadia@example.com');
    await dialog.getByLabel('Name').fill('Nadia');
    await dialog.getByLabel('Role').selectOption('user');
    assert.deepEqual(await axe(admin.page), [], 'the invite form is axe-clean');
    await dialog.getByRole('button', { name: 'Create the invitation' }).click();
    const link = dialog.getByLabel('Invitation link');
    await link.waitFor();
    const url = await link.inputValue();
    assert.match(url, new RegExp(`^${c.origin}/invite#token=[A-Za-z0-9_-]{43}$`));
    /* No SEAU_SMTP_URL here: said plainly, and the link is there to copy. */
    assert.equal(await dialog.getByTestId('invitation-emailed').getAttribute('data-emailed'), 'no');
    await dialog.getByText('was not sent by email').waitFor();
    assert.deepEqual(await axe(admin.page), [], 'the link view is axe-clean');
    await screenshot(admin.page, 'invite-link');
    /* The dialog's own close button comes first; the one under the link is the last. */
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await admin.page.getByTestId('users').locator('tr[data-email="nadia@example.com"]').waitFor();
    assertNoProblems(admin);

    /* The invited person, in a browser of their own. */
    const guest = await newTab(c);
    await guest.page.goto(url);
    await guest.page.getByTestId('invite-for').filter({ hasText: 'nadia@example.com' }).waitFor();
    /* The token left the address bar once read. */
    assert.ok(!guest.page.url().includes('token='), guest.page.url());
    assert.deepEqual(await axe(guest.page), [], 'the invitation page is axe-clean');
    await screenshot(guest.page, 'invite-page');
    await guest.page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await guest.page.getByLabel('Repeat the password').fill(`${PASSWORD}x`);
    await guest.page.getByRole('button', { name: 'Save and sign in' }).click();
    await guest.page.getByRole('alert').filter({ hasText: 'not the same' }).waitFor();
    await guest.page.getByLabel('Repeat the password').fill(PASSWORD);
    await guest.page.getByRole('button', { name: 'Save and sign in' }).click();
    await guest.page.waitForURL((u) => u.pathname.startsWith('/files'));
    const me = await guest.page.evaluate(async () => (await (await fetch('/api/auth/me')).json()) as { user: { email: string } });
    assert.equal(me.user.email, 'nadia@example.com');

    /* Signed out, the chosen password signs in; the link does not work twice. */
    await guest.page.getByRole('button', { name: 'Sign out' }).click();
    await guest.page.waitForURL((u) => u.pathname.startsWith('/login'));
    await signIn(guest.page, 'nadia@example.com', PASSWORD);
    await guest.page.goto(url);
    await guest.page.getByTestId('invite-invalid').waitFor();
    assert.deepEqual(await axe(guest.page), []);
    assertNoProblems(guest, DEAD_LINK);

    /* The activity log holds both ends of it. */
    const created = await api('GET', '/api/activity?action=user.invitation_created');
    assert.equal(created.json.entries.length, 1);
    const accepted = await api('GET', '/api/activity?action=user.invitation_accepted');
    assert.equal(accepted.json.entries[0].userEmail, 'nadia@example.com');
    await admin.context.close();
    await guest.context.close();
});

test('the invitation page in French: whom it is for, the password, then the console', async () => {
    const made = await api('POST', '/api/users', { email: 'zoe@example.com', name: 'Zoé', role: 'user', invite: true });
    assert.equal(made.status, 201);
    const tab = await newTab(c, { locale: 'fr-FR' });
    await tab.page.goto(made.json.invitation.url);
    await tab.page.getByTestId('invite-for').filter({ hasText: 'Vous avez été invité·e sur Seau en tant que zoe@example.com' }).waitFor();
    assert.deepEqual(await axe(tab.page), []);
    await screenshot(tab.page, 'invite-page-fr');
    await tab.page.getByLabel('Nouveau mot de passe', { exact: true }).fill(PASSWORD);
    await tab.page.getByLabel('Répétez le mot de passe').fill(PASSWORD);
    await tab.page.getByRole('button', { name: 'Enregistrer et se connecter' }).click();
    await tab.page.waitForURL((u) => u.pathname.startsWith('/files'));
    const me = await tab.page.evaluate(async () => (await (await fetch('/api/auth/me')).json()) as { user: { email: string } });
    assert.equal(me.user.email, 'zoe@example.com');
    assertNoProblems(tab);
    await tab.context.close();
});

test('a dead link in French: said plainly, axe-clean', async () => {
    const tab = await newTab(c, { locale: 'fr-FR', colorScheme: 'dark' });
    await tab.page.goto(`/invite#token=${'A'.repeat(43)}`);
    await tab.page.getByTestId('invite-invalid').filter({ hasText: 'Ce lien d’invitation ne fonctionne pas' }).waitFor();
    assert.deepEqual(await axe(tab.page), []);
    await screenshot(tab.page, 'invite-invalid-fr-dark');
    assertNoProblems(tab, DEAD_LINK);
    await tab.context.close();
});

test('a password an admin chose must be changed first: the screen, then the console', async () => {
    const made = await api('POST', '/api/users', { email: 'omar@example.com', name: 'Omar', password: 'set-by-admin-0123456789', role: 'user' });
    assert.equal(made.status, 201);
    assert.equal(made.json.user.mustChangePassword, true);
    assert.equal((await api('PUT', `/api/users/${made.json.user.id}/grants`, { grants: [{ bucket: BUCKET, prefix: '' }] })).status, 200);

    const tab = await newTab(c);
    await signIn(tab.page, 'omar@example.com', 'set-by-admin-0123456789');
    const form = tab.page.getByTestId('password-change');
    await form.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    /* Nothing of the console behind it. */
    assert.equal(await tab.page.getByRole('navigation', { name: 'Main' }).count(), 0);
    assert.deepEqual(await axe(tab.page), [], 'the forced change screen is axe-clean');
    await screenshot(tab.page, 'password-change');
    await form.getByLabel('Current password').fill('set-by-admin-0123456789');
    await form.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await form.getByLabel('Repeat the new password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Change the password' }).click();
    await tab.page.getByRole('navigation', { name: 'Main' }).waitFor();
    const me = await tab.page.evaluate(async () => (await (await fetch('/api/auth/me')).json()) as { user: { mustChangePassword: boolean } });
    assert.equal(me.user.mustChangePassword, false);
    /* The new password is the one that works now. */
    const login = await fetch(`${c.origin}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'omar@example.com', password: PASSWORD }) });
    assert.equal(login.status, 200);
    assertNoProblems(tab);
    await tab.context.close();
});

test('the same screen in French', async () => {
    const made = await api('POST', '/api/users', { email: 'lea@example.com', name: 'Léa', password: 'set-by-admin-0123456789', role: 'user' });
    assert.equal(made.status, 201);
    const tab = await newTab(c, { locale: 'fr-FR' });
    await signIn(tab.page, 'lea@example.com', 'set-by-admin-0123456789');
    await tab.page.getByRole('heading', { name: 'Choisissez un nouveau mot de passe' }).waitFor();
    assert.deepEqual(await axe(tab.page), []);
    assertNoProblems(tab);
    await tab.context.close();
});
