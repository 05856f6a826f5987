import { request } from './client';
import { arr, nullable, obj, oneOf, str, withDefault } from './decode';
import { wireActivity, wireUser, type ActivityEntry, type Role, type User } from './types';

export async function listUsers(): Promise<User[]> {
    return (await request('GET', '/api/users', { decode: obj({ users: arr(wireUser) }) })).users;
}

export async function createUser(u: { email: string; name: string; password: string; role: Role }): Promise<User> {
    return (await request('POST', '/api/users', { body: u, decode: obj({ user: wireUser }) })).user;
}

export async function updateUser(id: string, patch: { name?: string; role?: Role; password?: string; disabled?: boolean }): Promise<User> {
    return (await request('PATCH', `/api/users/${encodeURIComponent(id)}`, { body: patch, decode: obj({ user: wireUser }) })).user;
}

export function deleteUser(id: string): Promise<void> {
    return request('DELETE', `/api/users/${encodeURIComponent(id)}`);
}

export const GRANT_LEVELS = ['read', 'upload', 'full'] as const;
export type GrantLevel = (typeof GRANT_LEVELS)[number];

export interface Grant {
    bucket: string;
    prefix: string;
    /** What the grant allows; absent on the wire means "full". */
    level: GrantLevel;
}
const wireGrants = obj({ grants: arr(obj({ bucket: str, prefix: withDefault(str, ''), level: withDefault(oneOf(GRANT_LEVELS), 'full' as GrantLevel) })) });

export async function getGrants(id: string): Promise<Grant[]> {
    return (await request('GET', `/api/users/${encodeURIComponent(id)}/grants`, { decode: wireGrants })).grants;
}

export async function putGrants(id: string, grants: Grant[]): Promise<Grant[]> {
    return (await request('PUT', `/api/users/${encodeURIComponent(id)}/grants`, { body: { grants }, decode: wireGrants })).grants;
}

export interface ActivityFilters {
    user?: string;
    action?: string;
    bucket?: string;
    since?: string;
    until?: string;
}

export async function activity(f: ActivityFilters, cursor?: string | null, limit = 100): Promise<{ entries: ActivityEntry[]; nextCursor: string | null }> {
    return request('GET', '/api/activity', {
        query: { ...f, cursor, limit },
        decode: obj({ entries: arr(wireActivity), nextCursor: nullable(str) }),
    });
}
