'use client';
/*
 * A file's details in one dialog, given {bucket, key}: system metadata,
 * user metadata (editable within the caller's rights), tags (editable), and
 * versions as a timeline (download, restore, and for admins delete one).
 * Every call goes through lib/api/recovery.ts.
 */
import { useCallback, useEffect, useState } from 'react';

import { useUser } from '@/components/shell/session';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { inputClass } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { baseName, recovery } from '@/lib/api';
import { formatBytes, formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

type Tab = 'info' | 'tags' | 'versions';

function useWho() {
    const { t } = useI18n();
    const me = useUser();
    return (id: string | null) => (id === null ? t('recovery.unknown') : id === String(me.id) ? t('recovery.you') : t('recovery.account', { id }));
}

/** Rows of name/value pairs, edited in place. */
function PairsEditor({ rows, onChange, nameLabel, valueLabel, max }: { rows: [string, string][]; onChange(r: [string, string][]): void; nameLabel: string; valueLabel: string; max: number }) {
    const { t } = useI18n();
    return (
        <div className="flex flex-col gap-2" data-testid="pairs-editor">
            {rows.map(([k, v], i) => (
                <div key={i} className="flex items-center gap-2">
                    <input aria-label={nameLabel} value={k} className={`${inputClass} w-2/5`} data-testid="pair-name" onChange={(e) => onChange(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))} />
                    <input aria-label={valueLabel} value={v} className={`${inputClass} flex-1`} data-testid="pair-value" onChange={(e) => onChange(rows.map((r, j) => (j === i ? [r[0], e.target.value] : r)))} />
                    <Button variant="ghost" aria-label={t('recovery.removeRow', { name: k })} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                        ×
                    </Button>
                </div>
            ))}
            <div>
                <Button onClick={() => onChange([...rows, ['', '']])} disabled={rows.length >= max} data-testid="pair-add">
                    {t('recovery.addRow')}
                </Button>
            </div>
        </div>
    );
}

