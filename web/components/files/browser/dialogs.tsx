'use client';
/*
 * The browser's dialogs in one place: delete (naming what goes, with the
 * folders' totals from the server, and whether it can be undone), new
 * folder, move or copy by picking a folder, "this name is taken", share,
 * and preview.
 */
import { useEffect, useState } from 'react';

import { PreviewModal } from '@/components/preview/preview';
import { ShareDialog } from '@/components/shares/share-dialog';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { trust, type Bucket, type Entry, type FileItem } from '@/lib/api';
import { formatBytes } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

import { NewFolderDialog } from '../dialogs';
import { FolderPicker } from '../folder-picker';
import { entryId } from '../use-listing';
import type { Actions } from './use-actions';

/** What a delete will take: the files named, each folder with its count and size. */
export interface DeleteTarget {
    items: Entry[];
    /** The whole folder on the server, not only the rows loaded. */
    wholeFolder: string | null;
}

function FolderLine({ bucket, prefix, label }: { bucket: string; prefix: string; label: string }) {
    const { t, lang } = useI18n();
    const [totals, setTotals] = useState<{ objects: number; bytes: number } | null | 'failed'>(null);
    useEffect(() => {
        const c = new AbortController();
        trust.prefixTotals(bucket, prefix, c.signal).then(setTotals, () => setTotals('failed'));
        return () => c.abort();
    }, [bucket, prefix]);
    const what =
        totals === null ? t('common.loading') : totals === 'failed' ? '' : t('trust.folderTotals', { count: totals.objects.toLocaleString(lang), size: formatBytes(totals.bytes, lang) });
    return (
        <li className="break-all" data-testid="delete-folder-line">
            {label}
            {what ? ` — ${what}` : ''}
        </li>
    );
}

export function DeleteDialog({ bucket, recoverable, target, onClose, onConfirm }: { bucket: string; recoverable: boolean; target: DeleteTarget | null; onClose(): void; onConfirm(): void }) {
    const { t, lang } = useI18n();
    const items = target?.items ?? [];
    const files = items.filter((x): x is FileItem => x.kind === 'file');
    const folders = items.filter((x) => x.kind === 'folder');
    const fileBytes = files.reduce((n, f) => n + f.size, 0);
    return (
        <Dialog open={!!target} onClose={onClose} title={t('files.delete')}>
            {target?.wholeFolder !== null && target?.wholeFolder !== undefined ? (
                <ul className="mb-4 list-disc pl-5 text-sm">
                    <FolderLine bucket={bucket} prefix={target.wholeFolder} label={t('trust.everythingIn', { folder: target.wholeFolder || bucket })} />
                </ul>
            ) : (
                <>
                    <p className="mb-2">{t('files.deleteConfirm', { count: items.length })}</p>
                    <ul className="mb-2 max-h-40 list-disc overflow-auto pl-5 text-sm">
                        {folders.slice(0, 20).map((e) => (
                            <FolderLine key={entryId(e)} bucket={bucket} prefix={entryId(e)} label={t('trust.folderNamed', { name: `${e.name}/` })} />
                        ))}
                        {files.slice(0, 20).map((e) => (
                            <li key={e.key} className="break-all">
                                {e.name} ({formatBytes(e.size, lang)})
                            </li>
                        ))}
                        {files.length > 20 ? <li>{t('trust.andMore', { count: files.length - 20 })}</li> : null}
                    </ul>
                    {files.length > 1 ? <p className="mb-4 text-sm" data-testid="delete-files-total">{t('trust.filesTotal', { count: files.length.toLocaleString(lang), size: formatBytes(fileBytes, lang) })}</p> : null}
                </>
            )}
            <p className="mb-4 text-sm font-medium" data-testid="delete-recoverability">
                {recoverable ? t('recovery.deleteRecoverable') : t('recovery.deleteFinal')}
            </p>
            <div className="flex justify-end gap-2">
                <Button onClick={onClose}>{t('common.cancel')}</Button>
                <Button variant="danger" data-testid="confirm-delete" onClick={onConfirm}>
                    {t('common.delete')}
                </Button>
            </div>
        </Dialog>
    );
}

export function BrowserDialogs({ a, bucket, prefix, buckets, entries, deleteTarget, closeDelete, confirmDelete, pickTransfer }: {
    a: Actions;
    bucket: string;
    prefix: string;
    buckets: Bucket[];
    entries: Entry[];
    deleteTarget: DeleteTarget | null;
    closeDelete(): void;
    confirmDelete(): void;
    pickTransfer(destBucket: string, destPrefix: string): void;
}) {
    const { t } = useI18n();
    const tr = a.transfer;
    return (
        <>
            <DeleteDialog bucket={bucket} recoverable={!!buckets.find((b) => b.name === bucket)?.recoverable} target={deleteTarget} onClose={closeDelete} onConfirm={confirmDelete} />
            <NewFolderDialog open={a.newFolder} onClose={() => a.setNewFolder(false)} onCreate={(n) => void a.createFolder(n)} />
            <FolderPicker
                open={!!tr}
                title={tr ? t(tr.mode === 'move' ? 'files.moveTo' : 'trust.copyCount', { count: tr.items.length }) : ''}
                confirm={tr?.mode === 'copy' ? t('trust.copyHere') : t('trust.moveHere')}
                buckets={buckets}
                bucket={bucket}
                prefix={prefix}
                exclude={tr?.items.filter((x) => x.kind === 'folder').map(entryId)}
                onClose={() => a.setTransfer(null)}
                onPick={pickTransfer}
            />
            {a.conflicts.dialog}
            {a.copyFlow.dialog}
            {a.sharing ? <ShareDialog bucket={bucket} entry={a.sharing} onClose={() => a.setSharing(null)} /> : null}
            {a.preview ? (
                <PreviewModal
                    files={entries.filter((x): x is FileItem => x.kind === 'file')}
                    current={a.preview}
                    onChange={a.setPreview}
                    onClose={() => a.setPreview(null)}
                    onShare={(f) => {
                        a.setPreview(null);
                        a.setSharing(f);
                    }}
                />
            ) : null}
        </>
    );
}
