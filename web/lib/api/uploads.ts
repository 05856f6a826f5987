/* Direct uploads (API.md POST /api/uploads …): the browser PUTs to presigned S3 URLs. */
import { request } from './client';
import { arr, num, obj, optional, record, str, withDefault } from './decode';
import { proxiedUpload as proxied } from './transfer';
import { toFile, wireObject, type FileItem } from './types';

const partUrl = obj({ partNumber: num, url: str });

const wireSession = obj({
    uploadId: str,
    key: str,
    partSize: optional(num),
    parts: optional(arr(partUrl)),
    url: optional(str),
    method: optional(str),
    headers: optional(record),
});

export type DirectSession =
    | { kind: 'multipart'; uploadId: string; key: string; partSize: number; urls: Map<number, string> }
    | { kind: 'single'; uploadId: string; key: string; url: string; method: string; headers: Record<string, string> };

export async function createUpload(p: { bucket: string; key: string; size: number; contentType: string }): Promise<DirectSession> {
    const r = await request('POST', '/api/uploads', { body: p, decode: wireSession });
    if (r.url) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(r.headers ?? {})) if (typeof v === 'string') headers[k] = v;
        return { kind: 'single', uploadId: r.uploadId, key: r.key, url: r.url, method: r.method ?? 'PUT', headers };
    }
    return {
        kind: 'multipart',
        uploadId: r.uploadId,
        key: r.key,
        partSize: r.partSize ?? 0,
        urls: new Map((r.parts ?? []).map((x) => [x.partNumber, x.url])),
    };
}

export interface CompletedPart {
    partNumber: number;
    etag: string;
    size: number;
}

export async function getUpload(uploadId: string): Promise<{ uploadId: string; key: string; partSize: number; completedParts: CompletedPart[] }> {
    return request('GET', `/api/uploads/${encodeURIComponent(uploadId)}`, {
        decode: obj({
            uploadId: str,
            key: str,
            partSize: num,
            completedParts: withDefault(arr(obj({ partNumber: num, etag: str, size: withDefault(num, 0) })), []),
        }),
    });
}

export async function partUrls(uploadId: string, partNumbers: number[]): Promise<Map<number, string>> {
    const r = await request('POST', `/api/uploads/${encodeURIComponent(uploadId)}/parts`, {
        body: { partNumbers },
        decode: obj({ parts: arr(partUrl) }),
    });
    return new Map(r.parts.map((x) => [x.partNumber, x.url]));
}

export async function completeUpload(uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<FileItem> {
    const r = await request('POST', `/api/uploads/${encodeURIComponent(uploadId)}/complete`, { body: { parts }, decode: obj({ file: wireObject }) });
    return toFile(r.file);
}

export function abortUpload(uploadId: string): Promise<void> {
    return request('DELETE', `/api/uploads/${encodeURIComponent(uploadId)}`);
}

export async function proxiedUpload(bucket: string, prefix: string, file: File, name: string, onProgress: (n: number) => void, signal?: AbortSignal): Promise<FileItem[]> {
    const body = await proxied(bucket, prefix, file, name, onProgress, signal);
    return obj({ files: arr(wireObject) })(body, '$').files.map(toFile);
}
