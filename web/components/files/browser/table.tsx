'use client';
/*
 * The list itself: the sortable header, the windowed rows, skeleton rows
 * while the first page loads, and the error and empty states. On a narrow
 * screen the table keeps its columns and scrolls sideways.
 */
import type { KeyboardEvent, RefObject } from 'react';

import { Button } from '@/components/ui/button';
import type { Entry, SortKey } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import { FileRow, GRID_COLS, ROW_HEIGHT, TABLE_MIN_WIDTH, type RowActions } from '../row';
import { entryId } from '../use-listing';
import { VirtualList, type VirtualListHandle } from '../virtual-list';
import type { Place } from './use-location';

export interface TableProps {
    entries: Entry[];
    loading: boolean;
    error: unknown;
    hasMore: boolean;
    searching: boolean;
    sort: SortKey;
    navigate(p: Place): void;
    retry(): void;
    loadMore(): void;
    list: RefObject<VirtualListHandle | null>;
    active: number;
    selectedIds: Set<string>;
    allSelected: boolean;
    toggleAll(): void;
    renaming: string | null;
    menuFor: string | null;
    onKeyDown(e: KeyboardEvent<HTMLDivElement>): void;
    rowActions: RowActions;
}

const SKELETON_ROWS = 8;

function Skeleton() {
    const { t } = useI18n();
    return (
        <div className="overflow-hidden" data-testid="skeleton" aria-busy="true">
            <p className="sr-only" role="status">
                {t('common.loading')}
            </p>
            {Array.from({ length: SKELETON_ROWS }, (_, i) => (
                <div key={i} aria-hidden="true" className={`grid ${GRID_COLS} items-center gap-2 border-b border-slate-100 px-3 dark:border-slate-800`} style={{ height: ROW_HEIGHT, minWidth: TABLE_MIN_WIDTH }}>
                    <div className="mx-auto h-4 w-4 rounded bg-slate-200 dark:bg-slate-700" />
                    <div className="h-3 animate-pulse rounded bg-slate-200 dark:bg-slate-700" style={{ width: `${40 + ((i * 37) % 45)}%` }} />
                    <div className="ml-auto h-3 w-12 animate-pulse rounded bg-slate-200 dark:bg-slate-700" />
                    <div className="h-3 w-28 animate-pulse rounded bg-slate-200 dark:bg-slate-700" />
                    <div />
                </div>
            ))}
        </div>
    );
}

export function FileTable(p: TableProps) {
    const { t, errorText } = useI18n();
    const { entries, sort } = p;

    if (p.error)
        return (
            <div role="alert" className="m-4 flex items-center gap-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
                <span>{errorText(p.error)}</span>
                <Button onClick={p.retry}>{t('common.retry')}</Button>
            </div>
        );
    if (entries.length === 0 && !p.loading)
        return (
            <div className="flex flex-1 flex-col items-center justify-center gap-1 p-10 text-center" data-testid="empty">
                <p className="font-medium">{p.searching ? t('search.none') : t('files.empty')}</p>
                {p.searching ? null : <p className="text-sm text-slate-700 dark:text-slate-300">{t('files.emptyHint')}</p>}
            </div>
        );

    const sortHeader = (col: 'name' | 'size' | 'lastModified', label: string, cls = '') => {
        const on = sort === col || sort === `-${col}`;
        const desc = sort === `-${col}`;
        return (
            <div role="columnheader" aria-sort={on ? (desc ? 'descending' : 'ascending') : 'none'} className={cls}>
                <button type="button" className="rounded px-1 py-0.5 font-semibold hover:underline" onClick={() => p.navigate({ sort: (on && !desc ? `-${col}` : col) as SortKey })}>
                    <span className="sr-only">{t('files.sortBy', { column: '' })}</span>
                    {label} {on ? (desc ? '↓' : '↑') : ''}
                </button>
            </div>
        );
    };
    const header = (
        <div role="rowgroup" className="sticky top-0 z-10 border-b border-slate-300 bg-slate-100 text-sm dark:border-slate-700 dark:bg-slate-800" style={{ minWidth: TABLE_MIN_WIDTH }}>
            <div role="row" aria-rowindex={1} className={`grid ${GRID_COLS} items-center gap-2 px-3`} style={{ height: ROW_HEIGHT }}>
                <div role="columnheader" className="flex justify-center">
                    <input type="checkbox" aria-label={t('files.selectAll')} checked={p.allSelected} onChange={p.toggleAll} className="h-4 w-4" data-testid="select-all" />
                </div>
                {sortHeader('name', t('files.name'))}
                {sortHeader('size', t('files.size'), 'text-right')}
                {sortHeader('lastModified', p.searching ? t('search.location') : t('files.modified'))}
                <div role="columnheader" className="text-right">
                    <span className="sr-only">{t('common.actions')}</span>
                </div>
            </div>
        </div>
    );

    return (
        <>
            <VirtualList
                ref={p.list}
                count={entries.length}
                rowCount={entries.length + 1}
                rowHeight={ROW_HEIGHT}
                minWidth={TABLE_MIN_WIDTH}
                placeholder={<Skeleton />}
                label={t('files.title')}
                header={header}
                activeDescendant={entries[p.active] ? `row-${p.active}` : undefined}
                onEndReached={p.loadMore}
                onKeyDown={p.onKeyDown}
                renderRow={(i, style) => {
                    const e = entries[i]!;
                    const id = entryId(e);
                    return (
                        <FileRow
                            key={id}
                            index={i}
                            entry={e}
                            top={style.top as number}
                            active={i === p.active}
                            selected={p.selectedIds.has(id)}
                            renaming={p.renaming === id}
                            menuOpen={p.menuFor === id}
                            showLocation={p.searching}
                            actions={p.rowActions}
                        />
                    );
                }}
            />
            {p.hasMore ? (
                <div className="flex justify-center border-t border-slate-200 p-2 dark:border-slate-800">
                    <Button onClick={p.loadMore} disabled={p.loading}>
                        {p.loading ? t('files.loadingMore') : t('common.loadMore')}
                    </Button>
                </div>
            ) : null}
        </>
    );
}
