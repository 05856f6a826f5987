/*
 * The direct-upload planner: pure functions, no I/O, tested beside this file.
 *
 * - Part sizes follow S3's rules: every part but the last at least 5 MiB,
 *   at most 10,000 parts, at most 5 GiB a part. The server picks the part
 *   size of a session (POST /api/uploads answers partSize); choosePartSize
 *   is what this client would pick, and checkPartSize refuses a plan S3
 *   would refuse.
 * - Resuming: after a reload the user re-selects the file; a saved session
 *   is reused only when name, size and last modification all match and it
 *   targets the same bucket and key. The server's completedParts are the
 *   truth: a part is skipped only when the server lists it with the size
 *   this plan expects.
 */
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const S3_MIN_PART = 5 * MiB;
export const S3_MAX_PART = 5 * GiB;
export const S3_MAX_PARTS = 10_000;
export const S3_MAX_OBJECT = 5 * 1024 * GiB;

/** Parts a file is cut into, within [PART_MIN, PART_AIM_MAX]. */
export const PART_AIM = 32;
export const PART_MIN = 8 * MiB;
export const PART_AIM_MAX = 64 * MiB;

/**
 * The part size for a file, the server's rule (files_upload_part_size; the
 * server's partSize is the one used): the size over 32 parts, at least 8 MiB
 * and at most 64 MiB, yet large enough for 10,000 parts, in whole MiB.
 * Fewer, larger parts because each part costs Chromium a request, a CORS
 * preflight and several milliseconds of CPU (bench/README.md: 1 GiB in 8 MiB
 * parts took 6.2 CPU-seconds of Chromium, in 32 MiB parts about 4).
 */
export function choosePartSize(size: number): number {
    const n = Math.max(0, size);
    const part = Math.max(Math.min(Math.max(Math.ceil(n / PART_AIM), PART_MIN), PART_AIM_MAX), Math.ceil(n / S3_MAX_PARTS));
    return Math.min(Math.ceil(part / MiB) * MiB, S3_MAX_PART);
}

/** Null when S3 would accept parts of partSize for this size, else why not. */
export function checkPartSize(size: number, partSize: number): string | null {
    if (!Number.isInteger(partSize) || partSize <= 0) return 'part size is not a positive integer';
    if (partSize > S3_MAX_PART) return 'part size is over 5 GiB';
    if (partSize < S3_MIN_PART && size > partSize) return 'parts other than the last are under 5 MiB';
    if (Math.ceil(size / partSize) > S3_MAX_PARTS) return 'more than 10,000 parts';
    return null;
}

export interface Part {
    partNumber: number;
    start: number;
    /** Exclusive. */
    end: number;
}

/** The parts of a file, numbered from 1; an empty file has one empty part. Throws RangeError for a part size ≤ 0. */
export function planParts(size: number, partSize: number): Part[] {
    if (size === 0) return [{ partNumber: 1, start: 0, end: 0 }];
    if (!Number.isInteger(partSize) || partSize <= 0) throw new RangeError(`part size ${partSize} is not a positive integer`);
    const parts: Part[] = [];
    for (let start = 0, n = 1; start < size; start += partSize, n++)
        parts.push({ partNumber: n, start, end: Math.min(size, start + partSize) });
    return parts;
}

export interface DonePart {
    partNumber: number;
    etag: string;
    size: number;
}

/**
 * Splits the plan into parts still to send and parts already done, from the
 * server's list. A listed part whose size differs from the plan's (a
 * different file, a different part size) is sent again.
 */
export function resumePlan(plan: Part[], completed: readonly DonePart[]): { todo: Part[]; done: Map<number, string> } {
    const byNumber = new Map(completed.map((c) => [c.partNumber, c]));
    const todo: Part[] = [];
    const done = new Map<number, string>();
    for (const p of plan) {
        const c = byNumber.get(p.partNumber);
        if (c && c.etag && c.size === p.end - p.start) done.set(p.partNumber, c.etag);
        else todo.push(p);
    }
    return { todo, done };
}

