'use client';
import { useCallback, useEffect, useState } from 'react';

import { Button } from '@/components/ui/button';
import { Page, tableClass } from '@/components/ui/page';
import { useToast } from '@/components/ui/toast';
import { shares as api, type Share } from '@/lib/api';
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

/** The caller's share links (all links for admins and managers), with revoke. */
export function SharesList() {
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const [items, setItems] = useState<Share[] | null>(null);
    const [error, setError] = useState<unknown>(null);
    const load = useCallback(() => {
        api.listShares().then((r) => setItems(r.shares), setError);
    }, []);
    useEffect(load, [load]);

    async function revoke(s: Share) {
        try {
            await api.revokeShare(s.id);
            setItems((cur) => cur?.filter((x) => x.id !== s.id) ?? null);
            toast(t('share.revoked'), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }
    return (
        <Page title={t('share.list')}>
            {error ? <p role="alert">{errorText(error)}</p> : null}
            {!items && !error ? <p>{t('common.loading')}</p> : null}
            {items && items.length === 0 ? <p>{t('share.none')}</p> : null}
            {items && items.length > 0 ? (
                <div className="overflow-x-auto">
                    <table className={tableClass}>
                        <thead>
                            <tr>
                                <th scope="col">{t('share.file')}</th>
                                <th scope="col">{t('share.expires')}</th>
                                <th scope="col">{t('share.downloads')}</th>
                                <th scope="col">{t('share.protected')}</th>
                                <th scope="col">{t('share.createdBy')}</th>
                                <th scope="col">
                                    <span className="sr-only">{t('common.actions')}</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {items.map((s) => (
                                <tr key={s.id}>
                                    <td className="max-w-xs break-all">
                                        {s.url ? (
                                            <a href={s.url} className="text-blue-800 underline dark:text-blue-300">
                                                {s.bucket}/{s.key}
                                            </a>
                                        ) : (
                                            `${s.bucket}/${s.key}`
                                        )}
                                    </td>
                                    <td>{s.expiresAt ? formatDate(Date.parse(s.expiresAt), lang) : t('common.never')}</td>
                                    <td>
                                        {s.downloads}
                                        {s.maxDownloads ? ` / ${s.maxDownloads}` : ''}
                                    </td>
                                    <td>{s.hasPassword ? t('common.yes') : t('common.no')}</td>
                                    <td className="break-all">{s.createdByEmail ?? s.createdBy}</td>
                                    <td className="text-right">
                                        <Button variant="danger" onClick={() => void revoke(s)} aria-label={t('share.revokeLink', { name: s.key })}>
                                            {t('share.revoke')}
                                        </Button>
                                    </td>
                                </tr>
                            ))}
                        </tbody>
                    </table>
                </div>
            ) : null}
        </Page>
    );
}
