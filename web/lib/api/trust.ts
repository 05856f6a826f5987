/* Calls of the console's bulk actions and store capabilities. */
import { request } from './client';
import { bool, num, obj, oneOf, withDefault } from './decode';

export interface PrefixTotals {
    objects: number;
    bytes: number;
}

/** How many objects, and how many bytes, lie under a folder (from the object index). */
export async function prefixTotals(bucket: string, prefix: string, signal?: AbortSignal): Promise<PrefixTotals> {
    return request('GET', '/api/prefix-totals', { query: { bucket, prefix }, decode: obj({ objects: num, bytes: num }), signal });
}

export interface StoreCapabilities {
    versioning: boolean;
    listParts: boolean;
    /** What the caller's grants allow in the folder asked about. */
    level: 'none' | 'read' | 'upload' | 'full';
}

/** What the bucket's store can do, so the console says plainly what it lacks. */
export async function capabilities(bucket: string, prefix = ''): Promise<StoreCapabilities> {
    return request('GET', '/api/capabilities', {
        query: { bucket, prefix },
        decode: obj({ versioning: withDefault(bool, false), listParts: withDefault(bool, true), level: withDefault(oneOf(['none', 'read', 'upload', 'full'] as const), 'full') }),
    });
}
