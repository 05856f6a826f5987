/*
 * Bulk operations on a whole folder (delete, move, copy), run by the browser
 * in batches through the ordinary file API, each batch audited by the server
 * like any other request. A job's state is saved after every batch
 * (localStorage), so after a reload it goes on where it stopped: deleting
 * and moving read the folder again from its start (what is done is gone from
 * it), copying keeps its cursor. Pure parts here; the loop is in runner.ts.
 */
export type JobKind = 'delete' | 'move' | 'copy';
export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled';

export interface Job {
    id: string;
    kind: JobKind;
    bucket: string;
    /** The folder whose contents the job takes. */
    prefix: string;
    destBucket?: string;
    destPrefix?: string;
    /** Objects under the folder when the job began (null: unknown). */
    total: number | null;
    done: number;
    failed: number;
    /** The first few errors, for the summary. */
    errors: { key: string; message: string }[];
    cursor: string | null;
    status: JobStatus;
    startedAt: number;
    endedAt: number | null;
}

export const BATCH_KEYS = 200;
export const BATCH_FOLDERS = 10;
export const KEEP_ERRORS = 5;
export const KEEP_JOBS = 20;

export function newJob(p: { id: string; kind: JobKind; bucket: string; prefix: string; destBucket?: string; destPrefix?: string; total: number | null; now: number }): Job {
    return { ...p, done: 0, failed: 0, errors: [], cursor: null, status: 'running', startedAt: p.now, endedAt: null };
}

/** The next request's worth of a listed page: files first, then folders, within the batch limits. */
export function nextBatch(files: string[], folders: string[]): { keys: string[]; prefixes: string[] } {
    const keys = files.slice(0, BATCH_KEYS);
    const prefixes = keys.length < BATCH_KEYS ? folders.slice(0, BATCH_FOLDERS) : [];
    return { keys, prefixes };
}

/** The job after one batch: counts added, errors kept (the first few), ended when nothing moved. */
export function afterBatch(j: Job, ok: number, errors: { key: string; message: string }[], now: number): Job {
    const next: Job = { ...j, done: j.done + ok, failed: j.failed + errors.length, errors: [...j.errors, ...errors].slice(0, KEEP_ERRORS) };
    /* A batch that changed nothing would be read again forever: stop, and say what failed. */
    if (ok === 0 && errors.length > 0 && j.kind !== 'copy') return { ...next, status: 'failed', endedAt: now };
    return next;
}

export function finish(j: Job, now: number): Job {
    return { ...j, status: j.failed > 0 ? 'failed' : 'done', endedAt: now };
}

/** 0..1, or null while the total is unknown. */
export function progress(j: Job): number | null {
    if (j.status === 'done') return 1;
    if (!j.total) return null;
    return Math.min(1, (j.done + j.failed) / j.total);
}

/** The saved list, newest first, at most KEEP_JOBS. */
export function mergeJob(list: Job[], j: Job): Job[] {
    return [j, ...list.filter((x) => x.id !== j.id)].sort((a, b) => b.startedAt - a.startedAt).slice(0, KEEP_JOBS);
}

export function parseJobs(raw: string | null): Job[] {
    try {
        const v: unknown = raw ? JSON.parse(raw) : [];
        if (!Array.isArray(v)) return [];
        return v.filter((x): x is Job => !!x && typeof x === 'object' && typeof x.id === 'string' && typeof x.bucket === 'string' && ['delete', 'move', 'copy'].includes(x.kind));
    } catch {
        return [];
    }
}
