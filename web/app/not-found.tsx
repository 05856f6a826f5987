'use client';
import Link from 'next/link';

import { buttonClass } from '@/components/ui/button';
import { useI18n } from '@/lib/i18n';

export default function NotFound() {
    const { t } = useI18n();
    return (
        <main className="mx-auto flex max-w-md flex-col items-center gap-4 p-10 text-center">
            <h1 className="text-xl font-semibold">{t('notfound.title')}</h1>
            <Link href="/files" className={buttonClass('primary')}>
                {t('notfound.back')}
            </Link>
        </main>
    );
}
