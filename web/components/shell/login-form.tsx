'use client';
import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { auth, ApiError } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import { Switchers } from './switchers';

/** Only a same-site path may be a return target (no open redirect). */
export function safeNext(next: string | null): string {
    return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/files';
}

export function LoginForm() {
    const { t, errorText } = useI18n();
    const router = useRouter();
    const params = useSearchParams();
    const next = safeNext(params.get('next'));
    const [email, setEmail] = useState('');
    const [password, setPassword] = useState('');
    const [error, setError] = useState<string | null>(null);
    const [busy, setBusy] = useState(false);
    /* Set after the password when the account has a second factor. */
    const [mfaToken, setMfaToken] = useState<string | null>(null);
    const [code, setCode] = useState('');

    useEffect(() => {
        /* Already signed in: go on. */
        auth.me().then((u) => u && router.replace(next), () => undefined);
    }, [router, next]);

    async function submit(e: FormEvent) {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
            const r = mfaToken ? await auth.verifyMfa(mfaToken, code.trim()) : await auth.login(email, password);
            if (r.kind === 'mfa') {
                setMfaToken(r.mfaToken);
                setBusy(false);
                return;
            }
            router.replace(r.enrol ? '/account?enrol=1' : next);
        } catch (err) {
            if (mfaToken && err instanceof ApiError && err.code === 'unauthorized') {
                /* The second step waited too long: start again from the password. */
                setMfaToken(null);
                setCode('');
                setError(t('mfa.login.expired'));
            } else if (mfaToken && err instanceof ApiError && err.status === 401) {
                setError(t('mfa.login.invalid'));
            } else {
                setError(err instanceof ApiError && err.status === 401 ? t('login.invalid') : errorText(err));
            }
            setBusy(false);
        }
    }

    return (
        <main className="flex min-h-full items-center justify-center bg-slate-100 p-4 dark:bg-slate-950">
            <div className="w-full max-w-sm">
                <form onSubmit={submit} className="flex flex-col gap-4 rounded-lg border border-slate-300 bg-white p-6 shadow-sm dark:border-slate-700 dark:bg-slate-900" aria-describedby={error ? 'login-error' : undefined}>
                    <h1 className="text-xl font-semibold">{t('login.title')}</h1>
                    {params.get('expired') ? (
                        <p className="rounded-md bg-amber-100 p-2 text-sm text-amber-950 dark:bg-amber-900 dark:text-amber-50">{t('login.expired')}</p>
                    ) : null}
                    {mfaToken ? (
                        <>
                            <p className="text-sm">{t('mfa.login.prompt')}</p>
                            <Field label={t('mfa.login.code')} name="code" autoComplete="one-time-code" inputMode="text" required value={code} onChange={(e) => setCode(e.target.value)} autoFocus />
                        </>
                    ) : (
                        <>
                            <Field label={t('login.email')} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
                            <Field label={t('login.password')} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
                        </>
                    )}
                    {error ? (
                        <p id="login-error" role="alert" className="text-sm text-red-700 dark:text-red-300">
                            {error}
                        </p>
                    ) : null}
                    <Button type="submit" variant="primary" disabled={busy}>
                        {mfaToken ? t('mfa.login.verify') : t('login.submit')}
                    </Button>
                </form>
                <div className="mt-4 flex justify-center">
                    <Switchers />
                </div>
            </div>
        </main>
    );
}
