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
    /* null until /api/auth/providers answers; the password form shows meanwhile (the usual case). */
    const [methods, setMethods] = useState<auth.SignInMethods | null>(null);
    const ssoError = auth.ssoErrorId(params.get('error'));
    /* Set after the password when the account has a second factor. */
    const [mfaToken, setMfaToken] = useState<string | null>(null);
    const [code, setCode] = useState('');

    useEffect(() => {
        /* Already signed in: go on. */
        auth.me().then((u) => u && router.replace(next), () => undefined);
        auth.providers().then(setMethods, () => undefined);
    }, [router, next]);
    const passwordOn = methods?.password ?? true;
    const providers = methods?.providers ?? [];

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
                <div className="flex flex-col gap-4 rounded-lg border border-slate-300 bg-white p-6 shadow-sm dark:border-slate-700 dark:bg-slate-900">
                    <h1 className="text-xl font-semibold">{t('login.title')}</h1>
                    {params.get('expired') ? (
                        <p className="rounded-md bg-amber-100 p-2 text-sm text-amber-950 dark:bg-amber-900 dark:text-amber-50">{t('login.expired')}</p>
                    ) : null}
                    {ssoError ? (
                        <p id="sso-error" role="alert" className="rounded-md bg-red-100 p-2 text-sm text-red-900 dark:bg-red-950 dark:text-red-100">
                            {t(ssoError)}
                        </p>
                    ) : null}
                    {providers.length > 0 && !mfaToken ? (
                        <div className="flex flex-col gap-2">
                            {!passwordOn ? <p className="text-sm">{t('sso.passwordOff')}</p> : null}
                            {providers.map((p) => (
                                <a
                                    key={p.id}
                                    href={auth.ssoStartUrl(p.id, next)}
                                    className="rounded-md border border-slate-400 px-3 py-2 text-center text-sm font-medium text-slate-900 hover:bg-slate-100 dark:border-slate-500 dark:text-slate-100 dark:hover:bg-slate-800"
                                >
                                    {t('sso.signInWith', { name: p.name })}
                                </a>
                            ))}
                            {passwordOn ? <p className="text-center text-xs text-slate-700 dark:text-slate-300">{t('sso.or')}</p> : null}
                        </div>
                    ) : null}
                    {passwordOn ? (
                        <form onSubmit={submit} className="flex flex-col gap-4" aria-describedby={error ? 'login-error' : undefined}>
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
                    ) : null}
                </div>
                <div className="mt-4 flex justify-center">
                    <Switchers />
                </div>
            </div>
        </main>
    );
}
