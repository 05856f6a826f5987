/* Formatting of sizes, times and durations for people, in the page's language. */
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/* Intl formatters cost far more to make than to use: a scrolling list formats
 * dozens of rows a frame, so each is made once per language. */
const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function numberFormat(locale: string, digits: number): Intl.NumberFormat {
    const k = `${locale}/${digits}`;
    let f = numberFormats.get(k);
    if (!f) numberFormats.set(k, (f = new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 })));
    return f;
}

/** 1536 -> "1.5 KB" (powers of 1024, as file managers show them). */
export function formatBytes(n: number, locale = 'en'): string {
    if (!Number.isFinite(n) || n < 0) return '—';
    let i = 0;
    let v = n;
    while (v >= 1024 && i < UNITS.length - 1) {
        v /= 1024;
        i++;
    }
    const digits = i === 0 || v >= 100 ? 0 : 1;
    const unit = locale === 'fr' ? UNITS[i]!.replace('B', 'o') : UNITS[i]!;
    return `${numberFormat(locale, digits).format(v)} ${unit}`;
}

export function formatDate(t: number | null, locale = 'en'): string {
    if (t === null) return '—';
    let f = dateFormats.get(locale);
    if (!f) dateFormats.set(locale, (f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' })));
    return f.format(t);
}

/** 75 -> "1 min 15 s" */
export function formatDuration(seconds: number | null, locale = 'en'): string {
    if (seconds === null || !Number.isFinite(seconds)) return '—';
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = Math.floor(seconds % 60);
    const parts: string[] = [];
    if (h) parts.push(`${h} h`);
    if (m) parts.push(`${m} min`);
    if (!h && (s || !m)) parts.push(`${s} s`);
    return parts.join(locale === 'fr' ? ' ' : ' ');
}

/** A coarse kind for an icon and the preview: from the content type, else the extension. */
export type FileKind = 'image' | 'pdf' | 'text' | 'audio' | 'video' | 'archive' | 'other';

const EXT: Record<string, FileKind> = {
    png: 'image', jpg: 'image', jpeg: 'image', gif: 'image', webp: 'image', avif: 'image', svg: 'image', bmp: 'image',
    pdf: 'pdf',
    txt: 'text', md: 'text', csv: 'text', json: 'text', xml: 'text', yml: 'text', yaml: 'text', log: 'text', ini: 'text', toml: 'text',
    c: 'text', h: 'text', ts: 'text', tsx: 'text', js: 'text', jsx: 'text', py: 'text', go: 'text', rs: 'text', java: 'text', sh: 'text', css: 'text', html: 'text', sql: 'text',
    mp3: 'audio', wav: 'audio', ogg: 'audio', flac: 'audio', m4a: 'audio',
    mp4: 'video', webm: 'video', mov: 'video', mkv: 'video',
    zip: 'archive', gz: 'archive', tgz: 'archive', tar: 'archive', '7z': 'archive', rar: 'archive',
};

export function fileKind(name: string, contentType: string | null): FileKind {
    const ct = (contentType ?? '').toLowerCase();
    if (ct.startsWith('image/')) return 'image';
    if (ct === 'application/pdf') return 'pdf';
    if (ct.startsWith('audio/')) return 'audio';
    if (ct.startsWith('video/')) return 'video';
    if (ct.startsWith('text/') || ct === 'application/json') return 'text';
    const dot = name.lastIndexOf('.');
    return dot >= 0 ? EXT[name.slice(dot + 1).toLowerCase()] ?? 'other' : 'other';
}
