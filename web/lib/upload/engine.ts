/*
 * One file's upload, framework-free: direct to S3 through presigned URLs
 * (parts in parallel, each retried, resumable), or through seau when the
 * browser cannot reach S3. The React side (components/upload) only
 * observes tasks and calls start/cancel.
 */
import { ApiError, TransferError, putToUrl, trust, uploads, type FileItem } from '../api';
import { dropFile, keepFile } from './kept-files';
import {
    MAX_PART_ATTEMPTS,
    S3_MAX_OBJECT,
    checkPartSize,
    concurrencyFor,
    findResumable,
    keyProblem,
    nextSpeed,
    planParts,
    resumePlan,
    retryDelay,
    type Part,
} from './planner';
import { PartUrls } from './part-urls';
import { withRetry } from './retry';
import { addRecord, loadRecords, removeRecord } from './store';

export type UploadStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface TaskView {
    id: number;
    name: string;
    bucket: string;
    key: string;
    size: number;
    loaded: number;
    speed: number;
    status: UploadStatus;
    error: unknown;
    resumedParts: number;
    viaServer: boolean;
    /** The bytes are sent and the server is checking the file (complete: sniffing, malware scan). */
    scanning: boolean;
    /** The store cannot resume (no ListParts): the interrupted upload began again from the start. */
    restarted: boolean;
}

let nextId = 1;

/** How often, at most, an upload's progress repaints the page. */
const PROGRESS_EVERY_MS = 250;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(new DOMException('cancelled', 'AbortError'));
        }, { once: true });
    });
}

function isAbort(e: unknown): boolean {
    return e instanceof DOMException && e.name === 'AbortError';
}

/* The saved session and its kept file go together. */
function forget(uploadId: string): void {
    removeRecord(uploadId);
    void dropFile(uploadId);
}

export class UploadTask {
    readonly id = nextId++;
    status: UploadStatus = 'queued';
    error: unknown = null;
    speed = 0;
    resumedParts = 0;
    viaServer = false;
    scanning = false;
    restarted = false;
    result: FileItem | null = null;
    private doneBytes = 0;
    private inflight = new Map<number, number>();
    private anySent = false;
    private ctrl: AbortController | null = null;
    private uploadId: string | null = null;
    private lastSample = { t: 0, bytes: 0 };
    private lastShown = 0;

    constructor(
        readonly file: File,
        readonly bucket: string,
        readonly key: string,
        private readonly changed: () => void,
    ) {}

    /** The server's upload session while one is open (saved for a resume after a reload). */
    get session(): string | null {
        return this.uploadId;
    }

    get loaded(): number {
        let n = this.doneBytes;
        for (const v of this.inflight.values()) n += v;
        return Math.min(n, this.file.size);
    }

    view(): TaskView {
        return {
            id: this.id,
            name: this.key.slice(this.key.lastIndexOf('/') + 1),
            bucket: this.bucket,
            key: this.key,
            size: this.file.size,
            loaded: this.status === 'done' ? this.file.size : this.loaded,
            speed: this.speed,
            status: this.status,
            error: this.error,
            resumedParts: this.resumedParts,
            viaServer: this.viaServer,
            scanning: this.scanning,
            restarted: this.restarted,
        };
    }

    /* Progress: the speed sampled every 500 ms, the page told at most every PROGRESS_EVERY_MS
     * (progress events come by the hundred a second; each repaint costs the page's CPU,
     * which the upload needs). Status changes tell the page at once. */
    private tick() {
        const now = performance.now();
        if (now - this.lastSample.t >= 500) {
            const bytes = this.loaded;
            if (this.lastSample.t > 0) this.speed = nextSpeed(this.speed, Math.max(0, bytes - this.lastSample.bytes), now - this.lastSample.t);
            this.lastSample = { t: now, bytes };
        }
        if (now - this.lastShown >= PROGRESS_EVERY_MS) {
            this.lastShown = now;
            this.changed();
        }
    }

    cancel(): void {
        if (this.status === 'queued') {
            this.status = 'cancelled';
            this.changed();
            return;
        }
        this.ctrl?.abort();
    }

