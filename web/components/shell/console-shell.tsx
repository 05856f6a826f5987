'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useState, type ReactNode } from 'react';

import { JobsProvider } from '@/components/jobs/provider';
import { NotificationBell } from '@/components/notifications/bell';
import { NotificationsProvider } from '@/components/notifications/provider';
import { UploadPanel } from '@/components/upload/panel';
import { UploadProvider } from '@/components/upload/provider';
import { auth } from '@/lib/api';
import { useI18n } from '@/lib/i18n';
import type { MessageId } from '@/lib/i18n/en';

import { SessionProvider, canManage, useUser } from './session';
import { Switchers } from './switchers';

function Header() {
    const user = useUser();
    const { t } = useI18n();
    const pathname = usePathname();
    const router = useRouter();
    const [open, setOpen] = useState(false);
    const links: [string, MessageId][] = [
        ['/files', 'nav.files'],
        ['/dashboard', 'nav.dashboard'],
        ['/shares', 'nav.shares'],
    ];
    if (canManage(user)) links.push(['/admin/users', 'nav.users'], ['/admin/activity', 'nav.activity']);
    if (canManage(user)) links.push(['/upload-links', 'links.nav']);
    const linkClass = (href: string) =>
        `rounded-md px-2.5 py-1.5 text-sm font-medium ${pathname?.startsWith(href) ? 'bg-slate-200 text-slate-950 dark:bg-slate-700 dark:text-white' : 'text-slate-800 hover:bg-slate-200 dark:text-slate-200 dark:hover:bg-slate-800'}`;
    async function signOut() {
        await auth.logout().catch(() => undefined);
        /* Signed in through an identity provider: end its session too (RP-initiated logout). */
        if (user.provider) window.location.assign(auth.ssoLogoutUrl(user.provider));
        else router.replace('/login');
    }
    return (
        <header className="border-b border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-900">
            <div className="flex flex-wrap items-center gap-2 px-3 py-2">
                <Link href="/files" className="mr-2 text-lg font-bold text-blue-800 dark:text-blue-300">
                    {t('app.name')}
                </Link>
                <button type="button" className="rounded-md border border-slate-300 px-2 py-1 text-sm md:hidden dark:border-slate-600" aria-expanded={open} aria-controls="main-nav" onClick={() => setOpen(!open)}>
                    {t('nav.menu')}
                </button>
                <nav id="main-nav" aria-label={t('nav.main')} className={`${open ? 'flex' : 'hidden'} w-full flex-col gap-1 md:flex md:w-auto md:flex-row`}>
                    {links.map(([href, id]) => (
                        <Link key={href} href={href} className={linkClass(href)} aria-current={pathname?.startsWith(href) ? 'page' : undefined} onClick={() => setOpen(false)}>
                            {t(id)}
                        </Link>
                    ))}
                </nav>
                <div className="ml-auto flex items-center gap-2">
                    <NotificationBell />
                    <div className="hidden sm:block">
                        <Switchers />
                    </div>
                    <Link href="/account" className={linkClass('/account')} title={user.email}>
                        <span className="sr-only">{t('nav.account')}: </span>
                        <span className="inline-block max-w-[10rem] truncate align-bottom">{user.name || user.email}</span>
                    </Link>
                    <button type="button" onClick={signOut} className="rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-200 dark:text-slate-200 dark:hover:bg-slate-800">
                        {t('nav.logout')}
                    </button>
                </div>
            </div>
            <div className="flex justify-end px-3 pb-2 sm:hidden">
                <Switchers />
            </div>
        </header>
    );
}

export function ConsoleShell({ children }: { children: ReactNode }) {
    const { t } = useI18n();
    return (
        <SessionProvider>
            <NotificationsProvider>
                <UploadProvider>
                    <JobsProvider>
                    <div className="flex h-full flex-col">
                        <a href="#content" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2 dark:focus:bg-slate-900">
                            {t('app.skip')}
                        </a>
                        <Header />
                        <main id="content" className="flex min-h-0 flex-1 flex-col">
                            {children}
                        </main>
                        <UploadPanel />
                    </div>
                    </JobsProvider>
                </UploadProvider>
            </NotificationsProvider>
        </SessionProvider>
    );
}
