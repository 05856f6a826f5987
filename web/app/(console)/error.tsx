'use client';
import { Button } from '@/components/ui/button';
import { useI18n } from '@/lib/i18n';

/* A page that crashed shows a plain sentence, never the error itself. */
export default function ConsoleError({ reset }: { error: Error; reset(): void }) {
    const { t } = useI18n();
    return (
        <div role="alert" className="mx-auto flex max-w-md flex-col gap-3 p-8">
            <h1 className="text-lg font-semibold">{t('error.title')}</h1>
            <p>{t('error.body')}</p>
            <Button variant="primary" onClick={reset}>
                {t('common.retry')}
            </Button>
        </div>
    );
}
