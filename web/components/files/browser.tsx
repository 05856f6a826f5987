'use client';
/*
 * The file browser: bucket switcher, breadcrumbs, go-to-path, search, a
 * virtualized list (folders first), selection with bulk actions, inline
 * rename, new folder, drag-and-drop upload anywhere on the view, preview,
 * sharing, and live updates from the notification feed. Where it is (bucket,
 * prefix) lives in the URL, so reloads and the back button work.
 */
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';

import { useLiveEvents } from '@/components/notifications/provider';
import { PreviewModal } from '@/components/preview/preview';
import { ShareDialog } from '@/components/shares/share-dialog';
import { useUser } from '@/components/shell/session';
import { Button, buttonClass } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { controlClass } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { fromDrop, fromInput, type Picked } from '@/components/upload/collect';
import { useOnUploaded, useUploadManager } from '@/components/upload/provider';
import { ApiError, files as api, type Bucket, type Entry, type FileItem, type Notification, type SearchFilters, type SortKey } from '@/lib/api';
import { useI18n } from '@/lib/i18n';
import { freeName } from '@/lib/names';
import { destinationKey } from '@/lib/upload/planner';
import type { UploadTask } from '@/lib/upload/engine';

import { Breadcrumbs } from './breadcrumbs';
import { useConflictDialog } from './conflict-dialog';
import { CopyDialog, useCopyFlow } from './copy-dialog';
import { DetailsPanel } from './details/details-panel';
import { MoveDialog, NewFolderDialog } from './dialogs';
import { FileRow, GRID_COLS, ROW_HEIGHT, type RowActions } from './row';
import { SearchBar } from './search-bar';
import { entryId, useListing } from './use-listing';
import { VirtualList, type VirtualListHandle } from './virtual-list';

function parentOf(key: string): string {
    const k = key.endsWith('/') ? key.slice(0, -1) : key;
    return k.slice(0, k.lastIndexOf('/') + 1);
}

