'use client';
/*
 * One row of the file list. Names are React text children, never HTML, so
 * a key like "<img src=x onerror=alert(1)>.png" shows literally. Rows can be
 * dragged onto a folder (a row or a breadcrumb) to move them there; the ⋯
 * button (and Shift+F10 or the context-menu key) opens the row's menu,
 * placed where it fits on screen.
 */
import { memo, useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type DragEvent } from 'react';

import type { Entry } from '@/lib/api';
import { files as api } from '@/lib/api';
import { Icon } from '@/components/ui/icon';
import { fileKind, formatBytes, formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

export const ROW_HEIGHT = 40;
export const GRID_COLS = 'grid-cols-[2rem_minmax(0,1fr)_6rem_12rem_2.5rem]';
/* The columns' least width; a narrower screen scrolls the table sideways. */
export const TABLE_MIN_WIDTH = '34rem';
/* The type of the drag data that carries rows' ids (keys and folder prefixes). */
export const ROWS_MIME = 'application/x-seau-entries';

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
    transfer(e: Entry, mode: 'move' | 'copy'): void;
    setMenu(e: Entry | null): void;
    /** The ids a drag that starts on this row carries: the selection when the row is in it. */
    dragIds(e: Entry): string[];
    dropOn(folder: string, ids: string[]): void;
    /** Extra menu items from other parts of the console (details, versions...). */
    extraMenu?(e: Entry): { label: string; run(): void }[];
}

