'use client';
import { useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { inputClass } from '@/components/ui/field';
import type { SearchFilters } from '@/lib/api';
import { useI18n } from '@/lib/i18n';
import type { MessageId } from '@/lib/i18n/en';

const TYPES = ['image', 'pdf', 'text', 'audio', 'video', 'archive'];
const MB = 1024 * 1024;

function toIso(d: string, endOfDay: boolean): string | undefined {
    if (!d) return undefined;
    return new Date(`${d}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z`).toISOString();
}

/** The search box with its filters; calls onSearch with null to go back to the folder. */
export function SearchBar({ bucket, active, onSearch }: { bucket: string; active: boolean; onSearch(f: SearchFilters | null): void }) {
    const { t } = useI18n();
    const [q, setQ] = useState('');
    const [open, setOpen] = useState(false);
    const [type, setType] = useState('');
    const [minSize, setMin] = useState('');
    const [maxSize, setMax] = useState('');
    const [after, setAfter] = useState('');
    const [before, setBefore] = useState('');

    function submit(e: FormEvent) {
        e.preventDefault();
        if (q.trim().length < 2) return;
        onSearch({
            bucket,
            q: q.trim(),
            type: type || undefined,
            minSize: minSize ? Math.round(Number(minSize) * MB) : undefined,
            maxSize: maxSize ? Math.round(Number(maxSize) * MB) : undefined,
            modifiedAfter: toIso(after, false),
            modifiedBefore: toIso(before, true),
        });
    }
    function clear() {
        setQ('');
        onSearch(null);
    }
    return (
        <form role="search" onSubmit={submit} className="flex flex-wrap items-end gap-2">
            <div className="flex min-w-[12rem] flex-1 items-center gap-1">
                <label htmlFor="search-q" className="sr-only">
                    {t('search.label')}
                </label>
                <input id="search-q" type="search" minLength={2} value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('search.placeholder')} className={inputClass} />
            </div>
            <Button type="button" aria-expanded={open} aria-controls="search-filters" onClick={() => setOpen(!open)}>
                {t('search.filters')}
            </Button>
            <Button type="submit" variant="primary">
                {t('search.label')}
            </Button>
            {active ? (
                <Button type="button" onClick={clear}>
                    {t('search.clear')}
                </Button>
            ) : null}
            {open ? (
                <fieldset id="search-filters" className="grid w-full grid-cols-2 gap-2 sm:grid-cols-5">
                    <legend className="sr-only">{t('search.filters')}</legend>
                    <label className="flex flex-col gap-1 text-xs font-medium">
                        {t('search.type')}
                        <select value={type} onChange={(e) => setType(e.target.value)} className={inputClass}>
                            <option value="">{t('common.all')}</option>
                            {TYPES.map((x) => (
                                <option key={x} value={x}>
                                    {t(`type.${x}` as MessageId)}
                                </option>
                            ))}
                        </select>
                    </label>
                    <label className="flex flex-col gap-1 text-xs font-medium">
                        {t('search.minSize')}
                        <input type="number" min={0} step="any" value={minSize} onChange={(e) => setMin(e.target.value)} className={inputClass} />
                    </label>
                    <label className="flex flex-col gap-1 text-xs font-medium">
                        {t('search.maxSize')}
                        <input type="number" min={0} step="any" value={maxSize} onChange={(e) => setMax(e.target.value)} className={inputClass} />
                    </label>
                    <label className="flex flex-col gap-1 text-xs font-medium">
                        {t('search.after')}
                        <input type="date" value={after} onChange={(e) => setAfter(e.target.value)} className={inputClass} />
                    </label>
                    <label className="flex flex-col gap-1 text-xs font-medium">
                        {t('search.before')}
                        <input type="date" value={before} onChange={(e) => setBefore(e.target.value)} className={inputClass} />
                    </label>
                </fieldset>
            ) : null}
        </form>
    );
}