function InfoTab({ bucket, fileKey }: { bucket: string; fileKey: string }) {
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const who = useWho();
    const [d, setD] = useState<recovery.Details | null>(null);
    const [err, setErr] = useState<unknown>(null);
    const [editing, setEditing] = useState<[string, string][] | null>(null);
    const [ctype, setCtype] = useState('');
    const load = useCallback(() => {
        recovery.details(bucket, fileKey).then(setD, setErr);
    }, [bucket, fileKey]);
    useEffect(load, [load]);
    if (err) return <p role="alert">{errorText(err)}</p>;
    if (!d) return <p>{t('common.loading')}</p>;
    const s = d.system;
    const rows: [string, string][] = [
        [t('recovery.type'), s?.contentType ?? d.file.contentType ?? '—'],
        [t('recovery.size'), formatBytes(s?.size ?? d.file.size, lang)],
        [t('recovery.etag'), s?.etag ?? d.file.etag ?? '—'],
        [t('recovery.storageClass'), s?.storageClass ?? 'STANDARD'],
        [t('recovery.encryption'), s?.encryption ?? t('recovery.encryptionNone')],
        [t('recovery.lastModified'), formatDate(s?.lastModified ? Date.parse(s.lastModified) : d.file.lastModified, lang)],
        [t('recovery.uploadedBy'), who(d.file.uploadedBy)],
    ];
    async function save() {
        if (!editing) return;
        try {
            await recovery.patchObject(bucket, fileKey, { contentType: ctype || undefined, metadata: Object.fromEntries(editing.filter(([k]) => k.trim())) });
            toast(t('recovery.saved'), 'success');
            setEditing(null);
            load();
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }
    return (
        <div className="flex flex-col gap-4">
            <section>
                <h3 className="mb-1 text-sm font-semibold">{t('recovery.system')}</h3>
                <dl className="grid grid-cols-[minmax(0,10rem)_minmax(0,1fr)] gap-x-3 gap-y-1 text-sm" data-testid="system-metadata">
                    {rows.map(([k, v]) => (
                        <div key={k} className="contents">
                            <dt className="text-slate-700 dark:text-slate-300">{k}</dt>
                            <dd className="break-all">{v}</dd>
                        </div>
                    ))}
                </dl>
            </section>
            <section>
                <h3 className="mb-1 text-sm font-semibold">{t('recovery.userMetadata')}</h3>
                {editing ? (
                    <div className="flex flex-col gap-2">
                        <label className="flex flex-col gap-1 text-sm">
                            {t('recovery.contentType')}
                            <input value={ctype} onChange={(e) => setCtype(e.target.value)} className={inputClass} data-testid="content-type" />
                        </label>
                        <PairsEditor rows={editing} onChange={setEditing} nameLabel={t('recovery.metaName')} valueLabel={t('recovery.metaValue')} max={64} />
                        <div className="flex justify-end gap-2">
                            <Button onClick={() => setEditing(null)}>{t('common.cancel')}</Button>
                            <Button variant="primary" onClick={() => void save()} data-testid="save-metadata">
                                {t('recovery.save')}
                            </Button>
                        </div>
                    </div>
                ) : (
                    <>
                        {Object.keys(d.metadata).length === 0 ? (
                            <p className="text-sm">{t('recovery.noMetadata')}</p>
                        ) : (
                            <dl className="grid grid-cols-[minmax(0,10rem)_minmax(0,1fr)] gap-x-3 gap-y-1 text-sm" data-testid="user-metadata">
                                {Object.entries(d.metadata).map(([k, v]) => (
                                    <div key={k} className="contents">
                                        <dt className="text-slate-700 dark:text-slate-300">{k}</dt>
                                        <dd className="break-all">{v}</dd>
                                    </div>
                                ))}
                            </dl>
                        )}
                        <Button
                            className="mt-2"
                            onClick={() => {
                                setCtype(s?.contentType ?? d.file.contentType ?? '');
                                setEditing(Object.entries(d.metadata));
                            }}
                            data-testid="edit-metadata"
                        >
                            {t('recovery.editMetadata')}
                        </Button>
                    </>
                )}
            </section>
        </div>
    );
}

function TagsTab({ bucket, fileKey }: { bucket: string; fileKey: string }) {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const [tags, setTags] = useState<Record<string, string> | null>(null);
    const [editing, setEditing] = useState<[string, string][] | null>(null);
    const [err, setErr] = useState<unknown>(null);
    useEffect(() => {
        recovery.tags(bucket, fileKey).then(setTags, setErr);
    }, [bucket, fileKey]);
    if (err) return <p role="alert">{errorText(err)}</p>;
    if (!tags) return <p>{t('common.loading')}</p>;
    async function save() {
        if (!editing) return;
        try {
            setTags(await recovery.putTags(bucket, fileKey, Object.fromEntries(editing.filter(([k]) => k.trim()))));
            setEditing(null);
            toast(t('recovery.tagsSaved'), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }
    if (editing)
        return (
            <div className="flex flex-col gap-2">
                <p className="text-sm text-slate-700 dark:text-slate-300">{t('recovery.tagsLimit')}</p>
                <PairsEditor rows={editing} onChange={setEditing} nameLabel={t('recovery.tagKey')} valueLabel={t('recovery.tagValue')} max={10} />
                <div className="flex justify-end gap-2">
                    <Button onClick={() => setEditing(null)}>{t('common.cancel')}</Button>
                    <Button variant="primary" onClick={() => void save()} data-testid="save-tags">
                        {t('recovery.save')}
                    </Button>
                </div>
            </div>
        );
    const entries = Object.entries(tags);
    return (
        <div className="flex flex-col gap-2">
            {entries.length === 0 ? (
                <p className="text-sm">{t('recovery.noTags')}</p>
            ) : (
                <ul className="flex flex-wrap gap-2" data-testid="tag-list">
                    {entries.map(([k, v]) => (
                        <li key={k} className="rounded-full border border-slate-300 px-2 py-0.5 text-sm dark:border-slate-600">
                            {k}
                            {v ? `: ${v}` : ''}
                        </li>
                    ))}
                </ul>
            )}
            <div>
                <Button onClick={() => setEditing(entries)} data-testid="edit-tags">
                    {t('recovery.editTags')}
                </Button>
            </div>
        </div>
    );
}

function VersionsTab({ bucket, fileKey, versioning, onChanged }: { bucket: string; fileKey: string; versioning: string | null; onChanged(): void }) {
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const who = useWho();
    const me = useUser();
    const [list, setList] = useState<recovery.Version[] | null>(null);
    const [next, setNext] = useState<string | null>(null);
    const [err, setErr] = useState<unknown>(null);
    const [confirm, setConfirm] = useState<{ v: recovery.Version; action: 'restore' | 'delete' } | null>(null);
    const load = useCallback(() => {
        recovery.versions(bucket, fileKey).then((r) => {
            setList(r.versions);
            setNext(r.nextCursor);
        }, setErr);
    }, [bucket, fileKey]);
    useEffect(load, [load]);
    if (err) return <p role="alert">{errorText(err)}</p>;
    if (!list) return <p>{t('common.loading')}</p>;
    async function act() {
        if (!confirm) return;
        const { v, action } = confirm;
        setConfirm(null);
        try {
            if (action === 'restore') {
                await recovery.restoreVersion(bucket, fileKey, v.versionId);
                toast(t('recovery.restored'), 'success');
            } else {
                await recovery.deleteVersion(bucket, fileKey, v.versionId);
                toast(t('recovery.versionDeleted'), 'success');
            }
            load();
            onChanged();
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }
    return (
        <div className="flex flex-col gap-2">
            {versioning !== 'enabled' && versioning !== 'suspended' ? <p className="text-sm">{t('recovery.versionsOff')}</p> : null}
            {list.length === 0 ? <p className="text-sm">{t('recovery.noVersions')}</p> : null}
            <ol className="relative ml-2 border-l border-slate-300 dark:border-slate-600" data-testid="version-list">
                {list.map((v) => (
                    <li key={v.versionId} className="mb-3 ml-4" data-testid="version">
                        <span className={`absolute -left-1.5 mt-1.5 h-3 w-3 rounded-full ${v.isLatest ? 'bg-blue-700 dark:bg-blue-400' : 'bg-slate-400'}`} aria-hidden />
                        <div className="text-sm font-medium">
                            {formatDate(v.lastModified, lang)}
                            {v.isLatest ? <span className="ml-2 rounded bg-blue-100 px-1.5 text-xs text-blue-900 dark:bg-blue-900 dark:text-blue-100">{t('recovery.current')}</span> : null}
                        </div>
                        <div className="text-sm text-slate-700 dark:text-slate-300">
                            {v.isDeleteMarker ? t('recovery.deleteMarker') : `${formatBytes(v.size, lang)} · ${t('recovery.by', { who: who(v.uploadedBy) })}`}
                        </div>
                        {v.isDeleteMarker ? null : (
                            <div className="mt-1 flex flex-wrap gap-2">
                                <a className="text-sm text-blue-800 underline dark:text-blue-300" href={recovery.versionDownloadUrl(bucket, fileKey, v.versionId)}>
                                    {t('recovery.download')}
                                </a>
                                {v.isLatest ? null : (
                                    <Button onClick={() => setConfirm({ v, action: 'restore' })} data-testid="restore-version">
                                        {t('recovery.restoreVersion')}
                                    </Button>
                                )}
                                {me.role === 'admin' ? (
                                    <Button variant="danger" onClick={() => setConfirm({ v, action: 'delete' })} data-testid="delete-version">
                                        {t('recovery.deleteVersion')}
                                    </Button>
                                ) : null}
                            </div>
                        )}
                    </li>
                ))}
            </ol>
            {next ? (
                <Button
                    onClick={() =>
                        void recovery.versions(bucket, fileKey, next).then((r) => {
                            setList([...list, ...r.versions]);
                            setNext(r.nextCursor);
                        }, setErr)
                    }
                >
                    {t('recovery.more')}
                </Button>
            ) : null}
            {confirm ? (
                <div role="alertdialog" className="rounded-md border border-slate-300 p-3 dark:border-slate-600" data-testid="version-confirm">
                    <p className="mb-2 text-sm">{t(confirm.action === 'restore' ? 'recovery.restoreConfirm' : 'recovery.deleteVersionConfirm', { date: formatDate(confirm.v.lastModified, lang) })}</p>
                    <div className="flex justify-end gap-2">
                        <Button onClick={() => setConfirm(null)}>{t('common.cancel')}</Button>
                        <Button variant={confirm.action === 'restore' ? 'primary' : 'danger'} onClick={() => void act()} data-testid="confirm-version">
                            {confirm.action === 'restore' ? t('recovery.restore') : t('common.delete')}
                        </Button>
                    </div>
                </div>
            ) : null}
        </div>
    );
}

export function DetailsPanel({ bucket, fileKey, versioning, onClose, onChanged }: { bucket: string; fileKey: string; versioning: string | null; onClose(): void; onChanged(): void }) {
    const { t } = useI18n();
    const [tab, setTab] = useState<Tab>('info');
    const tabs: [Tab, string][] = [
        ['info', t('recovery.tabInfo')],
        ['tags', t('recovery.tabTags')],
        ['versions', t('recovery.tabVersions')],
    ];
    return (
        <Dialog open onClose={onClose} title={t('recovery.detailsOf', { name: baseName(fileKey) })}>
            <div role="tablist" className="mb-3 flex gap-1 border-b border-slate-200 dark:border-slate-700">
                {tabs.map(([id, label]) => (
                    <button
                        key={id}
                        type="button"
                        role="tab"
                        aria-selected={tab === id}
                        onClick={() => setTab(id)}
                        data-testid={`tab-${id}`}
                        className={`px-3 py-1.5 text-sm font-medium ${tab === id ? 'border-b-2 border-blue-700 text-blue-900 dark:border-blue-400 dark:text-blue-200' : 'text-slate-700 dark:text-slate-300'}`}
                    >
                        {label}
                    </button>
                ))}
            </div>
            <div role="tabpanel">
                {tab === 'info' ? <InfoTab bucket={bucket} fileKey={fileKey} /> : null}
                {tab === 'tags' ? <TagsTab bucket={bucket} fileKey={fileKey} /> : null}
                {tab === 'versions' ? <VersionsTab bucket={bucket} fileKey={fileKey} versioning={versioning} onChanged={onChanged} /> : null}
            </div>
        </Dialog>
    );
}
