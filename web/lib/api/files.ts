import { ApiError, apiUrl, request } from './client';
import { arr, nullable, num, obj, optional, record, str, withDefault } from './decode';
import { toFile, toFolder, wireBucket, wireObject, type Bucket, type FileItem, type FolderItem } from './types';

export type SortKey = 'name' | '-name' | 'size' | '-size' | 'lastModified' | '-lastModified';

export async function buckets(): Promise<Bucket[]> {
    return (await request('GET', '/api/buckets', { decode: obj({ buckets: arr(wireBucket) }) })).buckets;
}

export interface ListPage {
    files: FileItem[];
    folders: FolderItem[];
    nextCursor: string | null;
}

export async function list(
    p: { bucket: string; prefix: string; sort?: SortKey; cursor?: string | null; limit?: number },
    signal?: AbortSignal,
): Promise<ListPage> {
    const r = await request('GET', '/api/list', {
        query: { bucket: p.bucket, prefix: p.prefix, sort: p.sort, cursor: p.cursor, limit: p.limit },
        decode: obj({ files: arr(wireObject), folders: withDefault(arr(str), []), nextCursor: nullable(str) }),
        signal,
    });
    return {
        files: r.files.map(toFile),
        folders: r.folders.map((f) => toFolder(p.bucket, f)),
        nextCursor: r.nextCursor,
    };
}

export interface SearchFilters {
    bucket?: string;
    q: string;
    prefix?: string;
    type?: string;
    minSize?: number;
    maxSize?: number;
    modifiedAfter?: string;
    modifiedBefore?: string;
}

export async function search(f: SearchFilters, cursor?: string | null, signal?: AbortSignal): Promise<{ files: FileItem[]; nextCursor: string | null; total: number | null }> {
    const r = await request('GET', '/api/search', {
        query: { ...f, cursor, limit: 200 },
        decode: obj({ files: arr(wireObject), nextCursor: nullable(str), total: nullable(num) }),
        signal,
    });
    return { files: r.files.map(toFile), nextCursor: r.nextCursor, total: r.total };
}

export async function objectInfo(bucket: string, key: string): Promise<{ file: FileItem; metadata: Record<string, unknown> }> {
    const r = await request('GET', '/api/object', {
        query: { bucket, key },
        decode: obj({ file: wireObject, metadata: withDefault(record, {}) }),
    });
    return { file: toFile(r.file), metadata: r.metadata };
}

export function downloadUrl(bucket: string, key: string, inline = false): string {
    return apiUrl('/api/download', { bucket, key, inline: inline ? 1 : undefined });
}

export function zipUrl(bucket: string, keys: string[], prefixes: string[]): string {
    return apiUrl('/api/download-zip', { bucket, keys, prefixes });
}

const opErrors = arr(obj({ key: withDefault(str, ''), code: withDefault(str, 'error'), message: withDefault(str, '') }));

export async function remove(bucket: string, keys: string[], prefixes: string[]) {
    return request('POST', '/api/delete', {
        body: { bucket, keys, prefixes },
        decode: obj({ deleted: withDefault(arr(str), []), errors: withDefault(opErrors, []) }),
    });
}

/** What to do with a destination name that is taken (API.md's "conflict"). */
export type Conflict = 'fail' | 'replace' | 'keepBoth' | 'skip';

export async function copy(p: { bucket: string; sources: string[]; destinationBucket: string; destinationPrefix: string; move: boolean; conflict?: Conflict }) {
    return request('POST', '/api/copy', {
        body: p,
        decode: obj({
            copied: withDefault(arr(obj({ from: str, to: str })), []),
            errors: withDefault(arr(obj({ key: optional(str), source: optional(str), code: withDefault(str, 'error'), message: withDefault(str, '') })), []),
            skipped: withDefault(arr(str), []),
        }),
    });
}

/** Renames key; resolves with the key it has now (a numbered one with keepBoth, the old one when skipped). */
export async function rename(bucket: string, key: string, newKey: string, conflict?: Conflict): Promise<string> {
    const r = await request('POST', '/api/rename', { body: { bucket, key, newKey, conflict }, decode: obj({ file: withDefault(obj({ key: withDefault(str, newKey) }), { key: newKey }) }) });
    return r.file.key;
}

/**
 * Whether bucket/key names an object: a one-row listing with the key as the
 * prefix (200 whatever the answer, so the browser logs no 404 for a free name).
 */
export async function exists(bucket: string, key: string): Promise<boolean> {
    const r = await request('GET', '/api/list', {
        query: { bucket, prefix: key, limit: 1 },
        decode: obj({ files: withDefault(arr(obj({ key: str })), []) }),
    });
    return r.files.some((f) => f.key === key);
}

export async function createFolder(bucket: string, prefix: string): Promise<void> {
    await request('POST', '/api/folders', { body: { bucket, prefix } });
}

/**
 * The first maxBytes of a file as text (for the preview). The download may
 * redirect to S3; the bucket's CORS rules must then allow this origin.
 */
export async function readText(bucket: string, key: string, maxBytes: number, signal?: AbortSignal): Promise<{ text: string; truncated: boolean }> {
    let res: Response;
    try {
        res = await fetch(downloadUrl(bucket, key, true), { credentials: 'same-origin', headers: { Range: `bytes=0-${maxBytes - 1}` }, signal });
    } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') throw e;
        throw new ApiError(0, 'network', '');
    }
    if (!res.ok) throw new ApiError(res.status, res.status === 404 ? 'not_found' : `http_${res.status}`, '');
    const buf = new Uint8Array(await res.arrayBuffer());
    const total = Number(res.headers.get('Content-Range')?.split('/')[1] ?? NaN);
    const truncated = buf.length >= maxBytes || (Number.isFinite(total) && total > buf.length);
    return { text: new TextDecoder('utf-8', { fatal: false }).decode(buf.subarray(0, maxBytes)), truncated };
}
