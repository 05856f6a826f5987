/*
 * One part's retries: the attempt again after a jittered, growing pause
 * (planner.ts retryDelay), up to a number of attempts, except for errors
 * that no retry can mend (a cancel, a store the browser cannot reach).
 * Framework-free and clock-free: the pause is the caller's sleep, so the
 * tests beside this file run without waiting.
 */
export interface RetryOptions {
    /** Attempts in all, the first included (≥ 1). */
    attempts: number;
    /** Milliseconds to wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
    delay(attempt: number): number;
    /** Waits; rejects when the upload is cancelled meanwhile. */
    sleep(ms: number): Promise<void>;
    /** Errors thrown at once, never retried. */
    fatal(e: unknown): boolean;
    /** Told of each failure that will be retried (for instance to drop an expired URL). */
    onRetry?(e: unknown, attempt: number): void;
    /** The error thrown once every attempt failed (default: the last one). */
    exhausted?(last: unknown): unknown;
}

/** Runs fn until it resolves; throws once `attempts` have failed (see exhausted), or a fatal error at once. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn(attempt);
        } catch (e) {
            if (o.fatal(e)) throw e;
            if (attempt >= o.attempts) throw o.exhausted ? o.exhausted(e) : e;
            o.onRetry?.(e, attempt);
            await o.sleep(o.delay(attempt));
        }
    }
}
