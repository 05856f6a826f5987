/*
 * Single sign-on in Chromium, end to end: the login page lists the
 * identity provider, its button leads through the real OpenID Provider's
 * own login pages (npm oidc-provider, tests/peers/oidc-provider.mjs) back to
 * the console signed in, with the role the groups claim gave; signing out
 * ends the provider's session too; a /login?error= code reads as a
 * sentence in French; with passwords off only the provider's button shows.
 */
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { startServer, type SeauServer } from '../integration/harness.ts';
import { OidcPeer, oidcPort } from '../integration/oidc-peer.ts';
import { assertNoProblems, launchBrowser, newTab, test, WEB_ROOT, type Console } from './console.ts';

const SECRET = 'browser-client-secret-0123456789';
let idp: OidcPeer;
let srv: SeauServer;
let con: Console;

function ssoEnv(issuer: string): Record<string, string> {
    return {
        SEAU_WEB_ROOT: WEB_ROOT,
        SEAU_LOG_LEVEL: 'info',
        SEAU_OIDC_CORP_ISSUER: issuer,
        SEAU_OIDC_CORP_CLIENT_ID: 'seau-browser',
        SEAU_OIDC_CORP_CLIENT_SECRET: SECRET,
        SEAU_OIDC_CORP_NAME: 'Corp Login',
        SEAU_OIDC_CORP_SCOPES: 'openid email profile groups',
        SEAU_OIDC_CORP_ROLE_MAP: 'groups: seau-admins=admin, storage-team=manager',
    };
}

before(async () => {
    idp = new OidcPeer(await oidcPort());
    idp.setAccounts({
        erin: { email: 'erin@example.com', email_verified: true, name: 'Erin Example', groups: ['storage-team'] },
    });
    srv = await startServer({ env: ssoEnv(idp.issuer) });
    await idp.start([
        {
            client_id: 'seau-browser',
            client_secret: SECRET,
            redirect_uris: [`${srv.url}/api/auth/oidc/corp/callback`],
            post_logout_redirect_uris: [`${srv.url}/login`],
            grant_types: ['authorization_code'],
            response_types: ['code'],
        },
    ]);
    con = { server: srv, browser: await launchBrowser(), origin: srv.origin } as Console;
});

test('sign in with the identity provider through its own pages, then sign out at both', async () => {
    const tab = await newTab(con);
    const { page } = tab;
    await page.goto('/login?next=%2Faccount');
    const button = page.getByRole('link', { name: 'Sign in with Corp Login' });
    await button.waitFor();
    /* Passwords are on here: the form is offered too. */
    await page.getByLabel('Password').waitFor();
    await button.click();
    /* The provider's own login page. */
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.locator('input[name="login"]').fill('erin');
    await page.locator('input[name="password"]').fill('whatever');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((u) => u.origin === srv.origin && u.pathname.startsWith('/account'));
    await page.getByText('Erin Example').first().waitFor();
    const me = await page.evaluate(async () => (await (await fetch('/api/auth/me')).json()) as { user: { role: string; provider: string } });
    assert.equal(me.user.role, 'manager');
    assert.equal(me.user.provider, 'corp');

    /* Sign out: the console's session ends, then the provider's (its confirmation page). */
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.locator('button[autofocus], button[type="submit"]').first().click();
    await page.waitForURL((u) => u.origin === srv.origin && u.pathname.startsWith('/login'));
    const after = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    assert.equal(after, 401);
    /* The provider's development pages ask for a web font and a favicon it does not serve: its noise, not ours. */
    assertNoProblems(tab, [/status of 401/, /fonts\.googleapis\.com/, new RegExp(`404 .*\\(${idp.issuer}/`)]);
    await tab.context.close();
});

test('a refused sign-in reads as a sentence, in French too', async () => {
    const tab = await newTab(con, { locale: 'fr-FR' });
    const { page } = tab;
    await page.goto('/login?error=sso_domain');
    await page.getByRole('alert').filter({ hasText: 'domaine autorisé' }).waitFor();
    await page.getByRole('link', { name: 'Se connecter avec Corp Login' }).waitFor();
    await tab.context.close();
});

test('with passwords off, only the provider is offered', async () => {
    const only = await startServer({ env: { ...ssoEnv(idp.issuer), SEAU_PASSWORD_LOGIN: 'false' } });
    const tab = await newTab({ ...con, server: only, origin: only.origin });
    const { page } = tab;
    await page.goto('/login');
    await page.getByRole('link', { name: 'Sign in with Corp Login' }).waitFor();
    await page.getByText('Sign in with your organisation’s account.').waitFor();
    assert.equal(await page.getByLabel('Password').count(), 0);
    await tab.context.close();
    await only.stop();
});
