'use client';
/*
 * What is selected: a set of entry ids (keys, and folder prefixes), or the
 * whole folder on the server ("all N in this folder"), which the bulk
 * actions then apply to the prefix rather than to the loaded rows.
 */
import { useCallback, useMemo, useState } from 'react';

import type { Entry } from '@/lib/api';

import { entryId } from '../use-listing';

export function useSelection(entries: Entry[]) {
    const [ids, setIds] = useState<Set<string>>(new Set());
    const [wholeFolder, setWholeFolder] = useState(false);

    const toggle = useCallback((id: string) => {
        setWholeFolder(false);
        setIds((s) => {
            const n = new Set(s);
            if (n.has(id)) n.delete(id);
            else n.add(id);
            return n;
        });
    }, []);
    const selectLoaded = useCallback(() => {
        setWholeFolder(false);
        setIds(new Set(entries.map(entryId)));
    }, [entries]);
    const selectFolder = useCallback(() => {
        setIds(new Set(entries.map(entryId)));
        setWholeFolder(true);
    }, [entries]);
    const clear = useCallback(() => {
        setWholeFolder(false);
        setIds(new Set());
    }, []);

    const selected = useMemo(() => entries.filter((x) => ids.has(entryId(x))), [entries, ids]);
    const allLoaded = entries.length > 0 && ids.size === entries.length;
    return { ids, selected, count: ids.size, allLoaded, wholeFolder, toggle, selectLoaded, selectFolder, clear };
}

export type Selection = ReturnType<typeof useSelection>;
