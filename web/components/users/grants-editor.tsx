'use client';
import { useEffect, useState } from 'react';

import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { controlClass, inputClass } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { admin, files, type User } from '@/lib/api';
import { GRANT_LEVELS, type Grant, type GrantLevel } from '@/lib/api/admin';
import { useI18n } from '@/lib/i18n';

/** The buckets and prefixes a user or manager may reach (PUT replaces the whole list). */
export function GrantsEditor({ user, onClose }: { user: User; onClose(): void }) {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const [grants, setGrants] = useState<Grant[] | null>(null);
    const [buckets, setBuckets] = useState<string[]>([]);
    const [error, setError] = useState<string | null>(null);
    useEffect(() => {
        admin.getGrants(user.id).then(setGrants, (e) => setError(errorText(e)));
        files.buckets().then((b) => setBuckets(b.map((x) => x.name)), () => undefined);
    }, [user.id, errorText]);

    async function save() {
        if (!grants) return;
        try {
            const clean = grants.map((g) => ({ bucket: g.bucket, prefix: g.prefix.trim() && !g.prefix.trim().endsWith('/') ? g.prefix.trim() + '/' : g.prefix.trim(), level: g.level }));
            setGrants(await admin.putGrants(user.id, clean));
            toast(t('users.grantsSaved'), 'success');
            onClose();
        } catch (e) {
            setError(errorText(e));
        }
    }
    const set = (i: number, g: Partial<Grant>) => setGrants((cur) => cur?.map((x, j) => (j === i ? { ...x, ...g } : x)) ?? null);
    return (
        <Dialog open onClose={onClose} title={t('users.grantsTitle', { email: user.email })}>
            <div className="flex flex-col gap-3">
                <p className="text-sm text-slate-700 dark:text-slate-300">{t('users.grantsHint')}</p>
                {!grants && !error ? <p>{t('common.loading')}</p> : null}
                {grants?.map((g, i) => (
                    <div key={i} className="flex flex-wrap items-end gap-2">
                        <label className="flex flex-col gap-1 text-xs font-medium">
                            {t('files.bucket')}
                            <select className={controlClass} value={g.bucket} onChange={(e) => set(i, { bucket: e.target.value })}>
                                {[...new Set([g.bucket, ...buckets])].filter(Boolean).map((b) => (
                                    <option key={b}>{b}</option>
                                ))}
                            </select>
                        </label>
                        <label className="flex flex-1 flex-col gap-1 text-xs font-medium">
                            {t('users.prefix')}
                            <input className={inputClass} value={g.prefix} onChange={(e) => set(i, { prefix: e.target.value })} placeholder={t('files.gotoHint')} />
                        </label>
                        <label className="flex flex-col gap-1 text-xs font-medium">
                            {t('trust.level')}
                            <select className={controlClass} value={g.level} onChange={(e) => set(i, { level: e.target.value as GrantLevel })} data-testid="grant-level">
                                {GRANT_LEVELS.map((l) => (
                                    <option key={l} value={l}>
                                        {t(`trust.level.${l}`)}
                                    </option>
                                ))}
                            </select>
                        </label>
                        <Button aria-label={t('users.removeGrant', { bucket: g.bucket, prefix: g.prefix })} onClick={() => setGrants((cur) => cur?.filter((_, j) => j !== i) ?? null)}>
                            ×
                        </Button>
                    </div>
                ))}
                {error ? (
                    <p role="alert" className="text-sm text-red-800 dark:text-red-300">
                        {error}
                    </p>
                ) : null}
                <div className="flex flex-wrap justify-between gap-2">
                    <Button onClick={() => setGrants((cur) => [...(cur ?? []), { bucket: buckets[0] ?? '', prefix: '', level: 'full' }])}>{t('users.addGrant')}</Button>
                    <div className="flex gap-2">
                        <Button onClick={onClose}>{t('common.cancel')}</Button>
                        <Button variant="primary" onClick={() => void save()}>
                            {t('common.save')}
                        </Button>
                    </div>
                </div>
            </div>
        </Dialog>
    );
}
