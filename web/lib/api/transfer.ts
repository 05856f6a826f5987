/*
 * Byte transfers with progress: fetch() reports no upload progress, so
 * uploads use XMLHttpRequest. A status of 0 means the browser refused or
 * lost the request (CORS, network, offline): the caller may fall back to
 * the proxied upload.
 */
import { ApiError } from './client';

export interface Progress {
    (loaded: number): void;
}

export class TransferError extends Error {
    constructor(readonly status: number, readonly code: string, message = '') {
        super(message || code);
        this.name = 'TransferError';
    }
    /** The browser could not reach the URL at all (CORS refusal, network down). */
    get unreachable(): boolean {
        return this.status === 0;
    }
}

function xhr(method: string, url: string, body: XMLHttpRequestBodyInit, headers: Record<string, string>, onProgress: Progress, signal: AbortSignal | undefined, sameOrigin: boolean): Promise<XMLHttpRequest> {
    return new Promise((resolve, reject) => {
        const x = new XMLHttpRequest();
        x.open(method, url);
        x.withCredentials = sameOrigin;
        for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
        x.upload.onprogress = (e) => onProgress(e.loaded);
        x.onload = () => resolve(x);
        x.onerror = () => reject(new TransferError(0, 'unreachable'));
        x.ontimeout = () => reject(new TransferError(0, 'timeout'));
        x.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
        if (signal) {
            if (signal.aborted) return reject(new DOMException('cancelled', 'AbortError'));
            signal.addEventListener('abort', () => x.abort(), { once: true });
        }
        x.send(body);
    });
}

/** PUTs a blob to a presigned URL; resolves with the ETag S3 returned (needs CORS ExposeHeaders ETag). */
export async function putToUrl(url: string, blob: Blob, headers: Record<string, string>, onProgress: Progress, signal?: AbortSignal): Promise<string> {
    const x = await xhr('PUT', url, blob, headers, onProgress, signal, false);
    if (x.status < 200 || x.status >= 300) throw new TransferError(x.status, x.status === 403 ? 's3_forbidden' : 's3_error');
    const etag = x.getResponseHeader('ETag');
    if (!etag) throw new TransferError(0, 'etag_hidden');
    return etag;
}

/** POST /api/upload (multipart/form-data): the bytes go through seau. Resolves with the raw JSON. */
export async function proxiedUpload(bucket: string, prefix: string, file: File, name: string, onProgress: Progress, signal?: AbortSignal): Promise<unknown> {
    const form = new FormData();
    form.append('bucket', bucket);
    form.append('prefix', prefix);
    form.append('file', file, name);
    const x = await xhr('POST', '/api/upload', form, { Accept: 'application/json' }, onProgress, signal, true);
    let body: unknown = null;
    try {
        body = JSON.parse(x.responseText);
    } catch {
        /* not JSON */
    }
    if (x.status < 200 || x.status >= 300) {
        const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
        throw new ApiError(x.status, e?.code ?? `http_${x.status}`, e?.message ?? '', e?.details ?? {});
    }
    return body;
}
