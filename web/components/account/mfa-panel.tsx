'use client';
/*
 * The second factor on the account page: enrolment (QR code and secret,
 * then a code to confirm), the recovery codes shown once, and turning it
 * off with a code.
 */
import QRCode from 'qrcode';
import { useCallback, useEffect, useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { identity, type MfaStatus } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

export function MfaPanel() {
    const { t, errorText } = useI18n();
    const toast = useToast();
    const [status, setStatus] = useState<MfaStatus | null>(null);
    const [setup, setSetup] = useState<{ secret: string; otpauthUrl: string; qr: string } | null>(null);
    const [codes, setCodes] = useState<string[] | null>(null);
    const [code, setCode] = useState('');
    const [error, setError] = useState<string | null>(null);

    const [loadError, setLoadError] = useState<unknown>(null);
    /* No dependencies: a function from the i18n context would change on every render. */
    const load = useCallback(() => {
        identity.mfaStatus().then(setStatus, setLoadError);
    }, []);
    useEffect(load, [load]);

    async function start() {
        setError(null);
        try {
            const s = await identity.mfaSetup();
            const qr = await QRCode.toDataURL(s.otpauthUrl, { margin: 1, width: 200 });
            setSetup({ ...s, qr });
        } catch (e) {
            setError(errorText(e));
        }
    }
    async function confirm(e: FormEvent) {
        e.preventDefault();
        setError(null);
        try {
            setCodes(await identity.mfaConfirm(code.trim()));
            setSetup(null);
            setCode('');
            load();
        } catch (err) {
            setError(errorText(err));
        }
    }
    async function disable(e: FormEvent) {
        e.preventDefault();
        setError(null);
        try {
            await identity.mfaDisable(code.trim());
            setCode('');
            setCodes(null);
            toast(t('mfa.off.done'), 'success');
            load();
        } catch (err) {
            setError(errorText(err));
        }
    }

    return (
        <section className="flex max-w-xl flex-col gap-3" aria-labelledby="mfa-title" data-testid="mfa-panel">
            <h2 id="mfa-title" className="text-base font-semibold">
                {t('mfa.title')}
            </h2>
            {status?.enrolmentRequired ? (
                <p role="status" className="rounded-md bg-amber-100 p-2 text-sm text-amber-950 dark:bg-amber-900 dark:text-amber-50">
                    {t('mfa.required')}
                </p>
            ) : null}
            {status ? <p className="text-sm">{status.enabled ? t('mfa.on', { n: status.recoveryCodesLeft }) : t('mfa.offState')}</p> : null}
            {codes ? (
                <div className="flex flex-col gap-2 rounded-md border border-slate-300 p-3 dark:border-slate-700">
                    <p className="text-sm font-medium">{t('mfa.codes.title')}</p>
                    <p className="text-sm">{t('mfa.codes.hint')}</p>
                    <ul className="grid grid-cols-2 gap-1 font-mono text-sm" data-testid="recovery-codes">
                        {codes.map((c) => (
                            <li key={c}>{c}</li>
                        ))}
                    </ul>
                    <div>
                        <Button onClick={() => setCodes(null)}>{t('mfa.codes.done')}</Button>
                    </div>
                </div>
            ) : null}
            {status && !status.enabled && !setup ? (
                <div>
                    <Button variant="primary" onClick={() => void start()}>
                        {t('mfa.setup.start')}
                    </Button>
                </div>
            ) : null}
            {setup ? (
                <form onSubmit={confirm} className="flex flex-col gap-3">
                    <p className="text-sm">{t('mfa.setup.scan')}</p>
                    {/* A data: URL made here from the otpauth URL; nothing leaves the browser. */}
                    {/* eslint-disable-next-line @next/next/no-img-element */}
                    <img src={setup.qr} alt={t('mfa.setup.qrAlt')} width={200} height={200} className="rounded bg-white" />
                    <p className="text-sm">
                        {t('mfa.setup.manual')} <code className="break-all font-mono" data-testid="mfa-secret">{setup.secret}</code>
                    </p>
                    <Field label={t('mfa.code')} name="mfa-code" autoComplete="one-time-code" inputMode="numeric" required value={code} onChange={(e) => setCode(e.target.value)} />
                    <div className="flex gap-2">
                        <Button type="submit" variant="primary">
                            {t('mfa.setup.confirm')}
                        </Button>
                        <Button onClick={() => setSetup(null)}>{t('common.cancel')}</Button>
                    </div>
                </form>
            ) : null}
            {status?.enabled && !codes ? (
                <form onSubmit={disable} className="flex max-w-sm flex-col gap-3">
                    <Field label={t('mfa.off.code')} name="mfa-off-code" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
                    <div>
                        <Button type="submit" variant="danger">
                            {t('mfa.off.submit')}
                        </Button>
                    </div>
                </form>
            ) : null}
            {error || loadError ? (
                <p role="alert" className="text-sm text-red-800 dark:text-red-300">
                    {error ?? errorText(loadError)}
                </p>
            ) : null}
        </section>
    );
}
