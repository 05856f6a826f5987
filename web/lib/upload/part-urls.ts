/*
 * The presigned URLs of one direct upload's parts: the ones the session
 * came with (POST /api/uploads presigns the first 100), then batches fetched
 * as the parts come up (POST /api/uploads/{id}/parts, at most
 * URLS_PER_REQUEST numbers a request, the server's limit). Fetching as the
 * parts come up, not all at the start, lets the first bytes go at once and
 * keeps URLs fresh on long uploads (they expire); an expired one is dropped
 * and fetched again. Workers asking at the same time share one request.
 */
export const URLS_PER_REQUEST = 100;

export type FetchUrls = (partNumbers: number[]) => Promise<Map<number, string>>;

export class PartUrls {
    private readonly urls: Map<number, string>;
    private pending: { numbers: Set<number>; done: Promise<void> } | null = null;

    /**
     * @param fetchUrls asks the server for fresh URLs
     * @param upcoming the part numbers still to send, in sending order (a batch takes the next ones)
     */
    constructor(
        initial: ReadonlyMap<number, string>,
        private readonly fetchUrls: FetchUrls,
        private readonly upcoming: () => readonly number[],
    ) {
        this.urls = new Map(initial);
    }

    /** The URL of part n, fetched with the next parts' when it is not at hand. Rejects when the server gives none. */
    async get(n: number): Promise<string> {
        for (;;) {
            const u = this.urls.get(n);
            if (u) return u;
            const mine = !this.pending;
            const p = this.pending ?? (this.pending = this.fetch(n));
            try {
                await p.done;
            } finally {
                if (mine) this.pending = null;
            }
            if (p.numbers.has(n) && !this.urls.has(n)) throw new Error(`no URL for part ${n}`);
        }
    }

    /** Forgets part n's URL (S3 refused it: expired), so the next get fetches a fresh one. */
    drop(n: number): void {
        this.urls.delete(n);
    }

    private fetch(n: number): { numbers: Set<number>; done: Promise<void> } {
        const numbers = new Set([n]);
        for (const m of this.upcoming()) {
            if (numbers.size >= URLS_PER_REQUEST) break;
            if (!this.urls.has(m)) numbers.add(m);
        }
        const done = this.fetchUrls([...numbers]).then((got) => {
            for (const [k, v] of got) this.urls.set(k, v);
        });
        return { numbers, done };
    }
}