    async run(): Promise<void> {
        /* S3's own ceiling; the server's lower limit and allowed types answer POST /api/uploads
         * before any byte moves, and the refusal is shown in plain words. */
        const problem = this.file.size > S3_MAX_OBJECT ? 'payload_too_large' : keyProblem(this.key);
        if (problem) {
            this.status = 'failed';
            this.error = new Error(problem);
            this.changed();
            return;
        }
        this.ctrl = new AbortController();
        this.status = 'running';
        this.error = null;
        /* A retry starts from what S3 and the saved record say, never from the last run's state. */
        this.uploadId = null;
        this.anySent = false;
        this.doneBytes = 0;
        this.resumedParts = 0;
        this.viaServer = false;
        this.restarted = false;
        this.speed = 0;
        this.inflight.clear();
        this.lastSample = { t: 0, bytes: 0 };
        this.lastShown = 0;
        this.changed();
        const signal = this.ctrl.signal;
        try {
            let fallback = false;
            try {
                await this.direct(signal);
            } catch (e) {
                /* S3 refused the browser before any byte landed (CORS, an endpoint
                 * browsers cannot reach): send the bytes through seau instead. */
                if (e instanceof TransferError && e.unreachable && !this.anySent) fallback = true;
                else throw e;
            }
            if (fallback) {
                if (this.uploadId) {
                    await uploads.abortUpload(this.uploadId).catch(() => undefined);
                    forget(this.uploadId);
                }
                this.viaServer = true;
                this.doneBytes = 0;
                const prefix = this.key.slice(0, this.key.lastIndexOf('/') + 1);
                const files = await uploads.proxiedUpload(this.bucket, prefix, this.file, this.key.slice(prefix.length), (n) => {
                    this.inflight.set(0, n);
                    this.tick();
                }, signal);
                this.result = files[0] ?? null;
            }
            this.status = 'done';
        } catch (e) {
            if (isAbort(e)) {
                this.status = 'cancelled';
                if (this.uploadId) {
                    const id = this.uploadId;
                    forget(id);
                    uploads.abortUpload(id).catch(() => undefined);
                }
            } else {
                this.status = 'failed';
                this.error = e;
            }
        }
        this.inflight.clear();
        this.changed();
    }

    private async direct(signal: AbortSignal): Promise<void> {
        const f = this.file;
        const identity = { name: f.name, size: f.size, lastModified: f.lastModified };
        let partSize = 0;
        let completed: uploads.CompletedPart[] = [];
        let urls = new Map<number, string>();
        const saved = findResumable(loadRecords(), identity, this.bucket, this.key, Date.now());
        if (saved) {
            try {
                const s = await uploads.getUpload(saved.uploadId);
                this.uploadId = s.uploadId;
                partSize = s.partSize;
                completed = s.completedParts;
            } catch (e) {
                if (!(e instanceof ApiError) || e.status === 0) throw e;
                if (e.status >= 500) {
                    /* A store without ListParts (s3rver) cannot say which parts it holds: say so, and begin again. */
                    const caps = await trust.capabilities(this.bucket).catch(() => null);
                    if (!caps || caps.listParts) throw e;
                    uploads.abortUpload(saved.uploadId).catch(() => undefined);
                    this.restarted = true;
                }
                forget(saved.uploadId); /* gone or expired on the server: start afresh */
            }
        }
        if (!this.uploadId) {
            const s = await uploads.createUpload({ bucket: this.bucket, key: this.key, size: f.size, contentType: f.type || 'application/octet-stream' });
            this.uploadId = s.uploadId;
            if (s.kind === 'single') {
                const etag = await putToUrl(s.url, f, s.headers, (n) => {
                    this.inflight.set(1, n);
                    this.tick();
                }, signal);
                this.anySent = true;
                /* Name the one part: S3s without ListParts (s3rver) cannot find it otherwise. */
                this.result = await this.complete(s.uploadId, [{ partNumber: 1, etag }]);
                return;
            }
            partSize = s.partSize;
            urls = s.urls;
            addRecord({ ...identity, bucket: this.bucket, key: this.key, uploadId: s.uploadId, partSize, createdAt: Date.now() });
            /* Chromium keeps a picked file by reference (measured: a 1 GiB file in ~20 ms, no copy). */
            void keepFile(s.uploadId, f);
        }
        const uploadId = this.uploadId;
        /* A part size S3 would refuse fails now, in plain words, not after the bytes are sent. */
        if (checkPartSize(f.size, partSize)) throw new ApiError(200, 'bad_response', checkPartSize(f.size, partSize) ?? '');
        const plan = planParts(f.size, partSize);
        const { todo, done } = resumePlan(plan, completed);
        this.resumedParts = done.size;
        this.doneBytes = plan.filter((p) => done.has(p.partNumber)).reduce((n, p) => n + (p.end - p.start), 0);
        if (done.size > 0) this.anySent = true;
        this.changed();

        const queue = [...todo];
        const partUrls = new PartUrls(urls, (numbers) => uploads.partUrls(uploadId, numbers), () => queue.map((p) => p.partNumber));
        const sendPart = (p: Part) =>
            withRetry(
                async () => {
                    const url = await partUrls.get(p.partNumber);
                    let etag: string;
                    try {
                        etag = await putToUrl(url, f.slice(p.start, p.end), {}, (n) => {
                            this.inflight.set(p.partNumber, n);
                            this.tick();
                        }, signal);
                    } finally {
                        this.inflight.delete(p.partNumber);
                    }
                    done.set(p.partNumber, etag);
                    this.doneBytes += p.end - p.start;
                    this.anySent = true;
                    this.tick();
                },
                {
                    attempts: MAX_PART_ATTEMPTS,
                    delay: (attempt) => retryDelay(attempt, Math.random()),
                    sleep: (ms) => sleep(ms, signal),
                    /* A cancel; a store the browser cannot reach before any byte landed (the caller falls back
                     * to seau); seau refusing the part's URL (the session is gone): no retry mends these. */
                    fatal: (e) =>
                        isAbort(e) ||
                        (e instanceof TransferError && e.unreachable && !this.anySent) ||
                        (e instanceof ApiError && e.status >= 400 && e.status < 500),
                    onRetry: (e) => {
                        if (e instanceof TransferError && e.status === 403) partUrls.drop(p.partNumber); /* expired URL */
                    },
                    exhausted: () => new Error('part_failed'),
                },
            );
        const workers = Array.from({ length: Math.min(concurrencyFor(f.size, partSize), Math.max(1, queue.length)) }, async () => {
            for (let p = queue.shift(); p; p = queue.shift()) await sendPart(p);
        });
        await Promise.all(workers);
        const parts = [...done].sort((a, b) => a[0] - b[0]).map(([partNumber, etag]) => ({ partNumber, etag }));
        this.result = await this.complete(uploadId, parts);
        forget(uploadId);
    }

