/*
 * Second factors, sessions, personal access tokens and the access
 * explainer (API.md "Identity providers, MFA, sessions, tokens").
 */
import { request } from './client';
import { arr, bool, nullable, num, obj, str, type Infer } from './decode';

const wireMfaStatus = obj({ enabled: bool, recoveryCodesLeft: num, enrolmentRequired: bool });
export type MfaStatus = Infer<typeof wireMfaStatus>;

export function mfaStatus(): Promise<MfaStatus> {
    return request('GET', '/api/auth/mfa', { decode: wireMfaStatus });
}

/** A new secret, not active until confirmed: the otpauth URL is what the QR code shows. */
export function mfaSetup(): Promise<{ secret: string; otpauthUrl: string }> {
    return request('POST', '/api/auth/mfa/setup', { decode: obj({ secret: str, otpauthUrl: str }) });
}

/*
 * A wrong code answers 401 invalid_code: the session is fine, so these
 * calls do not report it as lost (quiet401); the form shows the error.
 */

/** Turns the factor on; the ten recovery codes are shown once. */
export async function mfaConfirm(code: string): Promise<string[]> {
    return (await request('POST', '/api/auth/mfa/confirm', { body: { code }, decode: obj({ recoveryCodes: arr(str) }), quiet401: true })).recoveryCodes;
}

export function mfaDisable(code: string): Promise<void> {
    return request('DELETE', '/api/auth/mfa', { body: { code }, quiet401: true });
}

/** An admin turns another account's second factor off. */
export function mfaReset(userId: string): Promise<void> {
    return request('DELETE', `/api/users/${encodeURIComponent(userId)}/mfa`);
}

const wireSession = obj({
    id: str,
    createdAt: str,
    lastSeenAt: str,
    ip: nullable(str),
    userAgent: nullable(str),
    current: bool,
});
export type Session = Infer<typeof wireSession>;

export async function sessions(): Promise<Session[]> {
    return (await request('GET', '/api/auth/sessions', { decode: obj({ sessions: arr(wireSession) }) })).sessions;
}

export function endSession(id: string): Promise<void> {
    return request('DELETE', `/api/auth/sessions/${encodeURIComponent(id)}`);
}

export function endOtherSessions(): Promise<void> {
    return request('DELETE', '/api/auth/sessions');
}

const wireToken = obj({
    id: str,
    name: str,
    createdAt: str,
    expiresAt: nullable(str),
    lastUsedAt: nullable(str),
});
export type Token = Infer<typeof wireToken>;

export async function tokens(): Promise<Token[]> {
    return (await request('GET', '/api/tokens', { decode: obj({ tokens: arr(wireToken) }) })).tokens;
}

/** Creates a token; expiresIn in seconds, 0 for never. The secret is in `token`, shown once. */
export function createToken(name: string, expiresIn: number): Promise<Token & { token: string }> {
    return request('POST', '/api/tokens', {
        body: { name, expiresIn },
        decode: obj({ id: str, name: str, createdAt: str, expiresAt: nullable(str), lastUsedAt: nullable(str), token: str }),
    });
}

export function revokeToken(id: string): Promise<void> {
    return request('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
}

export const EXPLAIN_ACTIONS = ['read', 'upload', 'delete', 'share'] as const;
export type ExplainAction = (typeof EXPLAIN_ACTIONS)[number];

const wireExplanation = obj({
    allowed: bool,
    reason: str,
    grant: nullable(obj({ bucket: str, prefix: str })),
});
export type Explanation = Infer<typeof wireExplanation>;

export function explain(userId: string, bucket: string, key: string, action: ExplainAction): Promise<Explanation> {
    return request('GET', '/api/access/explain', { query: { userId, bucket, key, action }, decode: wireExplanation });
}

/** A short name for a browser's user agent ("Firefox on Linux"), or the agent itself. */
export function deviceName(ua: string | null): string {
    if (!ua) return '—';
    const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
    const os = /Windows/.test(ua) ? 'Windows' : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Linux/.test(ua) ? 'Linux' : null;
    if (browser && os) return `${browser} · ${os}`;
    return ua.length > 60 ? ua.slice(0, 57) + '…' : ua;
}
