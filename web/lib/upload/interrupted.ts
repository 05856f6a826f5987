/* Which saved upload sessions a reload interrupted, and whether a re-picked file is the same one. Pure. */
import type { FileIdentity, ResumeRecord } from './planner';

/** Saved sessions that no upload of this page is running: each was cut off by a reload or a crash. */
export function interrupted(records: readonly ResumeRecord[], live: ReadonlySet<string>, now: number, maxAge: number): ResumeRecord[] {
    return records.filter((r) => !live.has(r.uploadId) && now - r.createdAt <= maxAge);
}

/** Why a re-picked file is not the interrupted one, or null when name, size and date all match. */
export function mismatch(r: FileIdentity, f: FileIdentity): 'name' | 'size' | 'date' | null {
    if (f.name !== r.name) return 'name';
    if (f.size !== r.size) return 'size';
    if (f.lastModified !== r.lastModified) return 'date';
    return null;
}
