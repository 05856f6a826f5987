/* Where an entry goes in a listing already sorted by the server's order. */
import type { FileItem } from './api/types';
import type { SortKey } from './api/files';

/** Compares keys as S3 and the index order them: by code unit, not by locale. */
function byKey(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when a comes before b in the listing's order. */
export function compareFiles(a: FileItem, b: FileItem, sort: SortKey): number {
    const desc = sort.startsWith('-');
    const col = desc ? sort.slice(1) : sort;
    let c = 0;
    if (col === 'size') c = a.size - b.size;
    else if (col === 'lastModified') c = (a.lastModified ?? 0) - (b.lastModified ?? 0);
    if (c === 0) c = byKey(a.key, b.key);
    return desc ? -c : c;
}

/**
 * The files with f in its place: replaced where its key already is (and
 * moved if its size or date changed), inserted in sort order otherwise.
 * When more pages are still to come (complete is false) a file that sorts
 * after the last loaded one is left for those pages rather than appended.
 */
export function insertSorted(files: readonly FileItem[], f: FileItem, sort: SortKey, complete = true): FileItem[] {
    const rest = files.filter((x) => x.key !== f.key);
    let lo = 0;
    let hi = rest.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareFiles(rest[mid]!, f, sort) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo === rest.length && !complete) return rest.length === files.length ? files.slice() : rest;
    return [...rest.slice(0, lo), f, ...rest.slice(lo)];
}
