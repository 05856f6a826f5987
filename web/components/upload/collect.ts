/*
 * Files from a drop or a picker, each with its path relative to the drop
 * (folders keep their structure). Folders are read through the entries API,
 * which hands out directory listings in batches of up to 100.
 */
export interface Picked {
    file: File;
    path: string;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
    return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
    const reader = dir.createReader();
    const out: FileSystemEntry[] = [];
    return new Promise((resolve, reject) => {
        const more = () =>
            reader.readEntries((batch) => {
                if (batch.length === 0) return resolve(out);
                out.push(...batch);
                more();
            }, reject);
        more();
    });
}

async function walk(entry: FileSystemEntry, base: string, out: Picked[]): Promise<void> {
    if (entry.isFile) out.push({ file: await fileOf(entry as FileSystemFileEntry), path: base + entry.name });
    else if (entry.isDirectory) for (const e of await readAll(entry as FileSystemDirectoryEntry)) await walk(e, `${base}${entry.name}/`, out);
}

export async function fromDrop(dt: DataTransfer): Promise<Picked[]> {
    const out: Picked[] = [];
    const entries: FileSystemEntry[] = [];
    for (const item of Array.from(dt.items)) {
        if (item.kind !== 'file') continue;
        const e = item.webkitGetAsEntry?.();
        if (e) entries.push(e);
    }
    if (entries.length === 0) return Array.from(dt.files).map((file) => ({ file, path: file.name }));
    for (const e of entries) await walk(e, '', out);
    return out;
}

export function fromInput(list: FileList | null): Picked[] {
    return Array.from(list ?? []).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}
