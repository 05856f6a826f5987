'use client';
/*
 * One row of the file list. Names are React text children, never HTML, so
 * a key like "<img src=x onerror=alert(1)>.png" shows literally.
 */
import { memo, useEffect, useRef, useState, type CSSProperties } from 'react';

import type { Entry } from '@/lib/api';
import { files as api } from '@/lib/api';
import { Icon } from '@/components/ui/icon';
import { fileKind, formatBytes, formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

export const ROW_HEIGHT = 40;
export const GRID_COLS = 'grid-cols-[2rem_minmax(0,1fr)_2.5rem] sm:grid-cols-[2rem_minmax(0,1fr)_6rem_2.5rem] md:grid-cols-[2rem_minmax(0,1fr)_6rem_12rem_2.5rem]';


/** What a row can ask of the browser; one stable object, so rows re-render only when their own data changes. */
export interface RowActions {
    toggle(e: Entry): void;
    open(e: Entry): void;
    focus(index: number): void;
    rename(e: Entry, name: string): void;
    startRename(e: Entry): void;
    cancelRename(): void;
    share(e: Entry): void;
    remove(e: Entry): void;
    /** Opens the details panel (components/files/details). */
    details(e: Entry): void;
}

interface Props {
    index: number;
    entry: Entry;
    top: number;
    active: boolean;
    selected: boolean;
    renaming: boolean;
    showLocation: boolean;
    actions: RowActions;
}

function RenameInput({ initial, label, onDone, onCancel }: { initial: string; label: string; onDone(v: string): void; onCancel(): void }) {
    const [v, setV] = useState(initial);
    const ref = useRef<HTMLInputElement>(null);
    useEffect(() => {
        const el = ref.current;
        if (!el) return;
        el.focus();
        const dot = initial.lastIndexOf('.');
        el.setSelectionRange(0, dot > 0 ? dot : initial.length);
    }, [initial]);
    return (
        <input
            ref={ref}
            aria-label={label}
            data-testid="rename-input"
            value={v}
            onChange={(e) => setV(e.target.value)}
            onKeyDown={(e) => {
                e.stopPropagation();
                if (e.key === 'Enter') onDone(v.trim());
                if (e.key === 'Escape') onCancel();
            }}
            onBlur={() => onCancel()}
            className="w-full rounded border border-blue-600 bg-white px-1.5 py-0.5 text-sm text-slate-900 dark:bg-slate-900 dark:text-slate-100"
        />
    );
}

export const FileRow = memo(function FileRow(props: Props) {
    const { t, lang } = useI18n();
    const [menu, setMenu] = useState(false);
    const e = props.entry;
    const a = props.actions;
    const p = {
        ...props,
        style: { position: 'absolute', top: props.top, left: 0, right: 0, height: ROW_HEIGHT } as CSSProperties,
        onToggle: () => a.toggle(e),
        onOpen: () => a.open(e),
        onFocusRow: () => a.focus(props.index),
        onRename: (name: string) => a.rename(e, name),
        onStartRename: () => a.startRename(e),
        onCancelRename: () => a.cancelRename(),
        onShare: () => a.share(e),
        onDelete: () => a.remove(e),
        onDetails: () => a.details(e),
    };
    const kind = e.kind === 'folder' ? 'folder' : fileKind(e.name, e.contentType);
    const location = e.kind === 'file' ? e.key.slice(0, e.key.length - e.name.length) || '/' : '';
    return (
        <div
            role="row"
            id={`row-${p.index}`}
            aria-rowindex={p.index + 2}
            aria-selected={p.selected}
            data-name={e.name}
            data-kind={e.kind}
            style={p.style}
            onClick={p.onFocusRow}
            className={`grid ${GRID_COLS} items-center gap-2 border-b border-slate-100 px-3 text-sm dark:border-slate-800 ${p.selected ? 'bg-blue-50 dark:bg-slate-800' : 'hover:bg-slate-50 dark:hover:bg-slate-900'} ${p.active ? 'outline-2 -outline-offset-2 outline-blue-500/60' : ''}`}
        >
            <div role="gridcell" className="flex justify-center">
                <input type="checkbox" className="h-4 w-4" checked={p.selected} onChange={p.onToggle} aria-label={t('files.select', { name: e.name })} tabIndex={-1} />
            </div>
            <div role="gridcell" className="flex min-w-0 items-center gap-2">
                <span className={kind === 'folder' ? 'text-amber-700 dark:text-amber-400' : 'text-slate-600 dark:text-slate-400'}>
                    <Icon name={kind} />
                </span>
                {p.renaming ? (
                    <RenameInput initial={e.name} label={t('files.renameTo', { name: e.name })} onDone={p.onRename} onCancel={p.onCancelRename} />
                ) : (
                    <button type="button" tabIndex={-1} onClick={p.onOpen} onDoubleClick={p.onOpen} className="min-w-0 truncate text-left text-slate-900 hover:underline dark:text-slate-100" title={e.name} data-testid="entry-name">
                        {e.name}
                        {e.kind === 'folder' ? '/' : ''}
                    </button>
                )}
            </div>
            <div role="gridcell" className="hidden text-right tabular-nums text-slate-700 sm:block dark:text-slate-300">
                {e.kind === 'file' ? formatBytes(e.size, lang) : ''}
            </div>
            <div role="gridcell" className="hidden truncate text-slate-700 md:block dark:text-slate-300">
                {p.showLocation ? location : e.kind === 'file' ? formatDate(e.lastModified, lang) : t('files.folder')}
            </div>
            <div role="gridcell" className="relative flex justify-end">
                <button type="button" tabIndex={-1} aria-haspopup="menu" aria-expanded={menu} aria-label={t('files.more', { name: e.name })} onClick={(ev) => {
                    ev.stopPropagation();
                    setMenu(!menu);
                }} className="rounded px-2 py-0.5 hover:bg-slate-200 dark:hover:bg-slate-700" data-testid="row-menu">
                    ⋯
                </button>
                {menu ? (
                    <ul role="menu" className="absolute right-0 top-7 z-20 w-44 rounded-md border border-slate-300 bg-white py-1 shadow-lg dark:border-slate-600 dark:bg-slate-800" onMouseLeave={() => setMenu(false)}>
                        {e.kind === 'file' ? (
                            <>
                                <MenuItem onClick={p.onOpen} label={t('files.preview')} close={() => setMenu(false)} />
                                <MenuItem onClick={p.onDetails} label={t('recovery.details')} close={() => setMenu(false)} />
                                <li role="none">
                                    <a role="menuitem" className="block px-3 py-1.5 text-sm hover:bg-slate-100 dark:hover:bg-slate-700" href={api.downloadUrl(e.bucket, e.key)} download={e.name} onClick={() => setMenu(false)}>
                                        {t('files.download')}
                                    </a>
                                </li>
                            </>
                        ) : null}
                        <MenuItem onClick={p.onStartRename} label={t('files.rename')} close={() => setMenu(false)} />
                        <MenuItem onClick={p.onShare} label={t('files.share')} close={() => setMenu(false)} />
                        <MenuItem onClick={p.onDelete} label={t('files.delete')} close={() => setMenu(false)} danger />
                    </ul>
                ) : null}
            </div>
        </div>
    );
});

function MenuItem({ onClick, label, close, danger = false }: { onClick(): void; label: string; close(): void; danger?: boolean }) {
    return (
        <li role="none">
            <button
                type="button"
                role="menuitem"
                className={`block w-full px-3 py-1.5 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-700 ${danger ? 'text-red-800 dark:text-red-300' : ''}`}
                onClick={(ev) => {
                    ev.stopPropagation();
                    close();
                    onClick();
                }}
            >
                {label}
            </button>
        </li>
    );
}
