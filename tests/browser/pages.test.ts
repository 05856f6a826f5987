/*
 * Every main page in English and French, light and dark: a screenshot each
 * (build/browser-artifacts/), axe-core injected with no serious or critical
 * violation, the language taken from the browser, and a phone-sized view.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { ADMIN, assertNoProblems, axe, newTab, screenshot, signIn, startConsole, test, type Console } from './console.ts';

const A = 'web-a';
let c: Console;

before(async () => {
    c = await startConsole([A, 'web-b']);
    for (const k of ['reports/2026/q1.pdf', 'reports/summary.txt', 'photo.jpg', 'notes.md', '<img src=x onerror=alert(1)>.png'])
        await c.peer.client.send(new PutObjectCommand({ Bucket: A, Key: k, Body: `content of ${k}` }));
});

/* Each page, and what shows it has loaded (in either language). */
const PAGES: { name: string; path: string; ready: string }[] = [
    { name: 'files', path: `/files?bucket=${A}`, ready: '[data-name="reports"]' },
    { name: 'dashboard', path: '/dashboard', ready: '[data-testid="card"]' },
    { name: 'shares', path: '/shares', ready: 'main h1' },
    { name: 'users', path: '/admin/users', ready: '[data-testid="users"]' },
    { name: 'activity', path: '/admin/activity', ready: '[data-testid="activity"]' },
    { name: 'account', path: '/account', ready: 'form' },
];

for (const locale of ['en-US', 'fr-FR'])
    for (const scheme of ['light', 'dark'] as const)
        test(`pages in ${locale}, ${scheme}: screenshots and axe`, async () => {
            const lang = locale.slice(0, 2);
            const tab = await newTab(c, { locale, colorScheme: scheme });
            const { page } = tab;
            await page.goto('/login');
            await page.locator('form').waitFor();
            await page.waitForFunction((l) => document.documentElement.lang === l, lang);
            assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark')), scheme === 'dark');
            await page.getByRole('heading', { name: lang === 'fr' ? 'Connexion à Seau' : 'Sign in to Seau' }).waitFor();
            await screenshot(page, `login-${lang}-${scheme}`);
            const violations: string[] = (await axe(page)).map((v) => `login: ${v}`);
            await signIn(page, ADMIN.email, ADMIN.password, PAGES[0]!.path);
            for (const p of PAGES) {
                if (!page.url().endsWith(p.path)) await page.goto(p.path);
                await page.locator(p.ready).first().waitFor();
                await screenshot(page, `${p.name}-${lang}-${scheme}`);
                violations.push(...(await axe(page)).map((v) => `${p.name}: ${v}`));
            }
            await page.goto(`/files?bucket=${A}`);
            await page.getByRole('button', { name: lang === 'fr' ? 'Envoyer des fichiers' : 'Upload files' }).waitFor();
            assert.deepEqual(violations, [], 'no serious accessibility violation');
            assertNoProblems(tab);
            await tab.context.close();
        });

test('a phone-sized screen: the file list and the menu fit', async () => {
    const tab = await newTab(c, { viewport: { width: 390, height: 800 } });
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}`);
    await page.locator('[data-name="reports"]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);
    await screenshot(page, 'files-en-phone');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('card').first().waitFor();
    assert.deepEqual(await axe(page), []);
    assertNoProblems(tab);
    await tab.context.close();
});

test('switching language and theme by hand sticks across pages', async () => {
    const tab = await newTab(c);
    const { page } = tab;
    await signIn(page, ADMIN.email, ADMIN.password, `/files?bucket=${A}`);
    await page.getByTestId('lang').first().selectOption('fr');
    await page.getByTestId('theme').first().selectOption('dark');
    await page.getByRole('button', { name: 'Nouveau dossier' }).waitFor();
    await page.goto('/dashboard');
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark')), true);
    assertNoProblems(tab);
    await tab.context.close();
});
