'use client';
/*
 * The page of an invitation link (/invite#token=…): shows whom the link is
 * for, lets the person choose a password (typed twice) and signs them in.
 * The token is read from the fragment, which browsers never send to a
 * server, and removed from the address bar once read.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { ApiError, invitations } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import { Switchers } from './switchers';

type State = { kind: 'checking' } | { kind: 'invalid' } | { kind: 'ready'; token: string; email: string };

export function InviteForm() {
    const { t, errorText } = useI18n();
    const router = useRouter();
    const [state, setState] = useState<State>({ kind: 'checking' });
    const [password, setPassword] = useState('');
    const [confirm, setConfirm] = useState('');
    const [error, setError] = useState<string | null>(null);
    const [busy, setBusy] = useState(false);

    /* Once: the token leaves the address bar when read, and the language may change meanwhile. */
    const started = useRef(false);
    useEffect(() => {
        if (started.current) return;
        started.current = true;
        const token = invitations.tokenFromHash(window.location.hash);
        if (!token) {
            setState({ kind: 'invalid' });
            return;
        }
        history.replaceState(null, '', window.location.pathname);
        invitations.lookup(token).then(
            (i) => setState({ kind: 'ready', token, email: i.email }),
            (e) => (e instanceof ApiError && e.code === 'invalid_invitation' ? setState({ kind: 'invalid' }) : setError(errorText(e))),
        );
    }, [errorText]);

    async function submit(e: FormEvent) {
        e.preventDefault();
        if (state.kind !== 'ready') return;
        setError(null);
        if (password !== confirm) {
            setError(t('invite.page.mismatch'));
            return;
        }
        setBusy(true);
        try {
            const r = await invitations.accept(state.token, password);
            router.replace(r.enrol ? '/account?enrol=1' : '/files');
        } catch (err) {
            if (err instanceof ApiError && err.code === 'invalid_invitation') setState({ kind: 'invalid' });
            else setError(errorText(err));
            setBusy(false);
        }
    }

    return (
        <main className="flex min-h-full items-center justify-center bg-slate-100 p-4 dark:bg-slate-950">
            <div className="w-full max-w-sm">
                <div className="flex flex-col gap-4 rounded-lg border border-slate-300 bg-white p-6 shadow-sm dark:border-slate-700 dark:bg-slate-900">
                    <h1 className="text-xl font-semibold">{t('invite.page.title')}</h1>
                    {state.kind === 'checking' && !error ? <p role="status">{t('invite.page.checking')}</p> : null}
                    {state.kind === 'invalid' ? (
                        <>
                            <p role="alert" data-testid="invite-invalid" className="rounded-md bg-amber-100 p-2 text-sm text-amber-950 dark:bg-amber-900 dark:text-amber-50">
                                {t('invite.page.invalid')}
                            </p>
                            <a href="/login" className="text-sm font-medium text-blue-800 underline dark:text-blue-300">
                                {t('invite.page.toLogin')}
                            </a>
                        </>
                    ) : null}
                    {state.kind === 'ready' ? (
                        <form onSubmit={submit} className="flex flex-col gap-4" aria-describedby={error ? 'invite-error' : undefined}>
                            <p className="break-words text-sm" data-testid="invite-for">
                                {t('invite.page.for', { email: state.email })}
                            </p>
                            {/* For password managers: the account the new password belongs to. */}
                            <input type="email" name="username" autoComplete="username" value={state.email} readOnly hidden />
                            <Field label={t('invite.page.password')} hint={t('invite.page.rules')} type="password" name="password" autoComplete="new-password" minLength={12} required value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
                            <Field label={t('invite.page.confirm')} type="password" name="confirm" autoComplete="new-password" minLength={12} required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
                            {error ? (
                                <p id="invite-error" role="alert" className="text-sm text-red-700 dark:text-red-300">
                                    {error}
                                </p>
                            ) : null}
                            <Button type="submit" variant="primary" disabled={busy}>
                                {t('invite.page.submit')}
                            </Button>
                        </form>
                    ) : error ? (
                        <p id="invite-error" role="alert" className="text-sm text-red-700 dark:text-red-300">
                            {error}
                        </p>
                    ) : null}
                </div>
                <div className="mt-4 flex justify-center">
                    <Switchers />
                </div>
            </div>
        </main>
    );
}
