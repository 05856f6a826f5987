'use client';
import { useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field, SelectField, inputClass } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { shares, type Entry } from '@/lib/api';
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

const EXPIRY: [string, number][] = [
    ['share.hour', 3600],
    ['share.day', 86400],
    ['share.week', 7 * 86400],
    ['share.month', 30 * 86400],
    ['share.noExpiry', 0],
];

/** Creates a share link for a file or a folder (expiry, password, download limit) and copies it. */
export function ShareDialog({ bucket, entry, onClose }: { bucket: string; entry: Entry; onClose(): void }) {
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const [expires, setExpires] = useState(String(7 * 86400));
    const [password, setPassword] = useState('');
    const [max, setMax] = useState('');
    const [made, setMade] = useState<{ url: string; expiresAt: string | null } | null>(null);
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState<string | null>(null);
    const key = entry.kind === 'folder' ? entry.prefix : entry.key;

    async function submit(e: FormEvent) {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
            const s = await shares.createShare({
                bucket,
                key,
                expiresIn: Number(expires),
                password: password || undefined,
                maxDownloads: max ? Number(max) : undefined,
            });
            setMade(s);
            await navigator.clipboard?.writeText(s.url).catch(() => undefined);
        } catch (err) {
            setError(errorText(err));
        }
        setBusy(false);
    }

    return (
        <Dialog open onClose={onClose} title={t('share.title', { name: entry.name })}>
            {made ? (
                <div className="flex flex-col gap-3">
                    <label className="flex flex-col gap-1 text-sm font-medium">
                        {t('share.link')}
                        <input readOnly value={made.url} className={inputClass} data-testid="share-url" onFocus={(e) => e.target.select()} />
                    </label>
                    {made.expiresAt ? <p className="text-sm">{t('share.expiresAt', { date: formatDate(Date.parse(made.expiresAt), lang) })}</p> : null}
                    <div className="flex justify-end gap-2">
                        <Button
                            onClick={() => {
                                void navigator.clipboard?.writeText(made.url).then(() => toast(t('common.copied'), 'success'), () => undefined);
                            }}
                        >
                            {t('common.copy')}
                        </Button>
                        <Button variant="primary" onClick={onClose}>
                            {t('common.close')}
                        </Button>
                    </div>
                </div>
            ) : (
                <form onSubmit={submit} className="flex flex-col gap-3">
                    <SelectField label={t('share.expiry')} value={expires} onChange={(e) => setExpires(e.target.value)}>
                        {EXPIRY.map(([id, s]) => (
                            <option key={s} value={s}>
                                {t(id as 'share.hour')}
                            </option>
                        ))}
                    </SelectField>
                    <Field label={t('share.password')} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
                    <Field label={t('share.maxDownloads')} type="number" min={1} value={max} onChange={(e) => setMax(e.target.value)} />
                    {error ? (
                        <p role="alert" className="text-sm text-red-800 dark:text-red-300">
                            {error}
                        </p>
                    ) : null}
                    <div className="flex justify-end gap-2">
                        <Button onClick={onClose}>{t('common.cancel')}</Button>
                        <Button type="submit" variant="primary" disabled={busy} data-testid="create-share">
                            {t('share.create')}
                        </Button>
                    </div>
                </form>
            )}
        </Dialog>
    );
}
