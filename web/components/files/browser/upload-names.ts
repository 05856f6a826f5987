/*
 * Uploads onto names that are taken: each key is looked up first
 * (GET /api/object, eight at a time), and the person chooses for the taken
 * ones: replace, keep both (the first free numbered name) or skip.
 */
import { files as api } from '@/lib/api';
import { freeName } from '@/lib/names';

import type { ConflictDialog } from '../conflict-dialog';

/** The items to send, with their final keys; empty when the person cancelled or skipped them all. */
export async function settleUploadNames<T extends { key: string }>(bucket: string, items: T[], resolve: ConflictDialog['resolve'], versioning: string | null | undefined): Promise<T[]> {
    const exists = (k: string) => api.exists(bucket, k).catch(() => false);
    const taken: string[] = [];
    for (let i = 0; i < items.length; i += 8) {
        const part = items.slice(i, i + 8);
        const found = await Promise.all(part.map((x) => exists(x.key)));
        part.forEach((x, j) => found[j] && taken.push(x.key));
    }
    if (taken.length === 0) return items;
    const choices = await resolve(taken, versioning);
    if (!choices) return [];
    const out: T[] = [];
    for (const x of items) {
        const c = choices.get(x.key);
        if (c === 'skip') continue;
        if (c === 'keepBoth') {
            const k = await freeName(x.key, exists);
            if (k) out.push({ ...x, key: k });
            continue;
        }
        out.push(x);
    }
    return out;
}
