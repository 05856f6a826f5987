'use client';
import { useState } from 'react';

import { useI18n } from '@/lib/i18n';

import { ROWS_MIME } from './row';

/** bucket / a / b / — each segment a link to its folder, and a place to drop dragged rows. */
export function Breadcrumbs({ bucket, prefix, go, onDrop }: { bucket: string; prefix: string; go(prefix: string): void; onDrop?(prefix: string, data: DataTransfer): void }) {
    const { t } = useI18n();
    const [over, setOver] = useState<string | null>(null);
    const parts = prefix.split('/').filter(Boolean);
    const crumb = 'rounded px-1 py-0.5 text-blue-800 underline-offset-2 hover:underline dark:text-blue-300';
    const drop = (to: string) =>
        onDrop && to !== prefix
            ? {
                  onDragOver(e: React.DragEvent) {
                      if (!e.dataTransfer.types.includes(ROWS_MIME)) return;
                      e.preventDefault();
                      e.dataTransfer.dropEffect = 'move';
                      setOver(to);
                  },
                  onDragLeave() {
                      setOver(null);
                  },
                  onDrop(e: React.DragEvent) {
                      if (!e.dataTransfer.types.includes(ROWS_MIME)) return;
                      e.preventDefault();
                      e.stopPropagation();
                      setOver(null);
                      onDrop(to, e.dataTransfer);
                  },
              }
            : {};
    const ring = (to: string) => (over === to ? ' ring-2 ring-blue-600' : '');
    return (
        <nav aria-label={t('files.breadcrumbs')} className="min-w-0 shrink-0 sm:shrink">
            <ol className="flex flex-nowrap items-center gap-0.5 whitespace-nowrap text-sm sm:flex-wrap" data-testid="breadcrumbs">
                <li>
                    <button type="button" className={crumb + ring('')} onClick={() => go('')} aria-current={parts.length === 0 ? 'page' : undefined} data-prefix="" {...drop('')}>
                        {bucket}
                    </button>
                </li>
                {parts.map((p, i) => {
                    const to = parts.slice(0, i + 1).join('/') + '/';
                    const current = i === parts.length - 1;
                    return (
                        <li key={to} className="flex min-w-0 items-center gap-0.5">
                            <span aria-hidden="true" className="text-slate-500">/</span>
                            <button type="button" className={`${crumb} max-w-[14rem] truncate${ring(to)}`} onClick={() => go(to)} aria-current={current ? 'page' : undefined} data-prefix={to} {...drop(to)}>
                                {p}
                            </button>
                        </li>
                    );
                })}
            </ol>
        </nav>
    );
}
