'use client';
/*
 * The file browser, put together from its parts:
 *   use-location    where it is (bucket, folder, sort: in the URL)
 *   use-listing     what is there (../use-listing.ts)
 *   use-selection   what is selected, or the whole folder on the server
 *   use-actions     delete, rename, move/copy, new folder, ZIP, and their dialogs' state
 *   upload-names    uploads onto taken names: replace, keep both or skip
 *   use-live-updates  uploads and other people's changes arriving
 *   use-keyboard    the list's keys
 *   use-drop        files dropped on the view
 *   toolbar, bulk-bar, table, dialogs   what is drawn
 * Whole-folder operations run as jobs (components/jobs) shown in the bell;
 * a file's details (versions, tags) open from its row menu.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { useJobs, useOnJobEnded } from '@/components/jobs/provider';
import { useToast } from '@/components/ui/toast';
import type { Picked } from '@/components/upload/collect';
import { useUploadManager } from '@/components/upload/provider';
import type { Entry, FileItem, SearchFilters } from '@/lib/api';
import { useI18n } from '@/lib/i18n';
import { destinationKey } from '@/lib/upload/planner';

import { DetailsPanel } from '../details/details-panel';
import { readDraggedIds, type RowActions } from '../row';
import { SearchBar } from '../search-bar';
import { entryId, useListing } from '../use-listing';
import type { VirtualListHandle } from '../virtual-list';
import { BulkBar } from './bulk-bar';
import { BrowserDialogs, type DeleteTarget } from './dialogs';
import { FileTable } from './table';
import { StoreNotice, useFolderRights } from './store-notice';
import { ActionBar, LocationBar } from './toolbar';
import { settleUploadNames } from './upload-names';
import { useActions, type TransferMode } from './use-actions';
import { useDropUpload } from './use-drop';
import { listKeyHandler } from './use-keyboard';
import { useLiveUpdates } from './use-live-updates';
import { parentOf, useLocation } from './use-location';
import { useSelection } from './use-selection';

export function FileBrowser() {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const uploads = useUploadManager();
    const jobs = useJobs();

    const [search, setSearch] = useState<SearchFilters | null>(null);
    const clearSearch = useCallback(() => setSearch(null), []);
    const { buckets, bucketsError, bucket, prefix, sort, navigate } = useLocation(clearSearch);
    const listing = useListing(bucket, prefix, sort, search);
    const entries = listing.entries;
    const sel = useSelection(entries);
    const a = useActions(bucket, prefix, buckets, listing, sel.clear);
    const [active, setActive] = useState(0);
    const [menuFor, setMenuFor] = useState<string | null>(null);
    const [deleteTarget, setDeleteTarget] = useState<DeleteTarget | null>(null);
    const [transferWhole, setTransferWhole] = useState(false);
    const [details, setDetails] = useState<FileItem | null>(null);
    const list = useRef<VirtualListHandle>(null);
    const rights = useFolderRights(bucket, prefix, !search && !listing.error && listing.listed === `${bucket}|${prefix}`);
    /* Unknown (still loading, or an older server): let the server decide, as before. */
    const mayUpload = !rights || rights.level === 'upload' || rights.level === 'full';

    useEffect(() => {
        sel.clear();
        setActive(0);
        a.setRenaming(null);
        setMenuFor(null);
        // eslint-disable-next-line react-hooks/exhaustive-deps
    }, [bucket, prefix, search]);
    useEffect(() => setSearch(null), [bucket]);

    useLiveUpdates(bucket, prefix, search, listing);
    useOnJobEnded(
        useCallback(
            (j) => {
                if (j.bucket === bucket || j.destBucket === bucket) void listing.refresh();
            },
            // eslint-disable-next-line react-hooks/exhaustive-deps
            [bucket, listing.refresh],
        ),
    );

    const resolveConflicts = a.conflicts.resolve;
    const enqueue = useCallback(
        async (picked: Picked[]) => {
            if (!bucket || picked.length === 0) return;
            if (!mayUpload) {
                toast(t('trust.readOnlyHere'), 'error');
                return;
            }
            const items = picked.map((p) => ({ file: p.file, key: destinationKey(prefix, p.path) }));
            const send = await settleUploadNames(bucket, items, resolveConflicts, a.versioning);
            if (send.length) uploads.add(send, bucket);
        },
        [bucket, prefix, uploads, mayUpload, toast, t, resolveConflicts, a.versioning],
    );
    const drop = useDropUpload(enqueue);

    const open = (e: Entry) => (e.kind === 'folder' ? navigate({ prefix: e.prefix }) : a.setPreview(e));
    const askDelete = (items: Entry[], whole = false) => setDeleteTarget({ items, wholeFolder: whole ? prefix : null });
    const askTransfer = (items: Entry[], mode: TransferMode, whole = false) => {
        setTransferWhole(whole);
        a.setTransfer({ items, mode });
    };

    async function startJob(kind: 'delete' | 'move' | 'copy', destBucket?: string, destPrefix?: string) {
        if (!bucket) return;
        try {
            await jobs.runner.start({ kind, bucket, prefix, destBucket, destPrefix });
            toast(t('trust.jobStarted'), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
        sel.clear();
    }

    function confirmDelete() {
        const target = deleteTarget;
        setDeleteTarget(null);
        if (!target) return;
        if (target.wholeFolder !== null) void startJob('delete');
        else void a.remove(target.items);
    }

    function pickTransfer(destBucket: string, destPrefix: string) {
        const tr = a.transfer;
        if (!tr) return;
        if (transferWhole) {
            a.setTransfer(null);
            void startJob(tr.mode, destBucket, destPrefix);
        } else void a.move(tr.items, destBucket, destPrefix, tr.mode);
    }

    function dropOn(folder: string, ids: string[]) {
        if (!bucket) return;
        const items = ids.map((id) => entries.find((x) => entryId(x) === id)).filter((x): x is Entry => !!x && entryId(x) !== folder && parentOf(entryId(x)) !== folder);
        if (items.length) void a.move(items, bucket, folder, 'move');
    }

    /* Rows get one stable object whose methods reach this render's state through a ref. */
    const latest = useRef<RowActions | null>(null);
    latest.current = {
        toggle: (e) => sel.toggle(entryId(e)),
        open,
        focus: setActive,
        rename: (e, name) => void a.rename(e, name),
        startRename: (e) => a.setRenaming(entryId(e)),
        cancelRename: () => a.setRenaming(null),
        share: a.setSharing,
        remove: (e) => askDelete([e]),
        transfer: (e, mode) => askTransfer(sel.ids.has(entryId(e)) ? sel.selected : [e], mode),
        setMenu: (e) => setMenuFor(e ? entryId(e) : null),
        dragIds: (e) => (sel.ids.has(entryId(e)) ? [...sel.ids] : [entryId(e)]),
        dropOn,
        extraMenu: (e) => (e.kind === 'file' ? [{ label: t('recovery.details'), run: () => setDetails(e) }] : []),
    };
    const [rowActions] = useState<RowActions>(() => ({
        toggle: (e) => latest.current!.toggle(e),
        open: (e) => latest.current!.open(e),
        focus: (i) => latest.current!.focus(i),
        rename: (e, n) => latest.current!.rename(e, n),
        startRename: (e) => latest.current!.startRename(e),
        cancelRename: () => latest.current!.cancelRename(),
        share: (e) => latest.current!.share(e),
        remove: (e) => latest.current!.remove(e),
        transfer: (e, m) => latest.current!.transfer(e, m),
        setMenu: (e) => latest.current!.setMenu(e),
        dragIds: (e) => latest.current!.dragIds(e),
        dropOn: (f, ids) => latest.current!.dropOn(f, ids),
        extraMenu: (e) => latest.current!.extraMenu!(e),
    }));

    const onKeyDown = useMemo(
        () =>
            listKeyHandler({
                entries,
                active,
                setActive,
                list,
                busy: !!a.renaming,
                open,
                toggle: sel.toggle,
                askDelete: (items) => askDelete(items),
                selected: sel.selected,
                startRename: a.setRenaming,
                goUp: () => prefix && navigate({ prefix: parentOf(prefix) }),
                selectAll: sel.selectLoaded,
                openMenu: setMenuFor,
            }),
        // eslint-disable-next-line react-hooks/exhaustive-deps
        [entries, active, a.renaming, sel, prefix, navigate],
    );

    if (bucketsError) return <p role="alert" className="p-6">{errorText(bucketsError)}</p>;
    if (buckets && (buckets.length === 0 || !bucket)) return <p className="p-6" data-testid="no-buckets">{t('files.noBuckets')}</p>;

    const countText = search ? t('search.results', { count: listing.total ?? entries.length }) : t('files.count', { count: entries.length + (listing.nextCursor ? '+' : '') });
    return (
        <div className="relative flex min-h-0 flex-1 flex-col" {...drop.handlers} data-testid="browser">
            <h1 className="sr-only">{t('files.title')}</h1>
            <div className="flex flex-col gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-800">
                {buckets && bucket ? (
                    <LocationBar buckets={buckets} bucket={bucket} prefix={prefix} navigate={navigate} onDropOnFolder={(to, dt) => dropOn(to, readDraggedIds(dt))} />
                ) : (
                    <div className="h-8 w-64 animate-pulse rounded bg-slate-200 dark:bg-slate-700" aria-hidden="true" />
                )}
                {bucket ? <SearchBar bucket={bucket} active={!!search} onSearch={setSearch} /> : null}
                {bucket ? <StoreNotice bucket={bucket} caps={rights} /> : null}
                <ActionBar
                    enqueue={enqueue}
                    mayUpload={mayUpload}
                    newFolder={() => a.setNewFolder(true)}
                    refresh={() => void listing.refresh()}
                    refreshing={listing.loading}
                    countText={listing.loading && entries.length === 0 ? '' : countText}
                    trashHref={`/trash?bucket=${encodeURIComponent(bucket ?? '')}${prefix ? `&prefix=${encodeURIComponent(prefix)}` : ''}`}
                    bulk={
                        bucket ? (
                            <BulkBar
                                sel={sel}
                                bucket={bucket}
                                prefix={prefix}
                                hasMore={!!listing.nextCursor && !search}
                                onDelete={() => askDelete(sel.selected, sel.wholeFolder)}
                                onMove={() => askTransfer(sel.selected, 'move', sel.wholeFolder)}
                                onCopy={() => askTransfer(sel.selected, 'copy', sel.wholeFolder)}
                                onZip={() => a.downloadZip(sel.selected)}
                            />
                        ) : null
                    }
                />
            </div>

            <FileTable
                entries={entries}
                loading={listing.loading || !buckets}
                error={listing.error}
                hasMore={!!listing.nextCursor}
                searching={!!search}
                sort={sort}
                navigate={navigate}
                retry={() => void listing.reload()}
                loadMore={listing.loadMore}
                list={list}
                active={active}
                selectedIds={sel.ids}
                allSelected={sel.allLoaded}
                toggleAll={() => (sel.allLoaded ? sel.clear() : sel.selectLoaded())}
                renaming={a.renaming}
                menuFor={menuFor}
                onKeyDown={onKeyDown}
                rowActions={rowActions}
            />

            {drop.dragging ? (
                <div className="pointer-events-none absolute inset-0 z-30 flex items-center justify-center border-4 border-dashed border-blue-600 bg-blue-50/80 text-lg font-semibold text-blue-900 dark:bg-slate-900/80 dark:text-blue-200" data-testid="drop-overlay">
                    {t('files.dropHere')}
                </div>
            ) : null}

            {buckets && bucket ? (
                <BrowserDialogs
                    a={a}
                    bucket={bucket}
                    prefix={prefix}
                    buckets={buckets}
                    entries={entries}
                    deleteTarget={deleteTarget}
                    closeDelete={() => setDeleteTarget(null)}
                    confirmDelete={confirmDelete}
                    pickTransfer={pickTransfer}
                />
            ) : null}
            {details ? (
                <DetailsPanel bucket={details.bucket} fileKey={details.key} versioning={buckets?.find((b) => b.name === details.bucket)?.versioning ?? null} onClose={() => setDetails(null)} onChanged={() => void listing.refresh()} />
            ) : null}
        </div>
    );
}
