/* Saved direct-upload sessions (localStorage), so a reload can resume them. */
import { pruneRecords, type ResumeRecord } from './planner';

const KEY = 'seau.uploads';

export function loadRecords(storage: Pick<Storage, 'getItem'> | null = safeStorage()): ResumeRecord[] {
    try {
        const raw = storage?.getItem(KEY);
        const v: unknown = raw ? JSON.parse(raw) : [];
        return Array.isArray(v) ? (v.filter((r) => r && typeof r === 'object' && typeof r.uploadId === 'string') as ResumeRecord[]) : [];
    } catch {
        return [];
    }
}

function save(records: ResumeRecord[], storage: Pick<Storage, 'setItem'> | null) {
    try {
        storage?.setItem(KEY, JSON.stringify(pruneRecords(records, Date.now())));
    } catch {
        /* full or disabled: resuming after a reload is a convenience */
    }
}

export function addRecord(r: ResumeRecord, storage: Storage | null = safeStorage()): void {
    save([r, ...loadRecords(storage).filter((x) => x.uploadId !== r.uploadId)], storage);
}

export function removeRecord(uploadId: string, storage: Storage | null = safeStorage()): void {
    save(loadRecords(storage).filter((x) => x.uploadId !== uploadId), storage);
}

function safeStorage(): Storage | null {
    try {
        return typeof localStorage === 'undefined' ? null : localStorage;
    } catch {
        return null;
    }
}
