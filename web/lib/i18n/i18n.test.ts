import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { ApiError } from '../api/client.ts';
import { en } from './en.ts';
import { fr } from './fr.ts';
import { errorText, preferredLang, translate } from './index.tsx';

test('French has every English message, with the same placeholders', () => {
    for (const id of Object.keys(en) as (keyof typeof en)[]) {
        assert.ok(fr[id], `fr lacks ${id}`);
        const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        assert.deepEqual(vars(fr[id]), vars(en[id]), `placeholders of ${id}`);
    }
});

test('the language: the stored choice, else the browser, else English', () => {
    assert.equal(preferredLang('fr', ['en-US']), 'fr');
    assert.equal(preferredLang(null, ['de-DE', 'fr-CA', 'en']), 'fr');
    assert.equal(preferredLang(null, ['de-DE']), 'en');
    assert.equal(preferredLang('xx', []), 'en');
    assert.equal(translate('fr', 'files.deleted', { count: 3 }), '3 élément(s) supprimé(s).');
});

test('errors become plain sentences, never dumps', () => {
    const t = (id: keyof typeof en, v?: Record<string, string | number>) => translate('en', id, v);
    assert.equal(errorText(t, new ApiError(413, 'payload_too_large', 'body too large')), en['err.payload_too_large']);
    assert.equal(errorText(t, new ApiError(0, 'network', '')), en['err.network']);
    assert.equal(errorText(t, new ApiError(500, 'weird_thing', 'Traceback (most recent call last)…')), en['err.generic']);
    assert.equal(errorText(t, new ApiError(404, 'http_404', '')), en['err.not_available']);
    assert.match(errorText(t, new ApiError(400, 'validation_failed', '', { key: 'too long' })), /key/);
    assert.equal(errorText(t, new ApiError(400, 'validation_failed', 'Some fields are invalid.', { fields: { key: 'is too long' } })), 'Some values are not valid: name is too long');
    assert.equal(errorText(t, new Error('key_dots')), en['err.key_dots']);
    assert.equal(errorText(t, new TypeError('x is undefined')), en['err.generic']);
});

test('validation details read in the reader\'s language; what the catalogue lacks stays as sent', () => {
    const fr = (id: keyof typeof en, v?: Record<string, string | number>) => translate('fr', id, v);
    const taken = new ApiError(400, 'validation_failed', 'Some fields are invalid.', { fields: { email: 'is already taken' } });
    assert.equal(errorText(fr, taken), 'Certaines valeurs ne sont pas valides : adresse e-mail (déjà utilisée par un autre compte)');
    const enT = (id: keyof typeof en, v?: Record<string, string | number>) => translate('en', id, v);
    assert.equal(errorText(enT, taken), 'Some values are not valid: email address is already used by another account');
    const two = new ApiError(400, 'validation_failed', '', { fields: { password: 'must be at least 12 characters long', zork: 'is odd' } });
    assert.equal(errorText(fr, two), 'Certaines valeurs ne sont pas valides : mot de passe (doit compter au moins 12 caractères); zork (is odd)');
});

test('every server reason the catalogue translates is one the server can send', () => {
    /* A reason reworded in the C sources would silently fall back to English: catch it here. */
    const src = path.resolve(import.meta.dirname, '../../../src');
    const texts: string[] = [];
    const walk = (dir: string): void => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.name.endsWith('.c')) texts.push(readFileSync(p, 'utf8'));
        }
    };
    walk(src);
    const all = texts.join('\n');
    for (const id of Object.keys(en).filter((k) => k.startsWith('vwhy.'))) {
        const reason = id.slice('vwhy.'.length);
        const literal = JSON.stringify(reason).slice(1, -1); /* as written in a C string */
        assert.ok(all.includes(`"${literal}"`), `no C source sends "${reason}"`);
    }
});
