import { request } from './client';
import { arr, idLike, nullable, obj, str } from './decode';
import { wireShare, type Share } from './types';

export interface NewShare {
    bucket: string;
    key: string;
    expiresIn?: number;
    password?: string;
    maxDownloads?: number;
}

export async function createShare(s: NewShare): Promise<{ id: string; url: string; expiresAt: string | null }> {
    return request('POST', '/api/shares', {
        body: s,
        decode: obj({ id: idLike, url: str, expiresAt: nullable(str) }),
    });
}

export async function listShares(bucket?: string, cursor?: string | null): Promise<{ shares: Share[]; nextCursor: string | null }> {
    return request('GET', '/api/shares', {
        query: { bucket, cursor },
        decode: obj({ shares: arr(wireShare), nextCursor: nullable(str) }),
    });
}

export function revokeShare(id: string): Promise<void> {
    return request('DELETE', `/api/shares/${encodeURIComponent(id)}`);
}