export function FileBrowser() {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const user = useUser();
    const router = useRouter();
    const pathname = usePathname();
    const params = useSearchParams();
    const uploads = useUploadManager();

    const [buckets, setBuckets] = useState<Bucket[] | null>(null);
    const [bucketsError, setBucketsError] = useState<unknown>(null);
    const bucket = params.get('bucket') || buckets?.[0]?.name || null;
    const prefix = params.get('prefix') ?? '';
    const sort = (params.get('sort') as SortKey | null) ?? 'name';
    const [search, setSearch] = useState<SearchFilters | null>(null);

    const listing = useListing(bucket, prefix, sort, search);
    const entries = listing.entries;

    const [selected, setSelected] = useState<Set<string>>(new Set());
    const [active, setActive] = useState(0);
    const [renaming, setRenaming] = useState<string | null>(null);
    const [preview, setPreview] = useState<FileItem | null>(null);
    const [sharing, setSharing] = useState<Entry | null>(null);
    const [confirmDelete, setConfirmDelete] = useState<Entry[] | null>(null);
    const [details, setDetails] = useState<FileItem | null>(null);
    const [moving, setMoving] = useState<Entry[] | null>(null);
    const [copying, setCopying] = useState<Entry[] | null>(null);
    const copyFlow = useCopyFlow();
    const conflicts = useConflictDialog();
    const [newFolder, setNewFolder] = useState(false);
    const [dragging, setDragging] = useState(false);
    const [gotoPath, setGotoPath] = useState('');
    const list = useRef<VirtualListHandle>(null);
    const fileInput = useRef<HTMLInputElement>(null);
    const folderInput = useRef<HTMLInputElement>(null);
    const dragDepth = useRef(0);

    useEffect(() => {
        api.buckets().then(setBuckets, setBucketsError);
    }, []);
    useEffect(() => {
        setSelected(new Set());
        setActive(0);
        setRenaming(null);
    }, [bucket, prefix, search]);
    useEffect(() => {
        setSearch(null);
    }, [bucket]);

    const navigate = useCallback(
        (next: { bucket?: string; prefix?: string; sort?: SortKey }) => {
            const sp = new URLSearchParams();
            const b = next.bucket ?? bucket;
            if (b) sp.set('bucket', b);
            const p = next.prefix ?? prefix;
            if (p) sp.set('prefix', p);
            const s = next.sort ?? sort;
            if (s !== 'name') sp.set('sort', s);
            setSearch(null);
            router.push(`${pathname}?${sp.toString()}`);
        },
        [bucket, prefix, sort, pathname, router],
    );

    /* ---------------------------------------------------------------- live updates */
    const onUploaded = useCallback(
        (task: UploadTask) => {
            if (task.bucket !== bucket || search) return;
            if (parentOf(task.key) === prefix && task.result) listing.upsert(task.result);
            else if (task.key.startsWith(prefix)) {
                const rest = task.key.slice(prefix.length);
                const folder = prefix + rest.slice(0, rest.indexOf('/') + 1);
                listing.addFolder({ kind: 'folder', bucket: task.bucket, prefix: folder, name: folder.slice(prefix.length, -1) });
            }
        },
        // eslint-disable-next-line react-hooks/exhaustive-deps
        [bucket, prefix, search, listing.upsert, listing.addFolder],
    );
    useOnUploaded(onUploaded);

    const onEvent = useCallback(
        (n: Notification) => {
            const m = n.metadata;
            if (!m.bucket || m.bucket !== bucket || !m.key || search) return;
            if (!m.key.startsWith(prefix)) return;
            const rest = m.key.slice(prefix.length);
            const direct = !rest.includes('/') || (rest.endsWith('/') && rest.indexOf('/') === rest.length - 1);
            if (m.actor !== user.email && (n.type === 'upload' || n.type === 'delete')) toast(t(n.type === 'upload' ? 'notif.upload' : 'notif.delete', { actor: m.actor || t('notif.someone'), name: m.fileName || rest }));
            if (n.type === 'delete') {
                listing.removeKeys(new Set([m.key]));
                return;
            }
            if (n.type === 'upload' && direct && !m.key.endsWith('/')) {
                api.objectInfo(m.bucket, m.key).then((r) => listing.upsert(r.file), () => undefined);
                return;
            }
            if (n.type === 'upload' && !direct) {
                const folder = prefix + rest.slice(0, rest.indexOf('/') + 1);
                listing.addFolder({ kind: 'folder', bucket: m.bucket, prefix: folder, name: folder.slice(prefix.length, -1) });
                return;
            }
            void listing.reload();
        },
        // eslint-disable-next-line react-hooks/exhaustive-deps
        [bucket, prefix, search, user.email, listing.upsert, listing.addFolder, listing.removeKeys, listing.reload],
    );
    useLiveEvents(onEvent);

    /* ---------------------------------------------------------------- uploads */
    const enqueue = useCallback(
        async (picked: Picked[]) => {
            if (!bucket || picked.length === 0) return;
            /* Same name, asked first: the client checks each key (GET /api/object) before sending. */
            let items = picked.map((p) => ({ file: p.file, key: destinationKey(prefix, p.path) }));
            const exists = (k: string) => api.exists(bucket, k).catch(() => false);
            const taken: string[] = [];
            for (let i = 0; i < items.length; i += 8) {
                const part = items.slice(i, i + 8);
                const found = await Promise.all(part.map((x) => exists(x.key)));
                part.forEach((x, j) => found[j] && taken.push(x.key));
            }
            if (taken.length) {
                const choices = await conflicts.resolve(taken, buckets?.find((b) => b.name === bucket)?.versioning);
                if (!choices) return;
                const next: typeof items = [];
                for (const x of items) {
                    const c = choices.get(x.key);
                    if (c === 'skip') continue;
                    if (c === 'keepBoth') {
                        const k = await freeName(x.key, exists);
                        if (k) next.push({ ...x, key: k });
                        continue;
                    }
                    next.push(x);
                }
                items = next;
            }
            if (items.length) uploads.add(items, bucket);
        },
        [bucket, prefix, uploads, buckets, conflicts],
    );

    function onDragEnter(e: DragEvent) {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        dragDepth.current++;
        setDragging(true);
    }
    function onDragLeave() {
        dragDepth.current = Math.max(0, dragDepth.current - 1);
        if (dragDepth.current === 0) setDragging(false);
    }
    async function onDrop(e: DragEvent) {
        e.preventDefault();
        dragDepth.current = 0;
        setDragging(false);
        void enqueue(await fromDrop(e.dataTransfer));
    }

    /* ---------------------------------------------------------------- actions */
    const selectedEntries = useMemo(() => entries.filter((x) => selected.has(entryId(x))), [entries, selected]);

    function toggle(id: string) {
        setSelected((s) => {
            const n = new Set(s);
            if (n.has(id)) n.delete(id);
            else n.add(id);
            return n;
        });
    }

    function open(e: Entry) {
        if (e.kind === 'folder') navigate({ prefix: e.prefix });
        else setPreview(e);
    }

    async function doDelete(items: Entry[]) {
        if (!bucket) return;
        setConfirmDelete(null);
        try {
            const keys = items.filter((x): x is FileItem => x.kind === 'file').map((x) => x.key);
            const prefixes = items.filter((x) => x.kind === 'folder').map((x) => entryId(x));
            const r = await api.remove(bucket, keys, prefixes);
            const gone = new Set([...r.deleted, ...prefixes.filter((p) => !r.errors.some((e) => e.key === p))]);
            listing.removeKeys(gone);
            setSelected(new Set());
            if (r.errors.length) toast(t('files.partial', { ok: r.deleted.length, failed: r.errors.length, first: r.errors[0]!.message || r.errors[0]!.code }), 'error');
            else toast(t('files.deleted', { count: items.length }), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    async function doRename(e: Entry, name: string) {
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
                const choice = (await conflicts.resolve([to], buckets?.find((b) => b.name === bucket)?.versioning))?.get(to);
                if (!choice || choice === 'skip') return;
                await api.rename(bucket, from, to, choice);
            }
            toast(t('files.renamed', { name }), 'success');
            void listing.reload();
        } catch (err) {
            toast(errorText(err), 'error');
        }
    }

    async function doMove(items: Entry[], destBucket: string, destPrefix: string) {
        if (!bucket) return;
        setMoving(null);
        try {
            const p = destPrefix && !destPrefix.endsWith('/') ? destPrefix + '/' : destPrefix;
            const r = await copyFlow.run({ bucket, sources: items.map(entryId), destinationBucket: destBucket, destinationPrefix: p, move: true }, buckets ?? []);
            if (r.errors.length) toast(t('files.partial', { ok: r.copied, failed: r.errors.length, first: r.errors[0]!.message || r.errors[0]!.code }), 'error');
            else toast(r.skipped ? t('links.doneSkipped', { count: r.copied, skipped: r.skipped }) : t('files.moved', { count: items.length }), 'success');
            setSelected(new Set());
            void listing.reload();
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    async function doCopy(items: Entry[], destBucket: string, destPrefix: string) {
        if (!bucket) return;
        setCopying(null);
        try {
            const p = destPrefix && !destPrefix.endsWith('/') ? destPrefix + '/' : destPrefix;
            const r = await copyFlow.run({ bucket, sources: items.map(entryId), destinationBucket: destBucket, destinationPrefix: p, move: false }, buckets ?? []);
            if (r.errors.length) toast(t('files.partial', { ok: r.copied, failed: r.errors.length, first: r.errors[0]!.message || r.errors[0]!.code }), 'error');
            else toast(t('links.copied', { count: r.copied, skipped: r.skipped }), 'success');
            setSelected(new Set());
            void listing.reload();
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    async function doNewFolder(name: string) {
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
        const keys = items.filter((x): x is FileItem => x.kind === 'file').map((x) => x.key);
        const prefixes = items.filter((x) => x.kind === 'folder').map(entryId);
        location.assign(api.zipUrl(bucket, keys, prefixes));
    }

    /* ---------------------------------------------------------------- keyboard */
    function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
        if (renaming || entries.length === 0) return;
        if ((e.target as HTMLElement).tagName === 'INPUT') return;
        const move = (i: number) => {
            const n = Math.max(0, Math.min(entries.length - 1, i));
            setActive(n);
            list.current?.scrollToIndex(n);
            e.preventDefault();
        };
        const cur = entries[active];
        switch (e.key) {
            case 'ArrowDown':
                return move(active + 1);
            case 'ArrowUp':
                return move(active - 1);
            case 'Home':
                return move(0);
            case 'End':
                return move(entries.length - 1);
            case 'PageDown':
                return move(active + 10);
            case 'PageUp':
                return move(active - 10);
            case 'Enter':
                if (cur) open(cur);
                e.preventDefault();
                return;
            case ' ':
                if (cur) toggle(entryId(cur));
                e.preventDefault();
                return;
            case 'Delete':
                if (selectedEntries.length) setConfirmDelete(selectedEntries);
                else if (cur) setConfirmDelete([cur]);
                return;
            case 'F2':
                if (cur) setRenaming(entryId(cur));
                e.preventDefault();
                return;
            case 'Backspace':
                if (prefix) navigate({ prefix: parentOf(prefix) });
                e.preventDefault();
                return;
            case 'a':
                if (e.ctrlKey || e.metaKey) {
                    setSelected(new Set(entries.map(entryId)));
                    e.preventDefault();
                }
                return;
        }
    }

    /* Rows get one stable object whose methods reach this render's state through a ref. */
    const latest = useRef<RowActions | null>(null);
    latest.current = {
        toggle: (e) => toggle(entryId(e)),
        open,
        focus: setActive,
        rename: (e, name) => void doRename(e, name),
        startRename: (e) => setRenaming(entryId(e)),
        cancelRename: () => setRenaming(null),
        share: setSharing,
        remove: (e) => setConfirmDelete([e]),
        details: (e) => {
            if (e.kind === 'file') setDetails(e);
        },
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
        details: (e) => latest.current!.details(e),
    }));

    /* ---------------------------------------------------------------- render */
    if (bucketsError) return <p role="alert" className="p-6">{errorText(bucketsError)}</p>;
    if (!buckets) return <p className="p-6 text-slate-700 dark:text-slate-300">{t('common.loading')}</p>;
    if (buckets.length === 0 || !bucket) return <p className="p-6" data-testid="no-buckets">{t('files.noBuckets')}</p>;

    const sortHeader = (col: 'name' | 'size' | 'lastModified', label: string, cls = '') => {
        const on = sort === col || sort === `-${col}`;
        const desc = sort === `-${col}`;
        return (
            <div role="columnheader" aria-sort={on ? (desc ? 'descending' : 'ascending') : 'none'} className={cls}>
                <button type="button" className="rounded px-1 py-0.5 font-semibold hover:underline" onClick={() => navigate({ sort: (on && !desc ? `-${col}` : col) as SortKey })}>
                    <span className="sr-only">{t('files.sortBy', { column: '' })}</span>
                    {label} {on ? (desc ? '↓' : '↑') : ''}
                </button>
            </div>
        );
    };
    const allSelected = entries.length > 0 && selected.size === entries.length;
    const header = (
        <div role="rowgroup" className="sticky top-0 z-10 border-b border-slate-300 bg-slate-100 text-sm dark:border-slate-700 dark:bg-slate-800">
            <div role="row" aria-rowindex={1} className={`grid ${GRID_COLS} items-center gap-2 px-3`} style={{ height: ROW_HEIGHT }}>
                <div role="columnheader" className="flex justify-center">
                    <input type="checkbox" aria-label={t('files.selectAll')} checked={allSelected} onChange={() => setSelected(allSelected ? new Set() : new Set(entries.map(entryId)))} className="h-4 w-4" />
                </div>
                {sortHeader('name', t('files.name'))}
                {sortHeader('size', t('files.size'), 'hidden text-right sm:block')}
                {sortHeader('lastModified', search ? t('search.location') : t('files.modified'), 'hidden md:block')}
                <div role="columnheader" className="text-right">
                    <span className="sr-only">{t('common.actions')}</span>
                </div>
            </div>
        </div>
    );

    return (
        <div
            className="relative flex min-h-0 flex-1 flex-col"
            onDragEnter={onDragEnter}
            onDragOver={(e) => {
                if (e.dataTransfer.types.includes('Files')) e.preventDefault();
            }}
            onDragLeave={onDragLeave}
            onDrop={onDrop}
            data-testid="browser"
        >
            <h1 className="sr-only">{t('files.title')}</h1>
            <div className="flex flex-col gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-800">
                <div className="flex flex-wrap items-center gap-2">
                    <label htmlFor="bucket" className="sr-only">
                        {t('files.bucket')}
                    </label>
                    <select id="bucket" value={bucket} onChange={(e) => navigate({ bucket: e.target.value, prefix: '' })} className={controlClass}>
                        {buckets.map((b) => (
                            <option key={b.name} value={b.name}>
                                {b.name}
                            </option>
                        ))}
                    </select>
                    <Breadcrumbs bucket={bucket} prefix={prefix} go={(p) => navigate({ prefix: p })} />
                    <form
                        className="ml-auto flex items-center gap-1"
                        onSubmit={(e) => {
                            e.preventDefault();
                            const p = gotoPath.trim().replace(/^\/+/, '');
                            navigate({ prefix: p && !p.endsWith('/') ? p + '/' : p });
                            setGotoPath('');
                        }}
                    >
                        <label htmlFor="goto" className="sr-only">
                            {t('files.goto')}
                        </label>
                        <input id="goto" value={gotoPath} onChange={(e) => setGotoPath(e.target.value)} placeholder={t('files.gotoHint')} className={`${controlClass} w-32 sm:w-44`} />
                        <Button type="submit">{t('files.go')}</Button>
                    </form>
                </div>
                <SearchBar bucket={bucket} active={!!search} onSearch={setSearch} />
                <div className="flex flex-wrap items-center gap-2">
                    <Button variant="primary" onClick={() => fileInput.current?.click()}>
                        {t('files.uploadFiles')}
                    </Button>
                    <Button onClick={() => folderInput.current?.click()}>{t('files.uploadFolder')}</Button>
                    <Button onClick={() => setNewFolder(true)}>{t('files.newFolder')}</Button>
                    <Link href={`/trash?bucket=${encodeURIComponent(bucket)}${prefix ? `&prefix=${encodeURIComponent(prefix)}` : ''}`} className={buttonClass('ghost')} data-testid="deleted-files">
                        {t('recovery.deletedFiles')}
                    </Link>
                    <input ref={fileInput} type="file" multiple hidden data-testid="file-input" onChange={(e) => {
                        void enqueue(fromInput(e.target.files));
                        e.target.value = '';
                    }} />
                    <input ref={folderInput} type="file" multiple hidden {...{ webkitdirectory: '' }} onChange={(e) => {
                        void enqueue(fromInput(e.target.files));
                        e.target.value = '';
                    }} />
                    {selected.size > 0 ? (
                        <div className="flex flex-wrap items-center gap-2 rounded-md bg-blue-50 px-2 py-1 dark:bg-slate-800" data-testid="bulk">
                            <span className="text-sm font-medium">{t('files.selected', { count: selected.size })}</span>
                            <Button variant="danger" onClick={() => setConfirmDelete(selectedEntries)}>
                                {t('files.delete')}
                            </Button>
                            <Button onClick={() => setMoving(selectedEntries)}>{t('files.move')}</Button>
                            <Button onClick={() => setCopying(selectedEntries)} data-testid="copy-selected">{t('links.copy')}</Button>
                            <Button onClick={() => downloadZip(selectedEntries)}>{t('files.downloadZip')}</Button>
                            <Button variant="ghost" onClick={() => setSelected(new Set())}>
                                {t('files.clearSelection')}
                            </Button>
                        </div>
                    ) : null}
                    <span className="ml-auto text-xs text-slate-700 dark:text-slate-300" aria-live="polite">
                        {search ? t('search.results', { count: listing.total ?? entries.length }) : t('files.count', { count: entries.length + (listing.nextCursor ? '+' : '') })}
                    </span>
                </div>
            </div>

            {listing.error ? (
                <div role="alert" className="m-4 flex items-center gap-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
                    <span>{errorText(listing.error)}</span>
                    <Button onClick={() => void listing.reload()}>{t('common.retry')}</Button>
                </div>
            ) : null}

            {!listing.loading && !listing.error && entries.length === 0 ? (
                <div className="flex flex-1 flex-col items-center justify-center gap-1 p-10 text-center" data-testid="empty">
                    <p className="font-medium">{search ? t('search.none') : t('files.empty')}</p>
                    {search ? null : <p className="text-sm text-slate-700 dark:text-slate-300">{t('files.emptyHint')}</p>}
                </div>
            ) : (
                <VirtualList
                    ref={list}
                    count={entries.length}
                    rowCount={entries.length + 1}
                    rowHeight={ROW_HEIGHT}
                    label={t('files.title')}
                    header={header}
                    activeDescendant={entries[active] ? `row-${active}` : undefined}
                    onEndReached={listing.loadMore}
                    onKeyDown={onKeyDown}
                    renderRow={(i, style) => {
                        const e = entries[i]!;
                        const id = entryId(e);
                        return (
                            <FileRow
                                key={id}
                                index={i}
                                entry={e}
                                top={style.top as number}
                                active={i === active}
                                selected={selected.has(id)}
                                renaming={renaming === id}
                                showLocation={!!search}
                                actions={rowActions}
                            />
                        );
                    }}
                />
            )}
            {listing.nextCursor ? (
                <div className="flex justify-center border-t border-slate-200 p-2 dark:border-slate-800">
                    <Button onClick={listing.loadMore} disabled={listing.loading}>
                        {listing.loading ? t('files.loadingMore') : t('common.loadMore')}
                    </Button>
                </div>
            ) : null}
            {listing.loading && entries.length === 0 && !listing.error ? <p className="p-6 text-slate-700 dark:text-slate-300">{t('common.loading')}</p> : null}

            {dragging ? (
                <div className="pointer-events-none absolute inset-0 z-30 flex items-center justify-center border-4 border-dashed border-blue-600 bg-blue-50/80 text-lg font-semibold text-blue-900 dark:bg-slate-900/80 dark:text-blue-200" data-testid="drop-overlay">
                    {t('files.dropHere')}
                </div>
            ) : null}

            <Dialog open={!!confirmDelete} onClose={() => setConfirmDelete(null)} title={t('files.delete')}>
                <p className="mb-2">{t('files.deleteConfirm', { count: confirmDelete?.length ?? 0 })}</p>
                <p className="mb-2 text-sm font-medium" data-testid="delete-recoverability">
                    {buckets.find((b) => b.name === bucket)?.recoverable ? t('recovery.deleteRecoverable') : t('recovery.deleteFinal')}
                </p>
                <ul className="mb-4 max-h-40 list-disc overflow-auto pl-5 text-sm">
                    {confirmDelete?.slice(0, 20).map((e) => <li key={entryId(e)} className="break-all">{e.name}</li>)}
                </ul>
                <div className="flex justify-end gap-2">
                    <Button onClick={() => setConfirmDelete(null)}>{t('common.cancel')}</Button>
                    <Button variant="danger" data-testid="confirm-delete" onClick={() => confirmDelete && void doDelete(confirmDelete)}>
                        {t('common.delete')}
                    </Button>
                </div>
            </Dialog>

            <NewFolderDialog open={newFolder} onClose={() => setNewFolder(false)} onCreate={(n) => void doNewFolder(n)} />
            <CopyDialog items={copying} buckets={buckets} bucket={bucket} prefix={prefix} onClose={() => setCopying(null)} onCopy={(b, p) => copying && void doCopy(copying, b, p)} />
            {copyFlow.dialog}
            {conflicts.dialog}
            <MoveDialog items={moving} buckets={buckets} bucket={bucket} prefix={prefix} onClose={() => setMoving(null)} onMove={(b, p) => moving && void doMove(moving, b, p)} />
            {details ? (
                <DetailsPanel bucket={details.bucket} fileKey={details.key} versioning={buckets.find((b) => b.name === details.bucket)?.versioning ?? null} onClose={() => setDetails(null)} onChanged={() => void listing.reload()} />
            ) : null}
            {sharing ? <ShareDialog bucket={bucket} entry={sharing} onClose={() => setSharing(null)} /> : null}
            {preview ? (
                <PreviewModal
                    files={entries.filter((x): x is FileItem => x.kind === 'file')}
                    current={preview}
                    onChange={setPreview}
                    onClose={() => setPreview(null)}
                    onShare={(f) => {
                        setPreview(null);
                        setSharing(f);
                    }}
                />
            ) : null}
        </div>
    );
}
