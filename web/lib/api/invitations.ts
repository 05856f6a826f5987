/*
 * Invitations (API.md "Authentication and users"): an admin invites by
 * email and gets a one-time link; the link's page (/invite#token=…) shows
 * whom it is for and lets the person choose a password, which signs them in.
 */
import { request } from './client';
import { bool, obj, str, withDefault } from './decode';
import { wireUser, type Role, type User } from './types';

const wireInvitation = obj({ url: str, expiresAt: str, emailed: bool });
export type Invitation = { url: string; expiresAt: string; emailed: boolean };

const wireInvited = obj({ user: wireUser, invitation: wireInvitation });

/** Creates the account without a password and its first link (admin). */
export async function invite(u: { email: string; name: string; role: Role }): Promise<{ user: User; invitation: Invitation }> {
    return request('POST', '/api/users', { body: { ...u, invite: true }, decode: wireInvited });
}

/** A fresh link for an account that has not chosen a password yet; the old link stops working (admin). */
export async function reissue(userId: string): Promise<{ user: User; invitation: Invitation }> {
    return request('POST', `/api/users/${encodeURIComponent(userId)}/invitation`, { decode: wireInvited });
}

/** The token in a link's fragment (#token=…), or null. */
export function tokenFromHash(hash: string): string | null {
    const m = /(?:^#|&)token=([A-Za-z0-9_-]{43})(?:&|$)/.exec(hash);
    return m ? m[1]! : null;
}

/** Whom the link is for, while it works (public). */
export async function lookup(token: string): Promise<{ email: string; name: string; expiresAt: string }> {
    return request('GET', `/api/invitations/${encodeURIComponent(token)}`, {
        decode: obj({ email: str, name: str, expiresAt: str }),
        quiet401: true,
    });
}

/** Chooses the password; the answer is a session, as after signing in (public). */
export async function accept(token: string, password: string): Promise<{ user: User; enrol: boolean }> {
    const r = await request('POST', `/api/invitations/${encodeURIComponent(token)}`, {
        body: { password },
        decode: obj({ user: wireUser, mfaEnrolmentRequired: withDefault(bool, false) }),
        quiet401: true,
    });
    return { user: r.user, enrol: r.mfaEnrolmentRequired };
}
