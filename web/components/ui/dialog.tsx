'use client';
/*
 * A modal on the native <dialog>: the browser traps focus, closes on Escape
 * and restores focus afterwards, which hand-made modals get wrong.
 */
import { useEffect, useRef, type ReactNode } from 'react';

import { useI18n } from '@/lib/i18n';

export function Dialog({ open, onClose, title, children, wide = false }: { open: boolean; onClose(): void; title: string; children: ReactNode; wide?: boolean }) {
    const ref = useRef<HTMLDialogElement>(null);
    const { t } = useI18n();
    useEffect(() => {
        const d = ref.current;
        if (!d) return;
        if (open && !d.open) d.showModal();
        if (!open && d.open) d.close();
    }, [open]);
    return (
        <dialog
            ref={ref}
            onClose={onClose}
            onCancel={(e) => {
                e.preventDefault();
                onClose();
            }}
            aria-labelledby="dialog-title"
            className={`m-auto w-[calc(100%-2rem)] ${wide ? 'max-w-5xl' : 'max-w-lg'} rounded-lg border border-slate-300 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-black/50 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100`}
        >
            {open ? (
                <div className="flex max-h-[90vh] flex-col">
                    <div className="flex items-center justify-between gap-2 border-b border-slate-200 px-4 py-3 dark:border-slate-700">
                        <h2 id="dialog-title" className="truncate text-base font-semibold">
                            {title}
                        </h2>
                        <button type="button" onClick={onClose} aria-label={t('common.close')} className="rounded p-1 text-xl leading-none hover:bg-slate-200 focus-visible:outline-2 focus-visible:outline-blue-600 dark:hover:bg-slate-700">
                            ×
                        </button>
                    </div>
                    <div className="overflow-auto p-4">{children}</div>
                </div>
            ) : null}
        </dialog>
    );
}