interface Props {
    index: number;
    entry: Entry;
    top: number;
    active: boolean;
    selected: boolean;
    renaming: boolean;
    menuOpen: boolean;
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

export function readDraggedIds(dt: DataTransfer): string[] {
    try {
        const v: unknown = JSON.parse(dt.getData(ROWS_MIME) || '[]');
        return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
        return [];
    }
}

export const FileRow = memo(function FileRow(props: Props) {
    const { t, lang } = useI18n();
    const [dropping, setDropping] = useState(false);
    const more = useRef<HTMLButtonElement>(null);
    const e = props.entry;
    const a = props.actions;
    const style = { position: 'absolute', top: props.top, left: 0, right: 0, height: ROW_HEIGHT } as CSSProperties;
    const kind = e.kind === 'folder' ? 'folder' : fileKind(e.name, e.contentType);
    const location = e.kind === 'file' ? e.key.slice(0, e.key.length - e.name.length) || '/' : '';
    const folderDrop =
        e.kind === 'folder'
            ? {
                  onDragOver(ev: DragEvent) {
                      if (!ev.dataTransfer.types.includes(ROWS_MIME)) return;
                      ev.preventDefault();
                      ev.dataTransfer.dropEffect = 'move';
                      setDropping(true);
                  },
                  onDragLeave() {
                      setDropping(false);
                  },
                  onDrop(ev: DragEvent) {
                      if (!ev.dataTransfer.types.includes(ROWS_MIME)) return;
                      ev.preventDefault();
                      ev.stopPropagation();
                      setDropping(false);
                      const ids = readDraggedIds(ev.dataTransfer).filter((id) => id !== e.prefix);
                      if (ids.length) a.dropOn(e.prefix, ids);
                  },
              }
            : {};
    return (
        <div
            role="row"
            id={`row-${props.index}`}
            aria-rowindex={props.index + 2}
            aria-selected={props.selected}
            data-name={e.name}
            data-kind={e.kind}
            style={style}
            onClick={() => a.focus(props.index)}
            onContextMenu={(ev) => {
                ev.preventDefault();
                a.focus(props.index);
                a.setMenu(e);
            }}
            draggable={!props.renaming}
            onDragStart={(ev) => {
                ev.dataTransfer.setData(ROWS_MIME, JSON.stringify(a.dragIds(e)));
                ev.dataTransfer.effectAllowed = 'copyMove';
            }}
            {...folderDrop}
            className={`grid ${GRID_COLS} items-center gap-2 border-b border-slate-100 px-3 text-sm dark:border-slate-800 ${props.selected ? 'bg-blue-50 dark:bg-slate-800' : 'hover:bg-slate-50 dark:hover:bg-slate-900'} ${props.active ? 'outline-2 -outline-offset-2 outline-blue-500/60' : ''} ${dropping ? 'ring-2 ring-inset ring-blue-600' : ''}`}
        >
            <div role="gridcell" className="flex justify-center">
                <input type="checkbox" className="h-4 w-4" checked={props.selected} onChange={() => a.toggle(e)} aria-label={t('files.select', { name: e.name })} tabIndex={-1} />
            </div>
            <div role="gridcell" className="flex min-w-0 items-center gap-2">
                <span className={kind === 'folder' ? 'text-amber-700 dark:text-amber-400' : 'text-slate-600 dark:text-slate-400'}>
                    <Icon name={kind} />
                </span>
                {props.renaming ? (
                    <RenameInput initial={e.name} label={t('files.renameTo', { name: e.name })} onDone={(n) => a.rename(e, n)} onCancel={() => a.cancelRename()} />
                ) : (
                    <button type="button" tabIndex={-1} onClick={() => a.open(e)} className="min-w-0 truncate text-left text-slate-900 hover:underline dark:text-slate-100" title={e.name} data-testid="entry-name">
                        {e.name}
                        {e.kind === 'folder' ? '/' : ''}
                    </button>
                )}
            </div>
            <div role="gridcell" className="text-right tabular-nums text-slate-700 dark:text-slate-300">
                {e.kind === 'file' ? formatBytes(e.size, lang) : ''}
            </div>
            <div role="gridcell" className="truncate text-slate-700 dark:text-slate-300">
                {props.showLocation ? location : e.kind === 'file' ? formatDate(e.lastModified, lang) : t('files.folder')}
            </div>
            <div role="gridcell" className="sticky right-0 flex justify-end">
                <button
                    ref={more}
                    type="button"
                    aria-haspopup="menu"
                    aria-expanded={props.menuOpen}
                    aria-label={t('files.more', { name: e.name })}
                    onClick={(ev) => {
                        ev.stopPropagation();
                        a.focus(props.index);
                        a.setMenu(props.menuOpen ? null : e);
                    }}
                    className="rounded bg-white/90 px-2 py-0.5 hover:bg-slate-200 focus-visible:outline-2 focus-visible:outline-blue-600 dark:bg-slate-950/90 dark:hover:bg-slate-700"
                    data-testid="row-menu"
                >
                    ⋯
                </button>
                {props.menuOpen ? <RowMenu entry={e} actions={a} anchor={more} /> : null}
            </div>
        </div>
    );
});

/* The row's menu: fixed to the viewport beside its button, moved up or left when it would leave the screen. */
function RowMenu({ entry: e, actions: a, anchor }: { entry: Entry; actions: RowActions; anchor: React.RefObject<HTMLButtonElement | null> }) {
    const { t } = useI18n();
    const ref = useRef<HTMLUListElement>(null);
    const [pos, setPos] = useState<{ top: number; left: number } | null>(null);
    const close = (focusBack = true) => {
        a.setMenu(null);
        if (focusBack) anchor.current?.closest<HTMLElement>('[role="grid"]')?.focus();
    };
    useLayoutEffect(() => {
        const b = anchor.current?.getBoundingClientRect();
        const m = ref.current;
        if (!b || !m) return;
        const w = m.offsetWidth;
        const h = m.offsetHeight;
        const top = b.bottom + h + 4 > window.innerHeight ? Math.max(4, b.top - h - 4) : b.bottom + 4;
        const left = Math.min(Math.max(4, b.right - w), window.innerWidth - w - 4);
        setPos({ top, left });
        m.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    }, [anchor]);
    useEffect(() => {
        const away = (ev: MouseEvent) => {
            if (!ref.current?.contains(ev.target as Node) && !anchor.current?.contains(ev.target as Node)) a.setMenu(null);
        };
        document.addEventListener('mousedown', away);
        return () => document.removeEventListener('mousedown', away);
    }, [a, anchor]);
    const item = (label: string, run: () => void, danger = false, testid?: string) => (
        <li role="none" key={label}>
            <button
                type="button"
                role="menuitem"
                tabIndex={-1}
                data-testid={testid}
                className={`block w-full px-3 py-1.5 text-left text-sm hover:bg-slate-100 focus:bg-slate-100 dark:hover:bg-slate-700 dark:focus:bg-slate-700 ${danger ? 'text-red-800 dark:text-red-300' : ''}`}
                onClick={(ev) => {
                    ev.stopPropagation();
                    close(false);
                    run();
                }}
            >
                {label}
            </button>
        </li>
    );
    return (
        <ul
            ref={ref}
            role="menu"
            aria-label={t('files.more', { name: e.name })}
            style={{ position: 'fixed', top: pos?.top ?? -9999, left: pos?.left ?? -9999 }}
            className="z-50 w-48 rounded-md border border-slate-300 bg-white py-1 shadow-lg dark:border-slate-600 dark:bg-slate-800"
            onClick={(ev) => ev.stopPropagation()}
            onKeyDown={(ev) => {
                const items = Array.from(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
                const i = items.indexOf(document.activeElement as HTMLElement);
                if (ev.key === 'Escape' || ev.key === 'Tab') {
                    ev.preventDefault();
                    ev.stopPropagation();
                    close();
                } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
                    ev.preventDefault();
                    ev.stopPropagation();
                    items[(i + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
                } else if (ev.key === 'Home' || ev.key === 'End') {
                    ev.preventDefault();
                    ev.stopPropagation();
                    items[ev.key === 'Home' ? 0 : items.length - 1]?.focus();
                }
            }}
        >
            {e.kind === 'file' ? (
                <>
                    {item(t('files.preview'), () => a.open(e))}
                    <li role="none">
                        <a role="menuitem" tabIndex={-1} className="block px-3 py-1.5 text-sm hover:bg-slate-100 focus:bg-slate-100 dark:hover:bg-slate-700 dark:focus:bg-slate-700" href={api.downloadUrl(e.bucket, e.key)} download={e.name} onClick={() => close(false)}>
                            {t('files.download')}
                        </a>
                    </li>
                </>
            ) : null}
            {item(t('files.rename'), () => a.startRename(e))}
            {item(t('trust.moveTo'), () => a.transfer(e, 'move'), false, 'menu-move')}
            {item(t('trust.copyTo'), () => a.transfer(e, 'copy'), false, 'menu-copy')}
            {item(t('files.share'), () => a.share(e))}
            {a.extraMenu?.(e).map((x) => item(x.label, x.run))}
            {item(t('files.delete'), () => a.remove(e), true)}
        </ul>
    );
}
