import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';

import { ToastProvider } from '@/components/ui/toast';
import { I18nProvider } from '@/lib/i18n';
import { THEME_SCRIPT, ThemeProvider } from '@/lib/theme';

import './globals.css';

export const metadata: Metadata = { title: 'Seau', description: 'Files in S3, for people.' };
export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
    return (
        <html lang="en" suppressHydrationWarning>
            <head>
                {/* Sets the theme before the first paint; its hash is in the CSP (scripts/csp-hashes.mjs). */}
                <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
            </head>
            <body className="bg-white text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <ThemeProvider>
                    <I18nProvider>
                        <ToastProvider>{children}</ToastProvider>
                    </I18nProvider>
                </ThemeProvider>
            </body>
        </html>
    );
}
