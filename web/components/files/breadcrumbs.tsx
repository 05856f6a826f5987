'use client';
import { useI18n } from '@/lib/i18n';

/** bucket / a / b / — each segment a link to its folder. */
export function Breadcrumbs({ bucket, prefix, go }: { bucket: string; prefix: string; go(prefix: string): void }) {
    const { t } = useI18n();
    const parts = prefix.split('/').filter(Boolean);
    const crumb = 'rounded px-1 py-0.5 text-blue-800 underline-offset-2 hover:underline dark:text-blue-300';
    return (
        <nav aria-label={t('files.breadcrumbs')} className="min-w-0">
            <ol className="flex flex-wrap items-center gap-0.5 text-sm" data-testid="breadcrumbs">
                <li>
                    <button type="button" className={crumb} onClick={() => go('')} aria-current={parts.length === 0 ? 'page' : undefined}>
                        {bucket}
                    </button>
                </li>
                {parts.map((p, i) => {
                    const to = parts.slice(0, i + 1).join('/') + '/';
                    const current = i === parts.length - 1;
                    return (
                        <li key={to} className="flex min-w-0 items-center gap-0.5">
                            <span aria-hidden="true" className="text-slate-500">/</span>
                            <button type="button" className={`${crumb} max-w-[14rem] truncate`} onClick={() => go(to)} aria-current={current ? 'page' : undefined}>
                                {p}
                            </button>
                        </li>
                    );
                })}
            </ol>
        </nav>
    );
}
