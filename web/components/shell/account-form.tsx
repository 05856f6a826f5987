'use client';
import { useState, type FormEvent } from 'react';

import { MfaPanel } from '@/components/account/mfa-panel';
import { SessionsPanel } from '@/components/account/sessions-panel';
import { TokensPanel } from '@/components/account/tokens-panel';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Page } from '@/components/ui/page';
import { useToast } from '@/components/ui/toast';
import { auth } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import { useUser } from './session';

export function AccountForm() {
    const user = useUser();
    const { t, errorText } = useI18n();
    const toast = useToast();
    const [current, setCurrent] = useState('');
    const [next, setNext] = useState('');
    const [again, setAgain] = useState('');
    const [error, setError] = useState<string | null>(null);

    async function submit(e: FormEvent) {
        e.preventDefault();
        setError(null);
        if (next !== again) return setError(t('account.mismatch'));
        try {
            await auth.changeOwnPassword(user.id, current, next);
            setCurrent('');
            setNext('');
            setAgain('');
            toast(t('account.changed'), 'success');
        } catch (err) {
            setError(errorText(err));
        }
    }
    return (
        <Page title={t('account.title')}>
            <p className="text-sm">
                {user.name} — {user.email} — {t(`role.${user.role}`)}
            </p>
            <form onSubmit={submit} className="flex max-w-sm flex-col gap-3">
                <h2 className="text-base font-semibold">{t('account.password')}</h2>
                <Field label={t('account.current')} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
                <Field label={t('account.new')} type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} />
                <Field label={t('account.confirm')} type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
                {error ? (
                    <p role="alert" className="text-sm text-red-800 dark:text-red-300">
                        {error}
                    </p>
                ) : null}
                <Button type="submit" variant="primary">
                    {t('common.save')}
                </Button>
            </form>
            <MfaPanel />
            <SessionsPanel />
            <TokensPanel />
        </Page>
    );
}
