import { request } from './client';
import { arr, bool, obj, optional, str, withDefault } from './decode';
import { wireUser, type User } from './types';

/**
 * What a sign-in step led to: a session (enrol: the server requires a
 * second factor the account has not set up yet, so only the account page
 * works), or a second factor to give with the token.
 */
export type SignIn = { kind: 'done'; user: User; enrol: boolean } | { kind: 'mfa'; mfaToken: string };

const wireSignIn = obj({
    user: optional(wireUser),
    mfaRequired: withDefault(bool, false),
    mfaToken: optional(str),
    mfaEnrolmentRequired: withDefault(bool, false),
});

export async function login(email: string, password: string): Promise<SignIn> {
    const r = await request('POST', '/api/auth/login', { body: { email, password }, decode: wireSignIn, quiet401: true });
    if (r.mfaRequired && r.mfaToken) return { kind: 'mfa', mfaToken: r.mfaToken };
    if (!r.user) throw new Error('generic');
    return { kind: 'done', user: r.user, enrol: r.mfaEnrolmentRequired };
}

/** The second step: a code from the authenticator app, or a recovery code. */
export async function verifyMfa(mfaToken: string, code: string): Promise<SignIn> {
    const r = await request('POST', '/api/auth/mfa', { body: { mfaToken, code }, decode: wireSignIn, quiet401: true });
    if (!r.user) throw new Error('generic');
    return { kind: 'done', user: r.user, enrol: r.mfaEnrolmentRequired };
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

export const wireProviders = obj({
    password: bool,
    oidc: arr(obj({ id: str, name: str })),
});
export interface SignInMethods {
    /** Whether the password form is offered (SEAU_PASSWORD_LOGIN). */
    password: boolean;
    /** The identity providers, sorted by name for a stable page. */
    providers: { id: string; name: string }[];
}

/** What the login page offers (public). */
export async function providers(): Promise<SignInMethods> {
    const r = await request('GET', '/api/auth/providers', { decode: wireProviders, quiet401: true });
    return { password: r.password, providers: [...r.oidc].sort((a, b) => a.name.localeCompare(b.name)) };
}

/** Where the browser goes to sign in with provider, coming back to next (a same-site path). */
export function ssoStartUrl(provider: string, next: string): string {
    return `/api/auth/oidc/${encodeURIComponent(provider)}/start?returnTo=${encodeURIComponent(next)}`;
}

/** Where the browser goes after signing out to end the provider's session too. */
export function ssoLogoutUrl(provider: string): string {
    return `/api/auth/oidc/${encodeURIComponent(provider)}/logout`;
}

/** The login page's sentence id for a /login?error= code (unknown codes get a generic one). */
export const SSO_ERRORS = [
    'sso_provider',
    'sso_return_to',
    'sso_unavailable',
    'sso_state',
    'sso_denied',
    'sso_exchange',
    'sso_token',
    'sso_email',
    'sso_domain',
    'sso_role',
    'sso_account',
] as const;
export function ssoErrorId(code: string | null): `sso.error.${(typeof SSO_ERRORS)[number] | 'unknown'}` | null {
    if (!code) return null;
    const known = (SSO_ERRORS as readonly string[]).includes(code);
    return `sso.error.${known ? (code as (typeof SSO_ERRORS)[number]) : 'unknown'}`;
}
