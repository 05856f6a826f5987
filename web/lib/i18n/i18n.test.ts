import assert from 'node:assert/strict';
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
    assert.equal(errorText(t, new ApiError(400, 'validation_failed', 'Some fields are invalid.', { fields: { key: 'is too long' } })), 'Some values are not valid: key is too long');
    assert.equal(errorText(t, new Error('key_dots')), en['err.key_dots']);
    assert.equal(errorText(t, new TypeError('x is undefined')), en['err.generic']);
});
