import type { ReactNode } from 'react';

/** A scrolling page body with its title (every console page but the file browser). */
export function Page({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
    return (
        /* Its own scroll area, so the header stays; focusable so keyboards can scroll it. */
        <div className="min-h-0 flex-1 overflow-auto" tabIndex={0} role="region" aria-label={title}>
            <div className="mx-auto flex max-w-6xl flex-col gap-4 p-4">
                <div className="flex flex-wrap items-center gap-2">
                    <h1 className="text-xl font-semibold">{title}</h1>
                    <div className="ml-auto flex gap-2">{actions}</div>
                </div>
                {children}
            </div>
        </div>
    );
}

export const tableClass = 'w-full border-collapse text-left text-sm [&_td]:border-b [&_td]:border-slate-200 [&_td]:px-2 [&_td]:py-2 [&_th]:border-b [&_th]:border-slate-300 [&_th]:px-2 [&_th]:py-2 [&_th]:font-semibold dark:[&_td]:border-slate-800 dark:[&_th]:border-slate-700';
