/*
 * Versions, the recycle bin, tags and metadata (API.md "Versions, recycle
 * bin, tags and metadata"): wire decoders and calls.
 */
import { apiUrl, request } from './client';
import { arr, bool, idLike, nullable, num, obj, oneOf, optional, record, str, withDefault, type Infer } from './decode';
import { toFile, wireObject, type FileItem } from './types';

function time(s: string | null): number | null {
    if (!s) return null;
    const t = Date.parse(s);
    return Number.isNaN(t) ? null : t;
}

const wireVersion = obj({
    versionId: str,
    size: num,
    lastModified: nullable(str),
    etag: nullable(str),
    isLatest: bool,
    isDeleteMarker: bool,
    uploadedBy: nullable(idLike),
});

export interface Version {
    versionId: string;
    size: number;
    lastModified: number | null;
    etag: string | null;
    isLatest: boolean;
    isDeleteMarker: boolean;
    uploadedBy: string | null;
}

export async function versions(bucket: string, key: string, cursor?: string | null): Promise<{ versions: Version[]; nextCursor: string | null }> {
    const r = await request('GET', '/api/versions', {
        query: { bucket, key, cursor },
        decode: obj({ versions: arr(wireVersion), nextCursor: nullable(str) }),
    });
    return { versions: r.versions.map((v) => ({ ...v, lastModified: time(v.lastModified) })), nextCursor: r.nextCursor };
}

export async function restoreVersion(bucket: string, key: string, versionId: string): Promise<FileItem> {
    const r = await request('POST', '/api/versions/restore', { body: { bucket, key, versionId }, decode: obj({ file: wireObject }) });
    return toFile(r.file);
}

export async function deleteVersion(bucket: string, key: string, versionId: string): Promise<void> {
    await request('DELETE', '/api/versions', { query: { bucket, key, versionId }, decode: record });
}

export function versionDownloadUrl(bucket: string, key: string, versionId: string): string {
    return apiUrl('/api/download', { bucket, key, versionId });
}

/** The lifecycle rule shown (never applied silently) when versioning is turned on. */
export const RECOMMENDED_NONCURRENT_DAYS = 30;

export async function setVersioning(bucket: string, enabled: boolean, noncurrentDays: number | null): Promise<void> {
    await request('PUT', '/api/buckets/versioning', { body: { bucket, enabled, noncurrentDays }, decode: record });
}

const wireTrashItem = obj({
    bucket: str,
    key: str,
    size: withDefault(num, 0),
    deletedAt: nullable(str),
    deletedBy: nullable(idLike),
    deletedByEmail: optional(str),
    restoreId: str,
});

export interface TrashItem {
    bucket: string;
    key: string;
    size: number;
    deletedAt: number | null;
    deletedBy: string | null;
    deletedByEmail: string | null;
    restoreId: string;
}

export async function trash(bucket: string, prefix: string, cursor?: string | null): Promise<{ files: TrashItem[]; nextCursor: string | null }> {
    const r = await request('GET', '/api/trash', {
        query: { bucket, prefix, cursor, limit: 200 },
        decode: obj({ files: arr(wireTrashItem), nextCursor: nullable(str) }),
    });
    return {
        files: r.files.map((f) => ({ ...f, deletedAt: time(f.deletedAt), deletedByEmail: f.deletedByEmail ?? null })),
        nextCursor: r.nextCursor,
    };
}

const opErrors = arr(obj({ key: withDefault(str, ''), code: withDefault(str, 'error'), message: withDefault(str, '') }));

export async function restoreTrash(bucket: string, items: { key: string; restoreId: string }[] | null, prefix?: string) {
    return request('POST', '/api/trash/restore', {
        body: items ? { bucket, items } : { bucket, prefix },
        decode: obj({ restored: withDefault(arr(str), []), errors: withDefault(opErrors, []) }),
    });
}

export async function purgeTrash(bucket: string, items: { key: string; restoreId: string }[] | null) {
    return request('POST', '/api/trash/purge', {
        body: items ? { bucket, items } : { bucket, all: true },
        decode: obj({ purged: withDefault(arr(str), []), errors: withDefault(opErrors, []) }),
    });
}

const stringRecord = (v: unknown, p: string): Record<string, string> => {
    const o = record(v, p);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(o)) out[k] = str(x, `${p}.${k}`);
    return out;
};

export async function tags(bucket: string, key: string): Promise<Record<string, string>> {
    return (await request('GET', '/api/tags', { query: { bucket, key }, decode: obj({ tags: stringRecord }) })).tags;
}

export async function putTags(bucket: string, key: string, t: Record<string, string>): Promise<Record<string, string>> {
    return (await request('PUT', '/api/tags', { body: { bucket, key, tags: t }, decode: obj({ tags: stringRecord }) })).tags;
}

const wireSystem = obj({
    contentType: nullable(str),
    size: num,
    etag: nullable(str),
    storageClass: withDefault(str, 'STANDARD'),
    encryption: nullable(str),
    lastModified: nullable(str),
    versionId: nullable(str),
});
export type SystemMetadata = Infer<typeof wireSystem>;

export interface Details {
    file: FileItem;
    metadata: Record<string, string>;
    system: SystemMetadata | null;
}

export async function details(bucket: string, key: string): Promise<Details> {
    const r = await request('GET', '/api/object', {
        query: { bucket, key },
        decode: obj({ file: wireObject, metadata: withDefault(stringRecord, {}), system: nullable(wireSystem) }),
    });
    return { file: toFile(r.file), metadata: r.metadata, system: r.system };
}

export async function patchObject(bucket: string, key: string, p: { contentType?: string; metadata?: Record<string, string> }): Promise<void> {
    await request('PATCH', '/api/object', { body: { bucket, key, ...p }, decode: record });
}

export type Recoverable = 'versions' | 'trash' | null;
export const recoverableOf = nullable(oneOf(['versions', 'trash'] as const));
