'use client';
/*
 * Copy (and move) with names that are taken: a flow that first asks the
 * server not to replace anything (conflict "fail"), then asks the person
 * about each name that was taken (conflict-dialog.tsx) and sends those
 * again with the chosen mode. The destination is chosen beforehand
 * (folder-picker.tsx).
 */
import type { ReactNode } from 'react';

import { files as api, type Bucket, type Conflict } from '@/lib/api';

import { useConflictDialog } from './conflict-dialog';

function nameOf(key: string): string {
    const k = key.endsWith('/') ? key.slice(0, -1) : key;
    return key.slice(k.lastIndexOf('/') + 1);
}

/** Where the server put (or would put) key, copied as part of sources to destPrefix: its folder there. */
export function destinationFolder(key: string, sources: string[], destPrefix: string): string {
    for (const s of sources) {
        if (s === key) return destPrefix;
        if (s.endsWith('/') && key.startsWith(s)) {
            const rest = key.slice(s.length);
            return destPrefix + nameOf(s) + rest.slice(0, rest.lastIndexOf('/') + 1);
        }
    }
    return destPrefix;
}

export interface CopyOutcome {
    copied: number;
    skipped: number;
    errors: { key?: string; code: string; message: string }[];
    cancelled: boolean;
}

export interface CopyFlow {
    dialog: ReactNode;
    run(p: { bucket: string; sources: string[]; destinationBucket: string; destinationPrefix: string; move: boolean }, buckets: Bucket[]): Promise<CopyOutcome>;
}

export function useCopyFlow(): CopyFlow {
    const conflicts = useConflictDialog();
    async function run(p: { bucket: string; sources: string[]; destinationBucket: string; destinationPrefix: string; move: boolean }, buckets: Bucket[]): Promise<CopyOutcome> {
        const first = await api.copy({ ...p, conflict: 'fail' });
        const taken = first.errors.filter((e) => e.code === 'conflict' && e.key);
        const out: CopyOutcome = {
            copied: first.copied.length,
            skipped: first.skipped.length,
            errors: first.errors.filter((e) => !(e.code === 'conflict' && e.key)),
            cancelled: false,
        };
        if (taken.length === 0) return out;
        const keys = taken.map((e) => e.key!);
        const shown = keys.map((k) => destinationFolder(k, p.sources, p.destinationPrefix) + nameOf(k));
        const versioning = buckets.find((b) => b.name === p.destinationBucket)?.versioning;
        const choices = await conflicts.resolve(shown, versioning);
        if (!choices) {
            out.skipped += keys.length;
            out.cancelled = true;
            return out;
        }
        /* Again, grouped by mode and destination folder (a folder's objects keep their place). */
        const groups = new Map<string, { mode: Conflict; folder: string; keys: string[] }>();
        keys.forEach((k, i) => {
            const mode = choices.get(shown[i]!) ?? 'skip';
            if (mode === 'skip') {
                out.skipped++;
                return;
            }
            const folder = destinationFolder(k, p.sources, p.destinationPrefix);
            const id = `${mode}\u0000${folder}`;
            const g = groups.get(id) ?? { mode, folder, keys: [] };
            g.keys.push(k);
            groups.set(id, g);
        });
        for (const g of groups.values()) {
            const r = await api.copy({ ...p, sources: g.keys, destinationPrefix: g.folder, conflict: g.mode });
            out.copied += r.copied.length;
            out.skipped += r.skipped.length;
            out.errors.push(...r.errors);
        }
        return out;
    }
    return { dialog: conflicts.dialog, run };
}
