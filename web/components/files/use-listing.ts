'use client';
/*
 * The entries the browser shows: a folder listing paged by cursor (folders
 * first), or search results. Pages load on demand; a newer request cancels
 * an older one so a fast click never shows a stale folder.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { files as api, type Entry, type FileItem, type FolderItem, type SearchFilters, type SortKey } from '@/lib/api';
import { insertSorted } from '@/lib/sort';

/* API.md caps a page at 1000: the fewest round trips for big folders. */
export const PAGE = 1000;

export interface Listing {
    folders: FolderItem[];
    files: FileItem[];
    nextCursor: string | null;
    loading: boolean;
    error: unknown;
    total: number | null;
    /** The folder ("bucket|prefix") whose answer this is; null until one came. */
    listed: string | null;
}

const empty: Listing = { folders: [], files: [], nextCursor: null, loading: true, error: null, total: null, listed: null };

export function useListing(bucket: string | null, prefix: string, sort: SortKey, search: SearchFilters | null) {
    const [state, setState] = useState<Listing>(empty);
    const ctrl = useRef<AbortController | null>(null);
    const searchKey = search ? JSON.stringify(search) : '';

    const load = useCallback(
        async (cursor: string | null, keep = false) => {
            if (!bucket) return;
            ctrl.current?.abort();
            const c = new AbortController();
            ctrl.current = c;
            setState((s) => (cursor || keep ? { ...s, loading: true, error: null } : { ...empty }));
            try {
                if (search) {
                    const r = await api.search(search, cursor, c.signal);
                    setState((s) => ({ folders: [], files: cursor ? [...s.files, ...r.files] : r.files, nextCursor: r.nextCursor, loading: false, error: null, total: r.total, listed: null }));
                } else {
                    const r = await api.list({ bucket, prefix, sort, cursor, limit: PAGE }, c.signal);
                    setState((s) => {
                        const seen = new Set(cursor ? s.folders.map((f) => f.prefix) : []);
                        const folders = cursor ? [...s.folders, ...r.folders.filter((f) => !seen.has(f.prefix))] : r.folders;
                        return { folders, files: cursor ? [...s.files, ...r.files] : r.files, nextCursor: r.nextCursor, loading: false, error: null, total: null, listed: `${bucket}|${prefix}` };
                    });
                }
            } catch (e) {
                if (e instanceof DOMException && e.name === 'AbortError') return;
                setState((s) => ({ ...s, loading: false, error: e }));
            }
        },
        // eslint-disable-next-line react-hooks/exhaustive-deps
        [bucket, prefix, sort, searchKey],
    );

    useEffect(() => {
        void load(null);
        return () => ctrl.current?.abort();
    }, [load]);

    const loadMore = useCallback(() => {
        if (state.nextCursor && !state.loading) void load(state.nextCursor);
    }, [state.nextCursor, state.loading, load]);

    /* A new or changed file goes where the server's order puts it. */
    const upsert = useCallback(
        (f: FileItem) => {
            setState((s) => ({ ...s, files: insertSorted(s.files, f, sort, !s.nextCursor) }));
        },
        [sort],
    );

    const addFolder = useCallback((f: FolderItem) => {
        setState((s) => (s.folders.some((x) => x.prefix === f.prefix) ? s : { ...s, folders: [...s.folders, f].sort((a, b) => a.name.localeCompare(b.name)) }));
    }, []);

    const removeKeys = useCallback((keys: Set<string>) => {
        setState((s) => ({ ...s, files: s.files.filter((f) => !keys.has(f.key)), folders: s.folders.filter((f) => !keys.has(f.prefix)) }));
    }, []);

    const entries: Entry[] = useMemo(() => [...state.folders, ...state.files], [state.folders, state.files]);
    /* Reload keeping the rows on screen until the answer replaces them. */
    const refresh = useCallback(() => load(null, true), [load]);
    return { ...state, entries, loadMore, reload: () => load(null), refresh, upsert, addFolder, removeKeys };
}

export function entryId(e: Entry): string {
    return e.kind === 'folder' ? e.prefix : e.key;
}
