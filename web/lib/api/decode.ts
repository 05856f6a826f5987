/*
 * Runtime validation of server answers (STYLE.md rule 25): small decoders
 * that either return a value of the declared type or throw a DecodeError
 * naming the offending path. Hand-written rather than a schema library:
 * the contract is small, and every kilobyte of the file-browser route counts.
 */
export type Decoder<T> = (v: unknown, path: string) => T;

export class DecodeError extends Error {
    constructor(readonly path: string, expected: string) {
        super(`the server's answer is not what this page expects (${path}: ${expected})`);
        this.name = 'DecodeError';
    }
}

export const str: Decoder<string> = (v, p) => {
    if (typeof v !== 'string') throw new DecodeError(p, 'a string');
    return v;
};

export const num: Decoder<number> = (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new DecodeError(p, 'a number');
    return v;
};

export const bool: Decoder<boolean> = (v, p) => {
    if (typeof v !== 'boolean') throw new DecodeError(p, 'true or false');
    return v;
};

/** Accepts null and a missing field alike, as API.md's "may be null". */
export function nullable<T>(d: Decoder<T>): Decoder<T | null> {
    return (v, p) => (v === null || v === undefined ? null : d(v, p));
}

export function optional<T>(d: Decoder<T>): Decoder<T | undefined> {
    return (v, p) => (v === undefined || v === null ? undefined : d(v, p));
}

export function withDefault<T>(d: Decoder<T>, fallback: T): Decoder<T> {
    return (v, p) => (v === undefined || v === null ? fallback : d(v, p));
}

export function arr<T>(d: Decoder<T>): Decoder<T[]> {
    return (v, p) => {
        if (!Array.isArray(v)) throw new DecodeError(p, 'a list');
        return v.map((x, i) => d(x, `${p}[${i}]`));
    };
}

export function oneOf<T extends string>(values: readonly T[]): Decoder<T> {
    return (v, p) => {
        if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
            throw new DecodeError(p, values.join(' | '));
        return v as T;
    };
}

type Shape = Record<string, Decoder<unknown>>;
export type Decoded<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

export function obj<S extends Shape>(shape: S): Decoder<Decoded<S>> {
    return (v, p) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DecodeError(p, 'an object');
        const src = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(shape)) out[k] = shape[k]!(src[k], `${p}.${k}`);
        return out as Decoded<S>;
    };
}

/** A JSON object whose fields are not described by the contract (user metadata, details). */
export const record: Decoder<Record<string, unknown>> = (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DecodeError(p, 'an object');
    return v as Record<string, unknown>;
};

export const anything: Decoder<unknown> = (v) => v;

/** The type a decoder produces. */
export type Infer<D> = D extends Decoder<infer T> ? T : never;

/** An identifier the server may send as a number or a string (user ids); always a string here. */
export const idLike: Decoder<string> = (v, p) => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return str(v, p);
};
