/*
 * Numbered names for "keep both": report.pdf → report (1).pdf, as the
 * server names them (src/files/owner.c): the number goes before the last
 * extension of the last path segment, never before the dot of a name that
 * starts with one (.env → .env (1)); a folder "a/b/" becomes "a/b (1)/".
 */
export function numberedName(key: string, n: number): string {
    if (key.endsWith('/')) return `${key.slice(0, -1)} (${n})/`;
    const slash = key.lastIndexOf('/');
    const dot = key.lastIndexOf('.');
    const stemEnd = dot > slash + 1 ? dot : key.length;
    return `${key.slice(0, stemEnd)} (${n})${key.slice(stemEnd)}`;
}

/**
 * The first of key, key (1), key (2), ... for which taken() says no. Gives
 * up (returns null) after `tries` numbers.
 */
export async function freeName(key: string, taken: (k: string) => Promise<boolean>, tries = 1000): Promise<string | null> {
    if (!(await taken(key))) return key;
    for (let i = 1; i <= tries; i++) {
        const k = numberedName(key, i);
        if (!(await taken(k))) return k;
    }
    return null;
}
