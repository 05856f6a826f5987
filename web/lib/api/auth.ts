import { request } from './client';
import { obj, str } from './decode';
import { wireUser, type User } from './types';

export async function login(email: string, password: string): Promise<User> {
    const r = await request('POST', '/api/auth/login', {
        body: { email, password },
        decode: obj({ token: str, user: wireUser }),
        quiet401: true,
    });
    return r.user;
}

export function logout(): Promise<void> {
    return request('POST', '/api/auth/logout', { quiet401: true });
}

/** The signed-in user, or null when there is no session (no redirect). */
export async function me(): Promise<User | null> {
    try {
        return (await request('GET', '/api/auth/me', { decode: obj({ user: wireUser }), quiet401: true })).user;
    } catch (e) {
        if (e instanceof Error && 'status' in e && (e as { status: number }).status === 401) return null;
        throw e;
    }
}

export async function changeOwnPassword(userId: string, currentPassword: string, password: string): Promise<void> {
    await request('PATCH', `/api/users/${encodeURIComponent(userId)}`, {
        body: { currentPassword, password },
        decode: obj({ user: wireUser }),
    });
}
