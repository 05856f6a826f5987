'use client';
/*
 * Where to move or copy entries: a dialog that browses a bucket's folders
 * (breadcrumbs, one level at a time), can create a folder where it stands,
 * and answers the chosen bucket and folder.
 */
import { useEffect, useState } from 'react';

import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Icon } from '@/components/ui/icon';
import { inputClass } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { files as api, type Bucket, type FolderItem } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

export interface FolderPickerProps {
    open: boolean;
    title: string;
    confirm: string;
    buckets: Bucket[];
    bucket: string;
    prefix: string;
    /** Folders one may not pick (a folder cannot go into itself). */
    exclude?: string[];
    onClose(): void;
    onPick(bucket: string, prefix: string): void;
}

export function FolderPicker(p: FolderPickerProps) {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const [bucket, setBucket] = useState(p.bucket);
    const [prefix, setPrefix] = useState(p.prefix);
    const [folders, setFolders] = useState<FolderItem[] | null>(null);
    const [error, setError] = useState<unknown>(null);
    const [creating, setCreating] = useState<string | null>(null);
    /* The folder as typed: browsing follows it once it names a folder (ends with "/"). */
    const [typed, setTyped] = useState(p.prefix);
    useEffect(() => setTyped(prefix), [prefix]);

    useEffect(() => {
        if (!p.open) return;
        setBucket(p.bucket);
        setPrefix(p.prefix);
    }, [p.open, p.bucket, p.prefix]);

    useEffect(() => {
        if (!p.open) return;
        const c = new AbortController();
        setFolders(null);
        setError(null);
        (async () => {
            const all: FolderItem[] = [];
            let cursor: string | null = null;
            /* Folders come first in every listing: stop at the first page that has files. */
            for (let i = 0; i < 20; i++) {
                const r = await api.list({ bucket, prefix, cursor, limit: 1000 }, c.signal);
                all.push(...r.folders);
                cursor = r.nextCursor;
                if (!cursor || r.files.length > 0) break;
            }
            setFolders(all);
        })().catch((e) => {
            if (!(e instanceof DOMException && e.name === 'AbortError')) setError(e);
        });
        return () => c.abort();
    }, [p.open, bucket, prefix]);

    async function create() {
        const name = (creating ?? '').trim().replace(/\/+$/, '');
        if (!name) return;
        if (name.includes('/')) {
            toast(t('err.bad_request'), 'error');
            return;
        }
        try {
            await api.createFolder(bucket, `${prefix}${name}/`);
            setCreating(null);
            setPrefix(`${prefix}${name}/`);
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    const parts = prefix.split('/').filter(Boolean);
    const excluded = (f: string) => bucket === p.bucket && (p.exclude ?? []).some((x) => f.startsWith(x));
    const chosen = typed && !typed.endsWith('/') ? `${typed}/` : typed;
    const here = excluded(chosen) || (bucket === p.bucket && chosen === p.prefix);
    return (
        <Dialog open={p.open} onClose={p.onClose} title={p.title}>
            <div className="flex flex-col gap-3" data-testid="folder-picker">
                <label className="flex flex-col gap-1 text-sm font-medium">
                    {t('files.destBucket')}
                    <select
                        value={bucket}
                        onChange={(e) => {
                            setBucket(e.target.value);
                            setPrefix('');
                        }}
                        className={inputClass}
                    >
                        {p.buckets.map((b) => (
                            <option key={b.name}>{b.name}</option>
                        ))}
                    </select>
                </label>
                <label className="flex flex-col gap-1 text-sm font-medium">
                    {t('files.destPrefix')}
                    <input
                        className={inputClass}
                        value={typed}
                        placeholder={t('files.gotoHint')}
                        data-testid="picker-path"
                        onChange={(e) => {
                            const v = e.target.value.replace(/^\/+/, '');
                            setTyped(v);
                            if (v === '' || v.endsWith('/')) setPrefix(v);
                        }}
                    />
                </label>
                <nav aria-label={t('trust.pickerPath')}>
                    <ol className="flex flex-wrap items-center gap-0.5 text-sm">
                        <li>
                            <button type="button" className="rounded px-1 text-blue-800 underline dark:text-blue-300" onClick={() => setPrefix('')}>
                                {bucket}
                            </button>
                        </li>
                        {parts.map((x, i) => {
                            const to = parts.slice(0, i + 1).join('/') + '/';
                            return (
                                <li key={to} className="flex items-center gap-0.5">
                                    <span aria-hidden="true">/</span>
                                    <button type="button" className="rounded px-1 text-blue-800 underline dark:text-blue-300" onClick={() => setPrefix(to)} aria-current={i === parts.length - 1 ? 'location' : undefined}>
                                        {x}
                                    </button>
                                </li>
                            );
                        })}
                    </ol>
                </nav>
                <ul className="max-h-64 min-h-24 overflow-auto rounded-md border border-slate-300 dark:border-slate-600" aria-label={t('trust.pickerFolders')} aria-busy={folders === null}>
                    {error ? (
                        <li role="alert" className="p-2 text-sm text-red-800 dark:text-red-300">
                            {errorText(error)}
                        </li>
                    ) : folders === null ? (
                        <li className="p-2 text-sm text-slate-700 dark:text-slate-300">{t('common.loading')}</li>
                    ) : folders.length === 0 ? (
                        <li className="p-2 text-sm text-slate-700 dark:text-slate-300">{t('trust.pickerNoFolders')}</li>
                    ) : (
                        folders.map((f) => (
                            <li key={f.prefix}>
                                <button
                                    type="button"
                                    disabled={excluded(f.prefix)}
                                    className="flex w-full items-center gap-2 px-2 py-1.5 text-left text-sm hover:bg-slate-100 disabled:opacity-50 dark:hover:bg-slate-800"
                                    onClick={() => setPrefix(f.prefix)}
                                    data-testid="picker-folder"
                                    data-prefix={f.prefix}
                                >
                                    <span className="text-amber-700 dark:text-amber-400">
                                        <Icon name="folder" />
                                    </span>
                                    {f.name}/
                                </button>
                            </li>
                        ))
                    )}
                </ul>
                {creating !== null ? (
                    <form
                        className="flex items-end gap-2"
                        onSubmit={(e) => {
                            e.preventDefault();
                            void create();
                        }}
                    >
                        <label className="flex flex-1 flex-col gap-1 text-sm font-medium">
                            {t('files.folderName')}
                            <input className={inputClass} value={creating} onChange={(e) => setCreating(e.target.value)} autoFocus data-testid="picker-new-name" />
                        </label>
                        <Button type="submit">{t('common.create')}</Button>
                    </form>
                ) : (
                    <div>
                        <Button onClick={() => setCreating('')} data-testid="picker-new">
                            {t('files.newFolder')}
                        </Button>
                    </div>
                )}
                <p className="text-sm" aria-live="polite">
                    {t('trust.pickerInto', { place: `${bucket}/${chosen}` })}
                </p>
                <div className="flex justify-end gap-2">
                    <Button onClick={p.onClose}>{t('common.cancel')}</Button>
                    <Button variant="primary" disabled={here} onClick={() => p.onPick(bucket, chosen)} data-testid="picker-confirm">
                        {p.confirm}
                    </Button>
                </div>
            </div>
        </Dialog>
    );
}
