'use client';
/*
 * The two bars above the list. The location bar: bucket, breadcrumbs, go to
 * a path. The action bar: upload, new folder, refresh, the deleted files
 * (recycle bin), and, while something is selected, the bulk actions. On a phone each bar is one row that scrolls
 * sideways instead of wrapping into many.
 */
import Link from 'next/link';
import { useRef, useState } from 'react';

import { Button, buttonClass } from '@/components/ui/button';
import { controlClass } from '@/components/ui/field';
import { fromInput, type Picked } from '@/components/upload/collect';
import type { Bucket } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import { Breadcrumbs } from '../breadcrumbs';
import type { Place } from './use-location';

const rowClass = 'flex flex-nowrap items-center gap-2 overflow-x-auto sm:flex-wrap sm:overflow-visible';

export function LocationBar({ buckets, bucket, prefix, navigate, onDropOnFolder }: { buckets: Bucket[]; bucket: string; prefix: string; navigate(p: Place): void; onDropOnFolder?(prefix: string, data: DataTransfer): void }) {
    const { t } = useI18n();
    const [gotoPath, setGotoPath] = useState('');
    return (
        <div className={rowClass} data-testid="location-bar">
            <label htmlFor="bucket" className="sr-only">
                {t('files.bucket')}
            </label>
            <select id="bucket" value={bucket} onChange={(e) => navigate({ bucket: e.target.value, prefix: '' })} className={`${controlClass} shrink-0`}>
                {buckets.map((b) => (
                    <option key={b.name} value={b.name}>
                        {b.name}
                    </option>
                ))}
            </select>
            <Breadcrumbs bucket={bucket} prefix={prefix} go={(p) => navigate({ prefix: p })} onDrop={onDropOnFolder} />
            <form
                className="ml-auto flex shrink-0 items-center gap-1"
                onSubmit={(e) => {
                    e.preventDefault();
                    const p = gotoPath.trim().replace(/^\/+/, '');
                    navigate({ prefix: p && !p.endsWith('/') ? p + '/' : p });
                    setGotoPath('');
                }}
            >
                <label htmlFor="goto" className="sr-only">
                    {t('files.goto')}
                </label>
                <input id="goto" value={gotoPath} onChange={(e) => setGotoPath(e.target.value)} placeholder={t('files.gotoHint')} className={`${controlClass} w-28 sm:w-44`} />
                <Button type="submit">{t('files.go')}</Button>
            </form>
        </div>
    );
}

export interface ActionBarProps {
    enqueue(picked: Picked[]): void;
    /** False where the caller's grant is read only: the upload buttons are off. */
    mayUpload: boolean;
    newFolder(): void;
    refresh(): void;
    refreshing: boolean;
    countText: string;
    /** Where this folder's deleted files are listed (the recycle bin page). */
    trashHref: string;
    bulk: React.ReactNode;
}

export function ActionBar({ enqueue, mayUpload, newFolder, refresh, refreshing, countText, trashHref, bulk }: ActionBarProps) {
    const { t } = useI18n();
    const fileInput = useRef<HTMLInputElement>(null);
    const folderInput = useRef<HTMLInputElement>(null);
    return (
        <div className="flex flex-col gap-2">
            <div className={rowClass} data-testid="action-bar">
                <Button variant="primary" onClick={() => fileInput.current?.click()} disabled={!mayUpload} data-testid="upload-button">
                    {t('files.uploadFiles')}
                </Button>
                <Button onClick={() => folderInput.current?.click()} disabled={!mayUpload}>
                    {t('files.uploadFolder')}
                </Button>
                <Button onClick={newFolder} disabled={!mayUpload}>
                    {t('files.newFolder')}
                </Button>
                <Button onClick={refresh} disabled={refreshing} data-testid="refresh" aria-label={t('trust.refresh')} title={t('trust.refresh')}>
                    <span aria-hidden="true">↻</span>
                    <span className="hidden sm:inline">{t('trust.refresh')}</span>
                </Button>
                <Link href={trashHref} className={buttonClass('ghost', 'shrink-0')} data-testid="deleted-files">
                    {t('recovery.deletedFiles')}
                </Link>
                <input
                    ref={fileInput}
                    type="file"
                    multiple
                    hidden
                    data-testid="file-input"
                    onChange={(e) => {
                        enqueue(fromInput(e.target.files));
                        e.target.value = '';
                    }}
                />
                <input
                    ref={folderInput}
                    type="file"
                    multiple
                    hidden
                    {...{ webkitdirectory: '' }}
                    onChange={(e) => {
                        enqueue(fromInput(e.target.files));
                        e.target.value = '';
                    }}
                />
                <span className="ml-auto shrink-0 whitespace-nowrap text-xs text-slate-700 dark:text-slate-300" aria-live="polite">
                    {countText}
                </span>
            </div>
            {bulk}
        </div>
    );
}
