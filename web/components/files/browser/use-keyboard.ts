'use client';
/*
 * The list's keys: arrows, Home/End and Page keys move the focus row;
 * Enter opens, Space selects, Delete asks to delete, F2 renames, Backspace
 * goes up, Ctrl+A selects the loaded rows, Shift+F10 or the context-menu
 * key opens the row's menu.
 */
import type { KeyboardEvent, RefObject } from 'react';

import type { Entry } from '@/lib/api';

import { entryId } from '../use-listing';
import type { VirtualListHandle } from '../virtual-list';

export interface KeyboardTargets {
    entries: Entry[];
    active: number;
    setActive(i: number): void;
    list: RefObject<VirtualListHandle | null>;
    busy: boolean;
    open(e: Entry): void;
    toggle(id: string): void;
    askDelete(items: Entry[]): void;
    selected: Entry[];
    startRename(id: string): void;
    goUp(): void;
    selectAll(): void;
    openMenu(id: string): void;
}

export function listKeyHandler(k: KeyboardTargets) {
    return (e: KeyboardEvent<HTMLDivElement>) => {
        const { entries, active } = k;
        if (k.busy || entries.length === 0) return;
        if ((e.target as HTMLElement).tagName === 'INPUT') return;
        if ((e.target as HTMLElement).closest('[role="menu"]')) return;
        const move = (i: number) => {
            const n = Math.max(0, Math.min(entries.length - 1, i));
            k.setActive(n);
            k.list.current?.scrollToIndex(n);
            e.preventDefault();
        };
        const cur = entries[active];
        if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
            if (cur) k.openMenu(entryId(cur));
            e.preventDefault();
            return;
        }
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
                if ((e.target as HTMLElement).tagName === 'BUTTON') return;
                if (cur) k.open(cur);
                e.preventDefault();
                return;
            case ' ':
                if ((e.target as HTMLElement).tagName === 'BUTTON') return;
                if (cur) k.toggle(entryId(cur));
                e.preventDefault();
                return;
            case 'Delete':
                if (k.selected.length) k.askDelete(k.selected);
                else if (cur) k.askDelete([cur]);
                return;
            case 'F2':
                if (cur) k.startRename(entryId(cur));
                e.preventDefault();
                return;
            case 'Backspace':
                k.goUp();
                e.preventDefault();
                return;
            case 'a':
                if (e.ctrlKey || e.metaKey) {
                    k.selectAll();
                    e.preventDefault();
                }
                return;
        }
    };
}