    /** complete, shown as "scanning" while the server checks the file (it may stream it to clamd). */
    private async complete(uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<FileItem> {
        this.scanning = true;
        this.changed();
        try {
            return await uploads.completeUpload(uploadId, parts);
        } finally {
            this.scanning = false;
            this.changed();
        }
    }
}

/** Runs tasks, a few files at a time, and tells listeners about every change. */
export class UploadManager {
    private tasks: UploadTask[] = [];
    private running = 0;
    private listeners = new Set<() => void>();
    private doneListeners = new Set<(t: UploadTask) => void>();
    private snapshot: TaskView[] = [];
    private scheduled = false;

    constructor(private readonly maxFiles = 3) {}

    subscribe(fn: () => void): () => void {
        this.listeners.add(fn);
        return () => this.listeners.delete(fn);
    }

    onUploaded(fn: (t: UploadTask) => void): () => void {
        this.doneListeners.add(fn);
        return () => this.doneListeners.delete(fn);
    }

    views(): TaskView[] {
        return this.snapshot;
    }

    private changed = () => {
        /* Progress events come by the hundred a second: repaint at most every frame. */
        if (this.scheduled) return;
        this.scheduled = true;
        const flush = () => {
            this.scheduled = false;
            this.snapshot = this.tasks.map((t) => t.view());
            for (const l of this.listeners) l();
        };
        if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
        else setTimeout(flush, 16);
    };

    add(files: { file: File; key: string }[], bucket: string): void {
        for (const { file, key } of files) this.tasks.push(new UploadTask(file, bucket, key, this.changed));
        this.changed();
        this.pump();
    }

    /** Whether leaving the page now would cut an upload off. */
    busy(): boolean {
        return this.tasks.some((t) => t.status === 'running' || t.status === 'queued');
    }

    /** The server sessions of this page's uploads (the others in storage were interrupted). */
    liveSessions(): Set<string> {
        return new Set(this.tasks.map((t) => t.session).filter((x): x is string => !!x));
    }

    /** Gives up an interrupted upload: S3 drops its parts, the saved session and file go. */
    forgetInterrupted(uploadId: string): void {
        forget(uploadId);
        uploads.abortUpload(uploadId).catch(() => undefined);
        this.changed();
    }

    find(id: number): UploadTask | undefined {
        return this.tasks.find((t) => t.id === id);
    }

    cancel(id: number): void {
        this.find(id)?.cancel();
    }

    retry(id: number): void {
        const t = this.find(id);
        if (t && (t.status === 'failed' || t.status === 'cancelled')) {
            t.status = 'queued';
            this.changed();
            this.pump();
        }
    }

    remove(id: number): void {
        this.tasks = this.tasks.filter((t) => t.id !== id || t.status === 'running');
        this.changed();
    }

    clearFinished(): void {
        this.tasks = this.tasks.filter((t) => t.status === 'running' || t.status === 'queued');
        this.changed();
    }

    private pump(): void {
        while (this.running < this.maxFiles) {
            const t = this.tasks.find((x) => x.status === 'queued');
            if (!t) return;
            this.running++;
            t.run().finally(() => {
                this.running--;
                if (t.status === 'done') for (const l of this.doneListeners) l(t);
                this.pump();
            });
        }
    }
}
