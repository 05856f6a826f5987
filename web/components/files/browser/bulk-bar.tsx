'use client';
/*
 * The bar shown while something is selected: how much, the offer to take
 * the whole folder on the server when only its loaded rows are selected,
 * and the bulk actions.
 */
import { useEffect, useState } from 'react';

import { Button } from '@/components/ui/button';
import { trust } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import type { Selection } from './use-selection';

export function BulkBar({ sel, bucket, prefix, hasMore, onDelete, onMove, onCopy, onZip }: { sel: Selection; bucket: string; prefix: string; hasMore: boolean; onDelete(): void; onMove(): void; onCopy(): void; onZip(): void }) {
    const { t, lang } = useI18n();
    const [total, setTotal] = useState<number | null>(null);
    const offer = sel.allLoaded && hasMore;
    useEffect(() => {
        setTotal(null);
        if (!offer && !sel.wholeFolder) return;
        const c = new AbortController();
        trust.prefixTotals(bucket, prefix, c.signal).then((x) => setTotal(x.objects), () => undefined);
        return () => c.abort();
    }, [offer, sel.wholeFolder, bucket, prefix]);
    if (sel.count === 0) return null;
    return (
        <div className="flex flex-nowrap items-center gap-2 overflow-x-auto rounded-md bg-blue-50 px-2 py-1 sm:flex-wrap dark:bg-slate-800" data-testid="bulk">
            <span className="shrink-0 text-sm font-medium" data-testid="selected-count">
                {sel.wholeFolder ? t('trust.allInFolder', { count: total === null ? '…' : total.toLocaleString(lang) }) : t('files.selected', { count: sel.count })}
            </span>
            {offer && !sel.wholeFolder ? (
                <Button variant="ghost" className="underline" onClick={sel.selectFolder} data-testid="select-folder">
                    {total === null ? t('trust.selectFolderUnknown') : t('trust.selectFolder', { count: total.toLocaleString(lang) })}
                </Button>
            ) : null}
            <Button variant="danger" onClick={onDelete}>
                {t('files.delete')}
            </Button>
            <Button onClick={onMove} data-testid="bulk-move">{t('trust.moveTo')}</Button>
            <Button onClick={onCopy} data-testid="bulk-copy">{t('trust.copyTo')}</Button>
            {sel.wholeFolder ? null : <Button onClick={onZip}>{t('files.downloadZip')}</Button>}
            <Button variant="ghost" onClick={sel.clear}>
                {t('files.clearSelection')}
            </Button>
        </div>
    );
}
