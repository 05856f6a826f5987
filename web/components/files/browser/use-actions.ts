'use client';
/*
 * What one can do to entries, and the dialogs that ask first: delete,
 * rename, move or copy, new folder, ZIP download, share and preview. A
 * rename, move or copy onto a name that is taken asks what to do
 * (conflict-dialog.tsx, copy-dialog.tsx). After a change the list is read
 * again from the server, so what it shows is what the bucket holds.
 */
import { useState } from 'react';

import { useToast } from '@/components/ui/toast';
import { ApiError, files as api, type Bucket, type Entry, type FileItem } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import { useConflictDialog } from '../conflict-dialog';
import { useCopyFlow } from '../copy-dialog';
import { entryId, type useListing } from '../use-listing';
import { parentOf } from './use-location';

type ListingApi = ReturnType<typeof useListing>;

export type TransferMode = 'move' | 'copy';

export function splitEntries(items: Entry[]): { keys: string[]; prefixes: string[] } {
    return {
        keys: items.filter((x): x is FileItem => x.kind === 'file').map((x) => x.key),
        prefixes: items.filter((x) => x.kind === 'folder').map(entryId),
    };
}

export function useActions(bucket: string | null, prefix: string, buckets: Bucket[] | null, listing: ListingApi, clearSelection: () => void) {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const conflicts = useConflictDialog();
    const copyFlow = useCopyFlow();
    const versioning = buckets?.find((b) => b.name === bucket)?.versioning;
    const [renaming, setRenaming] = useState<string | null>(null);
    const [preview, setPreview] = useState<FileItem | null>(null);
    const [sharing, setSharing] = useState<Entry | null>(null);
    const [confirmDelete, setConfirmDelete] = useState<Entry[] | null>(null);
    const [transfer, setTransfer] = useState<{ items: Entry[]; mode: TransferMode } | null>(null);
    const [newFolder, setNewFolder] = useState(false);

    function partial(ok: number, errors: { code: string; message: string }[]) {
        toast(t('files.partial', { ok, failed: errors.length, first: errors[0]!.message || errors[0]!.code }), 'error');
    }

    async function remove(items: Entry[]) {
        if (!bucket) return;
        setConfirmDelete(null);
        try {
            const { keys, prefixes } = splitEntries(items);
            const r = await api.remove(bucket, keys, prefixes);
            clearSelection();
            if (r.errors.length) partial(r.deleted.length, r.errors);
            else toast(t('files.deleted', { count: items.length }), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
        void listing.refresh();
    }

    async function rename(e: Entry, name: string) {
        setRenaming(null);
        if (!bucket || !name || name === e.name) return;
        if (name.includes('/')) {
            toast(t('err.bad_request'), 'error');
            return;
        }
        const from = entryId(e);
        const to = parentOf(from) + name + (e.kind === 'folder' ? '/' : '');
        try {
            try {
                await api.rename(bucket, from, to);
            } catch (err) {
                if (!(err instanceof ApiError) || err.code !== 'conflict') throw err;
                const choice = (await conflicts.resolve([to], versioning))?.get(to);
                if (!choice || choice === 'skip') return;
                await api.rename(bucket, from, to, choice);
            }
            toast(t('files.renamed', { name }), 'success');
            void listing.refresh();
        } catch (err) {
            toast(errorText(err), 'error');
        }
    }

    async function move(items: Entry[], destBucket: string, destPrefix: string, mode: TransferMode = 'move') {
        if (!bucket) return;
        setTransfer(null);
        try {
            const p = destPrefix && !destPrefix.endsWith('/') ? destPrefix + '/' : destPrefix;
            const r = await copyFlow.run({ bucket, sources: items.map(entryId), destinationBucket: destBucket, destinationPrefix: p, move: mode === 'move' }, buckets ?? []);
            if (r.errors.length) partial(r.copied, r.errors);
            else if (mode === 'copy') toast(t('links.copied', { count: r.copied, skipped: r.skipped }), 'success');
            else toast(r.skipped ? t('links.doneSkipped', { count: r.copied, skipped: r.skipped }) : t('files.moved', { count: items.length }), 'success');
            clearSelection();
        } catch (e) {
            toast(errorText(e), 'error');
        }
        void listing.refresh();
    }

    async function createFolder(name: string) {
        if (!bucket) return;
        setNewFolder(false);
        const clean = name.trim().replace(/\/+$/, '');
        if (!clean) return;
        try {
            await api.createFolder(bucket, `${prefix}${clean}/`);
            listing.addFolder({ kind: 'folder', bucket, prefix: `${prefix}${clean}/`, name: clean });
            toast(t('files.folderCreated', { name: clean }), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    function downloadZip(items: Entry[]) {
        if (!bucket) return;
        const { keys, prefixes } = splitEntries(items);
        location.assign(api.zipUrl(bucket, keys, prefixes));
    }

    return {
        /* "This name is taken": each one's dialog is drawn once (dialogs.tsx); uploads ask through conflicts too. */
        conflicts,
        copyFlow,
        versioning,
        renaming,
        setRenaming,
        preview,
        setPreview,
        sharing,
        setSharing,
        confirmDelete,
        setConfirmDelete,
        transfer,
        setTransfer,
        newFolder,
        setNewFolder,
        remove,
        rename,
        move,
        createFolder,
        downloadZip,
    };
}

export type Actions = ReturnType<typeof useActions>;
