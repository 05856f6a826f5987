'use client';
/*
 * What a console page shows while the session is checked: the header's
 * shape with the app's name and the navigation's places, and skeleton rows,
 * so a slow network never shows a blank page.
 */
import { useI18n } from '@/lib/i18n';

export function LoadingShell() {
    const { t } = useI18n();
    return (
        <div className="flex h-full flex-col" aria-busy="true" data-testid="loading-shell">
            <div className="border-b border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-900">
                <div className="flex items-center gap-2 px-3 py-2">
                    <span className="mr-2 text-lg font-bold text-blue-800 dark:text-blue-300">{t('app.name')}</span>
                    <nav aria-label={t('nav.main')} className="hidden gap-1 md:flex">
                        {(['nav.files', 'nav.dashboard', 'nav.shares'] as const).map((id) => (
                            <span key={id} className="rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-800 dark:text-slate-200">
                                {t(id)}
                            </span>
                        ))}
                    </nav>
                    <span className="ml-auto h-7 w-40 animate-pulse rounded bg-slate-200 dark:bg-slate-700" aria-hidden="true" />
                </div>
            </div>
            <main className="flex flex-col gap-3 p-4">
                <p role="status" className="sr-only">
                    {t('common.loading')}
                </p>
                {Array.from({ length: 8 }, (_, i) => (
                    <div key={i} aria-hidden="true" className="h-4 animate-pulse rounded bg-slate-200 dark:bg-slate-700" style={{ width: `${45 + ((i * 29) % 45)}%` }} />
                ))}
            </main>
        </div>
    );
}
