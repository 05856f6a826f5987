import assert from 'node:assert/strict';
import { test } from 'node:test';

import { en } from '../i18n/en.ts';
import { fr } from '../i18n/fr.ts';
import { SSO_ERRORS, ssoErrorId, ssoLogoutUrl, ssoStartUrl, wireProviders } from './auth.ts';
import { wireUser } from './types.ts';

test('every /login?error= code the server sends has a sentence in English and French', () => {
    assert.equal(ssoErrorId(null), null);
    assert.equal(ssoErrorId('sso_domain'), 'sso.error.sso_domain');
    assert.equal(ssoErrorId('<script>'), 'sso.error.unknown');
    for (const code of [...SSO_ERRORS, 'unknown']) {
        const id = `sso.error.${code}` as keyof typeof en;
        assert.ok(en[id] && fr[id], `missing sentence for ${code}`);
        assert.notEqual(en[id], fr[id]);
    }
});

test('the start and logout URLs name the provider and a same-site return path', () => {
    assert.equal(ssoStartUrl('corp', '/files?bucket=a&x=1'), '/api/auth/oidc/corp/start?returnTo=%2Ffiles%3Fbucket%3Da%26x%3D1');
    assert.equal(ssoLogoutUrl('corp'), '/api/auth/oidc/corp/logout');
});

test('the providers answer and the user provider field decode', () => {
    const p = wireProviders({ password: false, oidc: [{ id: 'corp', name: 'Corp' }] }, '$');
    assert.deepEqual(p, { password: false, oidc: [{ id: 'corp', name: 'Corp' }] });
    assert.throws(() => wireProviders({ oidc: [] }, '$'));
    const base = { id: 1, email: 'a@b.c', name: 'A', role: 'user', disabled: false, createdAt: null, lastLoginAt: null };
    assert.equal(wireUser({ ...base, provider: 'corp' }, '$').provider, 'corp');
    assert.equal(wireUser({ ...base, provider: null }, '$').provider, null);
    assert.equal(wireUser(base, '$').provider, null);
});
