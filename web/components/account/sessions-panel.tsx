'use client';
/* One's sessions on the account page: device, address, last seen; end one, or all others. */
import { useCallback, useEffect, useState } from 'react';

import { Button } from '@/components/ui/button';
import { tableClass } from '@/components/ui/page';
import { useToast } from '@/components/ui/toast';
import { identity, type Session } from '@/lib/api';
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

export function SessionsPanel() {
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const [rows, setRows] = useState<Session[] | null>(null);
    const [loadError, setLoadError] = useState<unknown>(null);
    /* No dependencies: functions from the contexts would change on every render. */
    const load = useCallback(() => {
        identity.sessions().then(setRows, setLoadError);
    }, []);
    useEffect(load, [load]);

    async function act(p: Promise<void>) {
        try {
            await p;
            toast(t('sessions.ended'), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
        load();
    }

    return (
        <section className="flex flex-col gap-3" aria-labelledby="sessions-title">
            <div className="flex flex-wrap items-center gap-2">
                <h2 id="sessions-title" className="text-base font-semibold">
                    {t('sessions.title')}
                </h2>
                {rows && rows.length > 1 ? (
                    <Button className="ml-auto" onClick={() => void act(identity.endOtherSessions())}>
                        {t('sessions.endOthers')}
                    </Button>
                ) : null}
            </div>
            {loadError ? <p role="alert">{errorText(loadError)}</p> : null}
            {!rows && !loadError ? <p>{t('common.loading')}</p> : null}
            {rows ? (
                <div className="overflow-x-auto">
                    <table className={tableClass} data-testid="sessions">
                        <thead>
                            <tr>
                                <th scope="col">{t('sessions.device')}</th>
                                <th scope="col">{t('sessions.ip')}</th>
                                <th scope="col">{t('sessions.created')}</th>
                                <th scope="col">{t('sessions.lastSeen')}</th>
                                <th scope="col">{t('common.actions')}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.map((s) => (
                                <tr key={s.id} data-session={s.id}>
                                    <td title={s.userAgent ?? ''}>{identity.deviceName(s.userAgent)}</td>
                                    <td>{s.ip ?? '—'}</td>
                                    <td>{formatDate(Date.parse(s.createdAt), lang)}</td>
                                    <td>{formatDate(Date.parse(s.lastSeenAt), lang)}</td>
                                    <td>
                                        {s.current ? (
                                            <span className="text-sm font-medium">{t('sessions.current')}</span>
                                        ) : (
                                            <Button onClick={() => void act(identity.endSession(s.id))}>{t('sessions.end')}</Button>
                                        )}
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
