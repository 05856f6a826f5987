/* The loop of a folder job: list a page, send one batch, save, again; stops when cancelled. */
import { files as api, trust } from '../api';
import { afterBatch, finish, mergeJob, newJob, nextBatch, parseJobs, type Job, type JobKind } from './jobs';

const KEY = 'seau.jobs';

function storage(): Storage | null {
    try {
        return typeof localStorage === 'undefined' ? null : localStorage;
    } catch {
        return null;
    }
}

export function loadJobs(): Job[] {
    return parseJobs(storage()?.getItem(KEY) ?? null);
}

function save(j: Job): Job[] {
    const list = mergeJob(loadJobs(), j);
    try {
        storage()?.setItem(KEY, JSON.stringify(list));
    } catch {
        /* full or disabled: the job still runs, it only cannot go on after a reload */
    }
    return list;
}

export function forgetFinished(): Job[] {
    const list = loadJobs().filter((j) => j.status === 'running');
    storage()?.setItem(KEY, JSON.stringify(list));
    return list;
}

export class JobRunner {
    private cancelled = new Set<string>();
    private running = new Set<string>();

    constructor(private readonly changed: (jobs: Job[]) => void) {}

    async start(p: { kind: JobKind; bucket: string; prefix: string; destBucket?: string; destPrefix?: string }): Promise<Job> {
        const total = await trust.prefixTotals(p.bucket, p.prefix).then((t) => t.objects, () => null);
        const j = newJob({ ...p, id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, total, now: Date.now() });
        this.changed(save(j));
        void this.run(j);
        return j;
    }

    cancel(id: string): void {
        this.cancelled.add(id);
        const j = loadJobs().find((x) => x.id === id);
        if (j && j.status === 'running' && !this.running.has(id)) this.changed(save({ ...j, status: 'cancelled', endedAt: Date.now() }));
    }

    /** Goes on with the saved jobs a reload interrupted (one tab at a time, where Web Locks exist). */
    resumeAll(): void {
        for (const j of loadJobs()) if (j.status === 'running') void this.run(j);
    }

    private async run(j: Job): Promise<void> {
        if (this.running.has(j.id)) return;
        const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
        if (locks) {
            await locks.request(`seau-job-${j.id}`, { ifAvailable: true }, async (lock) => {
                if (lock) await this.loop(j);
            });
        } else await this.loop(j);
    }

    private async loop(start: Job): Promise<void> {
        this.running.add(start.id);
        let j = loadJobs().find((x) => x.id === start.id) ?? start;
        try {
            while (j.status === 'running') {
                if (this.cancelled.has(j.id)) {
                    j = { ...j, status: 'cancelled', endedAt: Date.now() };
                    break;
                }
                const page = await api.list({ bucket: j.bucket, prefix: j.prefix, cursor: j.kind === 'copy' ? j.cursor : null, limit: 1000 });
                const files = page.files.map((f) => f.key).filter((k) => k !== j.prefix);
                const folders = page.folders.map((f) => f.prefix);
                if (files.length === 0 && folders.length === 0) {
                    j = finish(j, Date.now());
                    break;
                }
                const b = nextBatch(files, folders);
                if (j.kind === 'delete') {
                    const r = await api.remove(j.bucket, b.keys, b.prefixes);
                    j = afterBatch(j, r.deleted.length, r.errors.map((e) => ({ key: e.key, message: e.message || e.code })), Date.now());
                } else {
                    const r = await api.copy({ bucket: j.bucket, sources: [...b.keys, ...b.prefixes], destinationBucket: j.destBucket ?? j.bucket, destinationPrefix: j.destPrefix ?? '', move: j.kind === 'move' });
                    j = afterBatch(j, r.copied.length, r.errors.map((e) => ({ key: e.key ?? e.source ?? '', message: e.message || e.code })), Date.now());
                    /* Copying leaves the source in place: go on after what this batch took. */
                    if (j.kind === 'copy') {
                        const took = b.keys.length + b.prefixes.length;
                        if (took >= files.length + folders.length) {
                            if (!page.nextCursor) j = finish(j, Date.now());
                            else j = { ...j, cursor: page.nextCursor };
                        } else j = await this.copyRest(j, files.slice(b.keys.length), folders.slice(b.prefixes.length), page.nextCursor);
                    }
                }
                this.changed(save(j));
            }
        } catch (e) {
            j = { ...j, status: 'failed', endedAt: Date.now(), errors: [...j.errors, { key: '', message: e instanceof Error ? e.message : String(e) }].slice(0, 5) };
        }
        this.running.delete(j.id);
        this.cancelled.delete(j.id);
        this.changed(save(j));
    }

    /* The rest of one listed page, batch by batch (copies only: the listing does not shrink). */
    private async copyRest(j: Job, files: string[], folders: string[], nextCursor: string | null): Promise<Job> {
        while ((files.length || folders.length) && j.status === 'running' && !this.cancelled.has(j.id)) {
            const b = nextBatch(files, folders);
            const r = await api.copy({ bucket: j.bucket, sources: [...b.keys, ...b.prefixes], destinationBucket: j.destBucket ?? j.bucket, destinationPrefix: j.destPrefix ?? '', move: false });
            j = afterBatch(j, r.copied.length, r.errors.map((e) => ({ key: e.key ?? e.source ?? '', message: e.message || e.code })), Date.now());
            files = files.slice(b.keys.length);
            folders = folders.slice(b.prefixes.length);
            this.changed(save(j));
        }
        if (j.status !== 'running' || this.cancelled.has(j.id)) return j;
        return nextCursor ? { ...j, cursor: nextCursor } : finish(j, Date.now());
    }
}
