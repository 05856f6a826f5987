'use client';
/*
 * Preview in a modal with next/previous (buttons and arrow keys): images,
 * PDF, text and code (the first 256 KB), audio and video; download; copy a
 * share link. Media load from /api/download?inline=1 (a redirect to S3 or
 * the bytes), which the CSP allows for the S3 endpoint.
 */
import { useEffect, useState } from 'react';

import { Button, buttonClass } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { useToast } from '@/components/ui/toast';
import { files as api, shares, type FileItem } from '@/lib/api';
import { fileKind, formatBytes } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

const TEXT_CAP = 256 * 1024;

function TextPreview({ file }: { file: FileItem }) {
    const { t, lang, errorText } = useI18n();
    const [state, setState] = useState<{ text: string; truncated: boolean } | { error: unknown } | null>(null);
    useEffect(() => {
        const c = new AbortController();
        setState(null);
        api.readText(file.bucket, file.key, TEXT_CAP, c.signal).then(setState, (e) => {
            if (!(e instanceof DOMException)) setState({ error: e });
        });
        return () => c.abort();
    }, [file.bucket, file.key]);
    if (!state) return <p>{t('common.loading')}</p>;
    if ('error' in state) return <p role="alert">{errorText(state.error)}</p>;
    return (
        <div>
            {state.truncated ? <p className="mb-2 text-xs text-slate-700 dark:text-slate-300">{t('preview.tooLarge', { size: formatBytes(TEXT_CAP, lang) })}</p> : null}
            <pre data-testid="text-preview" className="max-h-[65vh] overflow-auto whitespace-pre-wrap break-words rounded bg-slate-100 p-3 font-mono text-xs text-slate-900 dark:bg-slate-800 dark:text-slate-100" tabIndex={0}>
                {state.text}
            </pre>
        </div>
    );
}

function Body({ file }: { file: FileItem }) {
    const { t } = useI18n();
    const url = api.downloadUrl(file.bucket, file.key, true);
    switch (fileKind(file.name, file.contentType)) {
        case 'image':
            // eslint-disable-next-line @next/next/no-img-element
            return <img src={url} alt={file.name} data-testid="image-preview" className="mx-auto max-h-[70vh] max-w-full object-contain" />;
        case 'pdf':
            return <iframe src={url} title={file.name} className="h-[70vh] w-full rounded border border-slate-300 dark:border-slate-600" />;
        case 'audio':
            return <audio src={url} controls className="w-full" aria-label={file.name} />;
        case 'video':
            return <video src={url} controls className="max-h-[70vh] w-full" aria-label={file.name} />;
        case 'text':
            return <TextPreview file={file} />;
        default:
            return <p>{t('preview.none')}</p>;
    }
}

export function PreviewModal({ files, current, onChange, onClose, onShare }: { files: FileItem[]; current: FileItem; onChange(f: FileItem): void; onClose(): void; onShare(f: FileItem): void }) {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const i = files.findIndex((f) => f.key === current.key);
    const prev = i > 0 ? files[i - 1] : undefined;
    const next = i >= 0 && i < files.length - 1 ? files[i + 1] : undefined;

    useEffect(() => {
        const onKey = (e: KeyboardEvent) => {
            if ((e.target as HTMLElement | null)?.closest('input,textarea,select,audio,video')) return;
            if (e.key === 'ArrowLeft' && prev) onChange(prev);
            if (e.key === 'ArrowRight' && next) onChange(next);
        };
        window.addEventListener('keydown', onKey);
        return () => window.removeEventListener('keydown', onKey);
    }, [prev, next, onChange]);

    async function copyLink() {
        try {
            const s = await shares.createShare({ bucket: current.bucket, key: current.key });
            await navigator.clipboard.writeText(s.url).catch(() => undefined);
            toast(t('preview.linkCopied'), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    return (
        <Dialog open onClose={onClose} title={t('preview.title', { name: current.name })} wide>
            <div className="flex flex-col gap-3" data-testid="preview">
                <Body key={current.key} file={current} />
                <div className="flex flex-wrap items-center gap-2">
                    <Button onClick={() => prev && onChange(prev)} disabled={!prev} aria-label={t('preview.prev')}>
                        ←
                    </Button>
                    <Button onClick={() => next && onChange(next)} disabled={!next} aria-label={t('preview.next')}>
                        →
                    </Button>
                    <span className="min-w-0 flex-1 truncate text-sm" title={current.key}>
                        {current.name}
                    </span>
                    <a className={buttonClass('primary')} href={api.downloadUrl(current.bucket, current.key)} download={current.name}>
                        {t('files.download')}
                    </a>
                    <Button onClick={() => void copyLink()}>{t('preview.copyLink')}</Button>
                    <Button onClick={() => onShare(current)}>{t('files.share')}</Button>
                </div>
            </div>
        </Dialog>
    );
}
