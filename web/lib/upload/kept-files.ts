/*
 * The files of unfinished direct uploads, kept in IndexedDB by upload id so
 * that after a reload "Resume" needs no second pick. Chromium stores a File
 * in IndexedDB (structured clone); where that fails the record stays and
 * the person is asked for the file again, matched by name, size and date.
 * Keeping costs the upload nothing measurable: Chromium 156 stores a picked
 * 1 GiB file in about 20 ms, and neither its storage service nor its
 * browser process spends CPU on it while the upload runs (bench/README.md).
 */
const DB = 'seau-uploads';
const STORE = 'files';

function open(): Promise<IDBDatabase | null> {
    return new Promise((resolve) => {
        try {
            if (typeof indexedDB === 'undefined') return resolve(null);
            const r = indexedDB.open(DB, 1);
            r.onupgradeneeded = () => r.result.createObjectStore(STORE);
            r.onsuccess = () => resolve(r.result);
            r.onerror = () => resolve(null);
            r.onblocked = () => resolve(null);
        } catch {
            resolve(null);
        }
    });
}

/* One operation at a time, in the order asked: a drop asked while a keep is still copying
 * the file runs after it, and never leaves the copy behind. */
let last: Promise<unknown> = Promise.resolve();

function run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T | null> {
    const next = last.then(() => runNow(mode, fn));
    last = next;
    return next;
}

async function runNow<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T | null> {
    const db = await open();
    if (!db) return null;
    return new Promise((resolve) => {
        try {
            const tx = db.transaction(STORE, mode);
            const req = fn(tx.objectStore(STORE));
            tx.oncomplete = () => {
                db.close();
                resolve(req.result ?? null);
            };
            tx.onerror = tx.onabort = () => {
                db.close();
                resolve(null);
            };
        } catch {
            db.close();
            resolve(null);
        }
    });
}

export async function keepFile(uploadId: string, file: File): Promise<boolean> {
    return (await run('readwrite', (s) => s.put(file, uploadId))) !== null;
}

export async function keptFile(uploadId: string): Promise<File | null> {
    const v = await run<unknown>('readonly', (s) => s.get(uploadId));
    return v instanceof File ? v : v instanceof Blob ? null : null;
}

export async function dropFile(uploadId: string): Promise<void> {
    await run('readwrite', (s) => s.delete(uploadId));
}
