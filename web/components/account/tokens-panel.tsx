'use client';
/* Personal access tokens on the account page: create (shown once), list with last use, revoke. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { Field, SelectField } from '@/components/ui/field';
import { tableClass } from '@/components/ui/page';
import { useToast } from '@/components/ui/toast';
import { identity, type Token } from '@/lib/api';
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

const EXPIRY = [
    { id: 'tokens.expiry.7d', s: 7 * 86400 },
    { id: 'tokens.expiry.30d', s: 30 * 86400 },
    { id: 'tokens.expiry.90d', s: 90 * 86400 },
    { id: 'tokens.expiry.never', s: 0 },
] as const;

export function TokensPanel() {
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const [rows, setRows] = useState<Token[] | null>(null);
    const [name, setName] = useState('');
    const [expiry, setExpiry] = useState<number>(EXPIRY[1].s);
    const [shown, setShown] = useState<string | null>(null);
    const [error, setError] = useState<string | null>(null);
    const [loadError, setLoadError] = useState<unknown>(null);
    /* No dependencies: a function from the i18n context would change on every render. */
    const load = useCallback(() => {
        identity.tokens().then(setRows, setLoadError);
    }, []);
    useEffect(load, [load]);

    async function create(e: FormEvent) {
        e.preventDefault();
        setError(null);
        try {
            const made = await identity.createToken(name.trim(), expiry);
            setShown(made.token);
            setName('');
            load();
        } catch (err) {
            setError(errorText(err));
        }
    }
    async function revoke(id: string) {
        try {
            await identity.revokeToken(id);
            toast(t('tokens.revoked'), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
        load();
    }
    const when = (s: string | null, none: string) => (s ? formatDate(Date.parse(s), lang) : none);

    return (
        <section className="flex flex-col gap-3" aria-labelledby="tokens-title">
            <h2 id="tokens-title" className="text-base font-semibold">
                {t('tokens.title')}
            </h2>
            <p className="text-sm">{t('tokens.hint')}</p>
            <form onSubmit={create} className="flex flex-wrap items-end gap-3">
                <Field label={t('tokens.name')} name="token-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
                <SelectField label={t('tokens.expiry')} name="token-expiry" value={String(expiry)} onChange={(e) => setExpiry(Number(e.target.value))}>
                    {EXPIRY.map((x) => (
                        <option key={x.id} value={x.s}>
                            {t(x.id)}
                        </option>
                    ))}
                </SelectField>
                <Button type="submit" variant="primary">
                    {t('tokens.create')}
                </Button>
            </form>
            {shown ? (
                <div className="flex flex-col gap-2 rounded-md border border-slate-300 p-3 dark:border-slate-700" role="status">
                    <p className="text-sm font-medium">{t('tokens.shownOnce')}</p>
                    <code className="break-all font-mono text-sm" data-testid="new-token">
                        {shown}
                    </code>
                    <div>
                        <Button onClick={() => setShown(null)}>{t('mfa.codes.done')}</Button>
                    </div>
                </div>
            ) : null}
            {error || loadError ? (
                <p role="alert" className="text-sm text-red-800 dark:text-red-300">
                    {error ?? errorText(loadError)}
                </p>
            ) : null}
            {rows && rows.length ? (
                <div className="overflow-x-auto">
                    <table className={tableClass} data-testid="tokens">
                        <thead>
                            <tr>
                                <th scope="col">{t('tokens.name')}</th>
                                <th scope="col">{t('sessions.created')}</th>
                                <th scope="col">{t('tokens.expires')}</th>
                                <th scope="col">{t('tokens.lastUsed')}</th>
                                <th scope="col">{t('common.actions')}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.map((x) => (
                                <tr key={x.id} data-token={x.name}>
                                    <td className="break-all">{x.name}</td>
                                    <td>{when(x.createdAt, '')}</td>
                                    <td>{when(x.expiresAt, t('tokens.expiry.never'))}</td>
                                    <td>{when(x.lastUsedAt, t('common.never'))}</td>
                                    <td>
                                        <Button variant="danger" onClick={() => void revoke(x.id)}>
                                            {t('tokens.revoke')}
                                        </Button>
                                    </td>
                                </tr>
                            ))}
                        </tbody>
                    </table>
                </div>
            ) : null}
        </section>
    );
}
