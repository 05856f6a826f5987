'use client';
/*
 * The screen a session sees instead of the console while its password was
 * chosen by an administrator (user.mustChangePassword): every other call
 * would answer 403 password_change_required, so nothing else is shown.
 */
import { useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { auth, type User } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import { Switchers } from './switchers';

export function PasswordChange({ user, onChanged }: { user: User; onChanged(u: User): void }) {
    const { t, errorText } = useI18n();
    const [current, setCurrent] = useState('');
    const [password, setPassword] = useState('');
    const [confirm, setConfirm] = useState('');
    const [error, setError] = useState<string | null>(null);
    const [busy, setBusy] = useState(false);

    async function submit(e: FormEvent) {
        e.preventDefault();
        setError(null);
        if (password !== confirm) {
            setError(t('account.mismatch'));
            return;
        }
        setBusy(true);
        try {
            await auth.changeOwnPassword(user.id, current, password);
            onChanged({ ...user, mustChangePassword: false });
        } catch (err) {
            setError(errorText(err));
            setBusy(false);
        }
    }
    async function signOut() {
        await auth.logout().catch(() => undefined);
        window.location.assign('/login');
    }

    return (
        <main className="flex min-h-full items-center justify-center bg-slate-100 p-4 dark:bg-slate-950">
            <div className="w-full max-w-sm">
                <form onSubmit={submit} data-testid="password-change" className="flex flex-col gap-4 rounded-lg border border-slate-300 bg-white p-6 shadow-sm dark:border-slate-700 dark:bg-slate-900" aria-describedby={error ? 'change-error' : undefined}>
                    <h1 className="text-xl font-semibold">{t('invite.forced.title')}</h1>
                    <p className="text-sm">{t('invite.forced.hint')}</p>
                    <input type="email" name="username" autoComplete="username" value={user.email} readOnly hidden />
                    <Field label={t('account.current')} type="password" name="current" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} autoFocus />
                    <Field label={t('account.new')} hint={t('invite.page.rules')} type="password" name="password" autoComplete="new-password" minLength={12} required value={password} onChange={(e) => setPassword(e.target.value)} />
                    <Field label={t('account.confirm')} type="password" name="confirm" autoComplete="new-password" minLength={12} required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
                    {error ? (
                        <p id="change-error" role="alert" className="text-sm text-red-700 dark:text-red-300">
                            {error}
                        </p>
                    ) : null}
                    <Button type="submit" variant="primary" disabled={busy}>
                        {t('invite.forced.submit')}
                    </Button>
                    <Button variant="ghost" onClick={() => void signOut()}>
                        {t('nav.logout')}
                    </Button>
                </form>
                <div className="mt-4 flex justify-center">
                    <Switchers />
                </div>
            </div>
        </main>
    );
}
