import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { ActivityEntry, Notification } from './api/types.ts';
import { en } from './i18n/en.ts';
import { fr } from './i18n/fr.ts';
import { AUDIT_ACTIONS, activitySentence, notificationSentence } from './sentences.ts';

const tr = (cat: Record<string, string>) => (id: string, vars: Record<string, string | number> = {}) => {
    const s = cat[id];
    assert.ok(s, `no string ${id}`);
    return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
};

const entry = (o: Partial<ActivityEntry>): ActivityEntry => ({ id: '1', time: '2026-01-01T00:00:00Z', userId: '1', userEmail: 'alice@example.com', action: 'object.upload', bucket: 'finance', key: '2026/report.pdf', ip: null, userAgent: null, status: 'success', details: {}, ...o });

test('activity in plain words, English and French', () => {
    assert.equal(activitySentence(entry({}), tr(en)), 'alice@example.com uploaded report.pdf to finance/2026/');
    assert.equal(activitySentence(entry({}), tr(fr)), 'alice@example.com a envoyé report.pdf dans finance/2026/');
    assert.equal(activitySentence(entry({ action: 'auth.login', status: 'failure', bucket: null, key: null }), tr(en)), 'alice@example.com could not sign in');
    assert.equal(activitySentence(entry({ action: 'object.delete', key: 'reports/' }), tr(fr)), 'alice@example.com a supprimé reports/ de finance/');
});

test('every action the server records has a sentence, for success and refusal, in both languages', () => {
    for (const action of AUDIT_ACTIONS)
        for (const status of ['success', 'failure'])
            for (const cat of [en, fr]) {
                const s = activitySentence(entry({ action, status }), tr(cat));
                assert.ok(!s.includes('{'), `${action} ${status}: ${s}`);
                assert.ok(!s.includes(action), `${action} reads as words: ${s}`);
            }
});

test('an unknown action still reads, with its code', () => {
    assert.equal(activitySentence(entry({ action: 'future.thing' }), tr(en)), 'alice@example.com: future.thing');
});

const note = (o: Partial<Notification['metadata']>, type = 'delete'): Notification => ({ id: '1', type, message: '', timestamp: '', metadata: { bucket: 'b', key: 'x/y.txt', fileName: null, fileSize: null, actor: 'bob@example.com', source: 'seau', ...o } });

test('notifications: Seau\'s own and changes made outside Seau', () => {
    assert.equal(notificationSentence(note({}), tr(en)), 'bob@example.com deleted y.txt from b/x/');
    assert.equal(notificationSentence(note({ source: 's3', actor: 'AWS:AIDAEXAMPLE' }), tr(en)), 'A change made outside Seau by AWS:AIDAEXAMPLE deleted y.txt from b/x/');
    assert.equal(notificationSentence(note({ source: 's3', actor: null }, 'upload'), tr(fr)), 'Un changement fait hors de Seau par un compte inconnu a modifié y.txt dans b/x/');
    assert.equal(notificationSentence(note({ key: null }), tr(en)), null);
});
