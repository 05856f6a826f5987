/* Upload links (API.md "Upload links"): managers and admins open a folder to uploads. */
import { request } from './client';
import { arr, bool, idLike, nullable, num, obj, str, withDefault, type Infer } from './decode';

export interface NewUploadLink {
    bucket: string;
    prefix: string;
    expiresIn?: number;
    password?: string;
    maxFiles?: number;
    maxBytes?: number;
    message?: string;
}

const wireLink = obj({
    id: idLike,
    bucket: str,
    prefix: withDefault(str, ''),
    createdByEmail: withDefault(nullable(str), null),
    createdAt: str,
    expiresAt: nullable(str),
    hasPassword: withDefault(bool, false),
    maxFiles: nullable(num),
    maxBytes: nullable(num),
    message: withDefault(str, ''),
    files: withDefault(num, 0),
    bytes: withDefault(num, 0),
    state: withDefault(str, 'live'),
});

export type UploadLink = Infer<typeof wireLink>;

export async function createUploadLink(l: NewUploadLink): Promise<{ id: string; url: string; expiresAt: string | null }> {
    return request('POST', '/api/upload-links', { body: l, decode: obj({ id: idLike, url: str, expiresAt: nullable(str) }) });
}

export async function listUploadLinks(cursor?: string | null): Promise<{ links: UploadLink[]; nextCursor: string | null }> {
    return request('GET', '/api/upload-links', {
        query: { cursor },
        decode: obj({ links: arr(wireLink), nextCursor: withDefault(nullable(str), null) }),
    });
}

export function revokeUploadLink(id: string): Promise<void> {
    return request('DELETE', `/api/upload-links/${encodeURIComponent(id)}`);
}
