'use client';
/*
 * Upload links ("file requests"), for managers and admins: make one for a
 * folder (expiry, password, limits, a message for the visitor), copy its
 * URL — shown once, only its hash is kept — and revoke it.
 */
import { useCallback, useEffect, useState } from 'react';

import { Button } from '@/components/ui/button';
import { Field, inputClass } from '@/components/ui/field';
import { Page, tableClass } from '@/components/ui/page';
import { useToast } from '@/components/ui/toast';
import { files, uploadLinks as api, type Bucket } from '@/lib/api';
import type { UploadLink } from '@/lib/api/upload-links';
import { formatBytes, formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

const DAY = 86400;

export function UploadLinks() {
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const [items, setItems] = useState<UploadLink[] | null>(null);
    const [error, setError] = useState<unknown>(null);
    const [buckets, setBuckets] = useState<Bucket[]>([]);
    const [made, setMade] = useState<string | null>(null);
    const [form, setForm] = useState({ bucket: '', prefix: '', days: '7', password: '', maxFiles: '', maxMB: '', message: '' });
    const load = useCallback(() => {
        api.listUploadLinks().then((r) => setItems(r.links), setError);
    }, []);
    useEffect(load, [load]);
    useEffect(() => {
        files.buckets().then((b) => {
            setBuckets(b);
            setForm((f) => (f.bucket ? f : { ...f, bucket: b[0]?.name ?? '' }));
        }, setError);
    }, []);

    const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

    async function create() {
        let prefix = form.prefix.trim().replace(/^\/+/, '');
        if (prefix && !prefix.endsWith('/')) prefix += '/';
        try {
            const r = await api.createUploadLink({
                bucket: form.bucket,
                prefix,
                expiresIn: Math.round(Number(form.days) * DAY) || undefined,
                password: form.password || undefined,
                maxFiles: form.maxFiles ? Number(form.maxFiles) : undefined,
                maxBytes: form.maxMB ? Math.round(Number(form.maxMB) * 1e6) : undefined,
                message: form.message || undefined,
            });
            setMade(r.url);
            setForm((f) => ({ ...f, password: '', message: '' }));
            load();
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    async function revoke(l: UploadLink) {
        try {
            await api.revokeUploadLink(l.id);
            setItems((cur) => cur?.filter((x) => x.id !== l.id) ?? null);
            toast(t('links.revoked'), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    return (
        <Page title={t('links.title')}>
            <p className="mb-4 text-sm text-slate-700 dark:text-slate-300">{t('links.intro')}</p>
            <form
                className="mb-6 grid max-w-3xl grid-cols-1 gap-3 sm:grid-cols-2"
                data-testid="upload-link-form"
                onSubmit={(e) => {
                    e.preventDefault();
                    void create();
                }}
            >
                <label className="flex flex-col gap-1 text-sm font-medium">
                    {t('files.destBucket')}
                    <select value={form.bucket} onChange={set('bucket')} className={inputClass}>
                        {buckets.map((b) => (
                            <option key={b.name}>{b.name}</option>
                        ))}
                    </select>
                </label>
                <Field label={t('links.folder')} value={form.prefix} onChange={set('prefix')} placeholder="incoming/" data-testid="link-prefix" />
                <Field label={t('links.days')} type="number" min={1} max={366} value={form.days} onChange={set('days')} required />
                <Field label={t('links.password')} type="password" autoComplete="new-password" minLength={8} value={form.password} onChange={set('password')} hint={t('links.optional')} />
                <Field label={t('links.maxFiles')} type="number" min={1} value={form.maxFiles} onChange={set('maxFiles')} hint={t('links.optional')} />
                <Field label={t('links.maxMB')} type="number" min={1} value={form.maxMB} onChange={set('maxMB')} hint={t('links.optional')} />
                <label className="flex flex-col gap-1 text-sm font-medium sm:col-span-2">
                    {t('links.message')}
                    <textarea value={form.message} onChange={set('message')} maxLength={2000} rows={3} className={inputClass} />
                </label>
                <div className="sm:col-span-2">
                    <Button type="submit" variant="primary" data-testid="link-create">
                        {t('links.create')}
                    </Button>
                </div>
            </form>
            {made ? (
                <div className="mb-6 rounded-md border border-emerald-300 bg-emerald-50 p-3 dark:border-emerald-700 dark:bg-emerald-950" role="status">
                    <p className="mb-2 text-sm font-medium">{t('links.madeOnce')}</p>
                    <div className="flex flex-wrap items-center gap-2">
                        <input readOnly value={made} className={inputClass} aria-label={t('links.url')} data-testid="link-url" onFocus={(e) => e.target.select()} />
                        <Button onClick={() => void navigator.clipboard?.writeText(made).then(() => toast(t('links.copiedUrl'), 'success'))}>{t('links.copyUrl')}</Button>
                    </div>
                </div>
            ) : null}
            {error ? <p role="alert">{errorText(error)}</p> : null}
            {!items && !error ? <p>{t('common.loading')}</p> : null}
            {items && items.length === 0 ? <p>{t('links.none')}</p> : null}
            {items && items.length > 0 ? (
                <div className="overflow-x-auto">
                    <table className={tableClass}>
                        <thead>
                            <tr>
                                <th scope="col">{t('links.folder')}</th>
                                <th scope="col">{t('links.expires')}</th>
                                <th scope="col">{t('links.received')}</th>
                                <th scope="col">{t('links.protected')}</th>
                                <th scope="col">{t('links.state')}</th>
                                <th scope="col">
                                    <span className="sr-only">{t('common.actions')}</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {items.map((l) => (
                                <tr key={l.id} data-link={l.id}>
                                    <td className="max-w-xs break-all">
                                        {l.bucket}/{l.prefix}
                                        {l.message ? <span className="block text-xs text-slate-700 dark:text-slate-300">{l.message}</span> : null}
                                    </td>
                                    <td>{l.expiresAt ? formatDate(Date.parse(l.expiresAt), lang) : t('links.never')}</td>
                                    <td>
                                        {t('links.receivedCount', { files: l.files, max: l.maxFiles ?? '∞' })}
                                        <span className="block text-xs">
                                            {formatBytes(l.bytes, lang)}
                                            {l.maxBytes ? ` / ${formatBytes(l.maxBytes, lang)}` : ''}
                                        </span>
                                    </td>
                                    <td>{l.hasPassword ? t('common.yes') : t('common.no')}</td>
                                    <td>{t(`links.state.${l.state === 'full' || l.state === 'expired' ? l.state : 'live'}`)}</td>
                                    <td>
                                        <Button variant="danger" onClick={() => void revoke(l)}>
                                            {t('links.revoke')}
                                        </Button>
                                    </td>
                                </tr>
                            ))}
                        </tbody>
                    </table>
                </div>
            ) : null}
        </Page>
    );
}
