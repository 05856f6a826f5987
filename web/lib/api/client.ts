/*
 * The one place that talks HTTP to seau (STYLE.md rule 25). Every call sends
 * the session cookie, decodes the answer at run time and turns API.md's
 * error shape into an ApiError. A 401 on any call but login reports the
 * session as gone through onSessionLost, so the shell can send the user to
 * the sign-in page and back to where they were.
 */
import { DecodeError, type Decoder } from './decode';

export class ApiError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly details: Record<string, unknown> = {},
        readonly retryAfter?: number,
    ) {
        super(message);
        this.name = 'ApiError';
    }
}

export type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>;

let sessionLost: (() => void) | null = null;

/** Registers what to do when the server says the session is over (one listener: the shell). */
export function onSessionLost(fn: (() => void) | null): void {
    sessionLost = fn;
}

export function queryString(q: Query = {}): string {
    const sp = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) {
        if (v === undefined || v === null || v === '') continue;
        if (Array.isArray(v)) for (const x of v as readonly string[]) sp.append(k, x);
        else sp.set(k, String(v));
    }
    const s = sp.toString();
    return s ? `?${s}` : '';
}

/** A same-origin URL for links and media elements (downloads, previews). */
export function apiUrl(path: string, q?: Query): string {
    return `${path}${queryString(q)}`;
}

interface Options<T> {
    query?: Query;
    body?: unknown;
    decode?: Decoder<T>;
    /** Do not report a 401 as a lost session (the login call itself). */
    quiet401?: boolean;
    signal?: AbortSignal;
}

async function errorFrom(res: Response): Promise<ApiError> {
    let code = 'http_' + res.status;
    let message = '';
    let details: Record<string, unknown> = {};
    try {
        const j = (await res.json()) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
        if (j.error && typeof j.error.code === 'string') code = j.error.code;
        if (j.error && typeof j.error.message === 'string') message = j.error.message;
        if (j.error && typeof j.error.details === 'object' && j.error.details) details = j.error.details as Record<string, unknown>;
    } catch {
        /* not JSON (a proxy's page): the code from the status is enough */
    }
    const ra = Number(res.headers.get('Retry-After'));
    return new ApiError(res.status, code, message, details, Number.isFinite(ra) && ra > 0 ? ra : undefined);
}

export async function request<T>(method: string, path: string, o: Options<T> = {}): Promise<T> {
    let res: Response;
    try {
        res = await fetch(path + queryString(o.query), {
            method,
            credentials: 'same-origin',
            headers: o.body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
            body: o.body === undefined ? undefined : JSON.stringify(o.body),
            signal: o.signal,
        });
    } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') throw e;
        throw new ApiError(0, 'network', '');
    }
    if (!res.ok) {
        const err = await errorFrom(res);
        if (res.status === 401 && !o.quiet401) sessionLost?.();
        throw err;
    }
    if (res.status === 204 || !o.decode) {
        await res.arrayBuffer().catch(() => undefined);
        return undefined as T;
    }
    let json: unknown;
    try {
        json = await res.json();
    } catch {
        throw new ApiError(res.status, 'bad_response', '');
    }
    try {
        return o.decode(json, '$');
    } catch (e) {
        if (e instanceof DecodeError) {
            /* For developers: which field broke the contract. People see a plain sentence. */
            console.warn(`${method} ${path}: ${e.message}`);
            throw new ApiError(res.status, 'bad_response', e.message);
        }
        throw e;
    }
}
