'use client';
/*
 * "Deleted files": what the caller may bring back in a bucket (and a folder
 * of it): delete markers in versioned buckets, Seau's recycle bin elsewhere.
 * Restore one, many or a whole folder; managers and admins purge. Admins
 * can turn versioning on here, with the recommended lifecycle rule shown and
 * applied only when ticked.
 */
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';

import { canManage, useUser } from '@/components/shell/session';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { controlClass, inputClass } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { files, recovery, type Bucket } from '@/lib/api';
import { formatBytes, formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

function VersioningDialog({ bucket, onClose, onDone }: { bucket: string; onClose(): void; onDone(): void }) {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const [apply, setApply] = useState(false);
    return (
        <Dialog open onClose={onClose} title={t('recovery.versioningOn')}>
            <p className="mb-2 text-sm">{t('recovery.versioningExplain')}</p>
            <p className="mb-2 text-sm font-medium" data-testid="lifecycle-rule">
                {t('recovery.lifecycleRule', { days: recovery.RECOMMENDED_NONCURRENT_DAYS })}
            </p>
            <label className="mb-4 flex items-center gap-2 text-sm">
                <input type="checkbox" checked={apply} onChange={(e) => setApply(e.target.checked)} data-testid="apply-rule" />
                {t('recovery.lifecycleApply')}
            </label>
            <div className="flex justify-end gap-2">
                <Button onClick={onClose}>{t('common.cancel')}</Button>
                <Button
                    variant="primary"
                    data-testid="confirm-versioning"
                    onClick={() =>
                        void recovery.setVersioning(bucket, true, apply ? recovery.RECOMMENDED_NONCURRENT_DAYS : null).then(
                            () => {
                                toast(t('recovery.versioningDone'), 'success');
                                onDone();
                            },
                            (e) => toast(errorText(e), 'error'),
                        )
                    }
                >
                    {t('recovery.versioningOn')}
                </Button>
            </div>
        </Dialog>
    );
}

export function TrashView() {
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const user = useUser();
    const router = useRouter();
    const params = useSearchParams();
    const [buckets, setBuckets] = useState<Bucket[] | null>(null);
    const bucket = params.get('bucket') || buckets?.[0]?.name || '';
    const prefix = params.get('prefix') ?? '';
    const [items, setItems] = useState<recovery.TrashItem[] | null>(null);
    const [next, setNext] = useState<string | null>(null);
    const [selected, setSelected] = useState<Set<string>>(new Set());
    const [err, setErr] = useState<unknown>(null);
    const [purging, setPurging] = useState<recovery.TrashItem[] | 'all' | null>(null);
    const [versioningDialog, setVersioningDialog] = useState(false);
    const [folder, setFolder] = useState(prefix);

    const loadBuckets = useCallback(() => {
        files.buckets().then(setBuckets, setErr);
    }, []);
    useEffect(loadBuckets, [loadBuckets]);
    const load = useCallback(() => {
        if (!bucket) return;
        setItems(null);
        setSelected(new Set());
        recovery.trash(bucket, prefix).then((r) => {
            setItems(r.files);
            setNext(r.nextCursor);
        }, setErr);
    }, [bucket, prefix]);
    useEffect(load, [load]);
    useEffect(() => setFolder(prefix), [prefix]);

    const info = buckets?.find((b) => b.name === bucket);
    const mode = info?.recoverable ?? null;
    const id = (x: recovery.TrashItem) => `${x.key}\u0000${x.restoreId}`;
    const chosen = (items ?? []).filter((x) => selected.has(id(x)));

    function go(b: string, p: string) {
        const sp = new URLSearchParams();
        sp.set('bucket', b);
        if (p) sp.set('prefix', p);
        router.push(`/trash?${sp.toString()}`);
    }

    async function restore(list: recovery.TrashItem[] | null) {
        try {
            const r = await recovery.restoreTrash(bucket, list ? list.map((x) => ({ key: x.key, restoreId: x.restoreId })) : null, list ? undefined : prefix);
            if (r.errors.length) toast(t('recovery.partial', { ok: r.restored.length, failed: r.errors.length, first: r.errors[0]!.message || r.errors[0]!.code }), 'error');
            else toast(t('recovery.restoredCount', { count: r.restored.length }), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
        load();
    }

    async function purge() {
        const what = purging;
        setPurging(null);
        if (!what) return;
        try {
            const r = await recovery.purgeTrash(bucket, what === 'all' ? null : what.map((x) => ({ key: x.key, restoreId: x.restoreId })));
            if (r.errors.length) toast(t('recovery.partial', { ok: r.purged.length, failed: r.errors.length, first: r.errors[0]!.message || r.errors[0]!.code }), 'error');
            else toast(t('recovery.purgedCount', { count: r.purged.length }), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
        load();
    }

    if (err) return <p role="alert" className="p-6">{errorText(err)}</p>;
    if (!buckets) return <p className="p-6">{t('common.loading')}</p>;
    const stateName = info?.versioning === 'enabled' ? t('recovery.stateEnabled') : info?.versioning === 'suspended' ? t('recovery.stateSuspended') : t('recovery.stateOff');
    return (
        <div className="flex flex-col gap-3 p-4" data-testid="trash-view">
            <h1 className="text-xl font-semibold">{t('recovery.deletedFilesIn', { bucket })}</h1>
            <div className="flex flex-wrap items-center gap-2">
                <label className="sr-only" htmlFor="trash-bucket">
                    {t('files.bucket')}
                </label>
                <select id="trash-bucket" value={bucket} onChange={(e) => go(e.target.value, '')} className={controlClass}>
                    {buckets.map((b) => (
                        <option key={b.name} value={b.name}>
                            {b.name}
                        </option>
                    ))}
                </select>
                <form
                    className="flex items-center gap-1"
                    onSubmit={(e) => {
                        e.preventDefault();
                        const p = folder.trim().replace(/^\/+/, '');
                        go(bucket, p && !p.endsWith('/') ? p + '/' : p);
                    }}
                >
                    <label className="sr-only" htmlFor="trash-folder">
                        {t('recovery.folder')}
                    </label>
                    <input id="trash-folder" value={folder} onChange={(e) => setFolder(e.target.value)} placeholder={t('recovery.allFolders')} className={`${inputClass} w-56`} />
                    <Button type="submit">{t('files.go')}</Button>
                </form>
                <span className="text-sm text-slate-700 dark:text-slate-300" data-testid="versioning-state">
                    {t('recovery.versioningState', { state: stateName })}
                </span>
                {user.role === 'admin' && info?.versioning !== 'enabled' ? (
                    <Button onClick={() => setVersioningDialog(true)} data-testid="versioning-on">
                        {t('recovery.versioningOn')}
                    </Button>
                ) : null}
            </div>
            <p className="text-sm" data-testid="bin-hint">
                {mode === 'versions' ? t('recovery.binHintVersions') : mode === 'trash' ? t('recovery.binHintTrash') : t('recovery.binHintNone')}
            </p>
            <div className="flex flex-wrap gap-2">
                <Button variant="primary" disabled={chosen.length === 0} onClick={() => void restore(chosen)} data-testid="restore-selected">
                    {t('recovery.restoreSelected', { count: chosen.length })}
                </Button>
                {prefix ? (
                    <Button onClick={() => void restore(null)} data-testid="restore-folder">
                        {t('recovery.restoreFolder')}
                    </Button>
                ) : null}
                {canManage(user) ? (
                    <>
                        <Button variant="danger" disabled={chosen.length === 0} onClick={() => setPurging(chosen)} data-testid="purge-selected">
                            {t('recovery.purgeSelected', { count: chosen.length })}
                        </Button>
                        <Button variant="danger" disabled={!items?.length} onClick={() => setPurging('all')}>
                            {t('recovery.purgeAll')}
                        </Button>
                    </>
                ) : null}
            </div>
            {items === null ? (
                <p>{t('common.loading')}</p>
            ) : items.length === 0 ? (
                <p data-testid="bin-empty">{t('recovery.emptyBin')}</p>
            ) : (
                <table className="w-full text-left text-sm" data-testid="trash-table">
                    <thead>
                        <tr className="border-b border-slate-200 dark:border-slate-700">
                            <th className="w-8 py-1">
                                <input
                                    type="checkbox"
                                    aria-label={t('files.selectAll')}
                                    checked={chosen.length === items.length}
                                    onChange={() => setSelected(chosen.length === items.length ? new Set() : new Set(items.map(id)))}
                                />
                            </th>
                            <th className="py-1">{t('files.name')}</th>
                            <th className="hidden py-1 text-right sm:table-cell">{t('files.size')}</th>
                            <th className="hidden py-1 md:table-cell">{t('recovery.deletedAt')}</th>
                            <th className="hidden py-1 md:table-cell">{t('recovery.deletedBy')}</th>
                            <th className="py-1">
                                <span className="sr-only">{t('common.actions')}</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {items.map((x) => (
                            <tr key={id(x)} className="border-b border-slate-100 dark:border-slate-800" data-testid="trash-row">
                                <td className="py-1">
                                    <input
                                        type="checkbox"
                                        aria-label={t('recovery.select', { name: x.key })}
                                        checked={selected.has(id(x))}
                                        onChange={() => {
                                            const s = new Set(selected);
                                            if (s.has(id(x))) s.delete(id(x));
                                            else s.add(id(x));
                                            setSelected(s);
                                        }}
                                    />
                                </td>
                                <td className="break-all py-1">{x.key}</td>
                                <td className="hidden py-1 text-right tabular-nums sm:table-cell">{formatBytes(x.size, lang)}</td>
                                <td className="hidden py-1 md:table-cell">{formatDate(x.deletedAt, lang)}</td>
                                <td className="hidden py-1 md:table-cell">{x.deletedByEmail ?? (x.deletedBy ? t('recovery.account', { id: x.deletedBy }) : t('recovery.unknown'))}</td>
                                <td className="py-1 text-right">
                                    <Button onClick={() => void restore([x])} data-testid="restore-one">
                                        {t('recovery.restore')}
                                    </Button>
                                </td>
                            </tr>
                        ))}
                    </tbody>
                </table>
            )}
            {next ? (
                <Button
                    onClick={() =>
                        void recovery.trash(bucket, prefix, next).then((r) => {
                            setItems([...(items ?? []), ...r.files]);
                            setNext(r.nextCursor);
                        }, setErr)
                    }
                >
                    {t('common.loadMore')}
                </Button>
            ) : null}
            {purging ? (
                <Dialog open onClose={() => setPurging(null)} title={t('recovery.purgeAll')}>
                    <p className="mb-4">{purging === 'all' ? t('recovery.purgeAllConfirm') : t('recovery.purgeConfirm', { count: purging.length })}</p>
                    <div className="flex justify-end gap-2">
                        <Button onClick={() => setPurging(null)}>{t('common.cancel')}</Button>
                        <Button variant="danger" onClick={() => void purge()} data-testid="confirm-purge">
                            {t('common.delete')}
                        </Button>
                    </div>
                </Dialog>
            ) : null}
            {versioningDialog ? (
                <VersioningDialog
                    bucket={bucket}
                    onClose={() => setVersioningDialog(false)}
                    onDone={() => {
                        setVersioningDialog(false);
                        loadBuckets();
                    }}
                />
            ) : null}
        </div>
    );
}