/**
 * Parts of one file in flight at once: as many as Chromium opens to one
 * host over HTTP/1.1 (6; more would only queue), fewer when the file has
 * fewer parts. Measured with 1 GiB in 32 MiB parts: six ahead of four in
 * two comparisons of three (bench/README.md).
 */
export const MAX_PARTS_IN_FLIGHT = 6;

export function concurrencyFor(size: number, partSize: number): number {
    const parts = Math.ceil(size / Math.max(1, partSize));
    return Math.max(1, Math.min(MAX_PARTS_IN_FLIGHT, parts));
}

/** Milliseconds before retry number `attempt` (1-based) of a failed part; jitter from rnd in [0,1). */
export function retryDelay(attempt: number, rnd: number): number {
    const base = Math.min(8000, 500 * 2 ** (attempt - 1));
    return Math.round(base / 2 + (base / 2) * rnd);
}

export const MAX_PART_ATTEMPTS = 4;

/* ---------------------------------------------------------------- resume records */

export interface FileIdentity {
    name: string;
    size: number;
    lastModified: number;
}

export interface ResumeRecord extends FileIdentity {
    bucket: string;
    key: string;
    uploadId: string;
    partSize: number;
    /** Milliseconds since the epoch. */
    createdAt: number;
}

/** Saved sessions older than this are not offered (the server expires them too). */
export const RESUME_MAX_AGE_MS = 24 * 3600 * 1000;

/** The saved session to resume for this file and destination, or null. */
export function findResumable(records: readonly ResumeRecord[], f: FileIdentity, bucket: string, key: string, now: number): ResumeRecord | null {
    let best: ResumeRecord | null = null;
    for (const r of records) {
        if (r.name !== f.name || r.size !== f.size || r.lastModified !== f.lastModified) continue;
        if (r.bucket !== bucket || r.key !== key) continue;
        if (now - r.createdAt > RESUME_MAX_AGE_MS) continue;
        if (!best || r.createdAt > best.createdAt) best = r;
    }
    return best;
}

/** Drops expired records and keeps at most `max` of the newest. */
export function pruneRecords(records: readonly ResumeRecord[], now: number, max = 50): ResumeRecord[] {
    return records
        .filter((r) => now - r.createdAt <= RESUME_MAX_AGE_MS)
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, max);
}

/* ---------------------------------------------------------------- client-side checks */

/**
 * Why API.md's key rules would refuse this key, or null: 1 to 1024 bytes of
 * UTF-8, no control characters, no "." or ".." segments, no leading "/".
 * Returns a catalogue message id, so the page explains it in plain words.
 */
export function keyProblem(key: string): 'key_empty' | 'key_too_long' | 'key_control' | 'key_dots' | 'key_leading_slash' | null {
    if (key.length === 0) return 'key_empty';
    if (new TextEncoder().encode(key).length > 1024) return 'key_too_long';
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(key)) return 'key_control';
    if (key.startsWith('/')) return 'key_leading_slash';
    if (key.split('/').some((s) => s === '.' || s === '..')) return 'key_dots';
    return null;
}

/** The key a file lands on: the folder, the sub-folders of a dropped folder, the name. */
export function destinationKey(prefix: string, relativePath: string): string {
    const rel = relativePath.replace(/^\/+/, '');
    return prefix + rel;
}

/** Speed (bytes/s) as an exponential moving average, and seconds left (null while unknown). */
export function nextSpeed(prev: number, bytes: number, ms: number): number {
    if (ms <= 0) return prev;
    const now = (bytes * 1000) / ms;
    return prev === 0 ? now : prev * 0.7 + now * 0.3;
}

export function secondsLeft(remaining: number, speed: number): number | null {
    return speed > 0 ? Math.ceil(remaining / speed) : null;
}
