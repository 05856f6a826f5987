'use client';
/* The audit log with filters (admins and managers). */
import { useCallback, useEffect, useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { inputClass } from '@/components/ui/field';
import { Page, tableClass } from '@/components/ui/page';
import { admin, type ActivityEntry } from '@/lib/api';
import type { ActivityFilters } from '@/lib/api/admin';
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';
import { AUDIT_ACTIONS, activitySentence, type Translate } from '@/lib/sentences';

export function ActivityLog() {
    const { t, lang, errorText } = useI18n();
    const [filters, setFilters] = useState<ActivityFilters>({});
    const [draft, setDraft] = useState({ user: '', action: '', bucket: '', since: '', until: '' });
    const [entries, setEntries] = useState<ActivityEntry[] | null>(null);
    const [cursor, setCursor] = useState<string | null>(null);
    const [error, setError] = useState<unknown>(null);

    const load = useCallback(
        (more: string | null) => {
            admin.activity(filters, more).then(
                (r) => {
                    setEntries((cur) => (more ? [...(cur ?? []), ...r.entries] : r.entries));
                    setCursor(r.nextCursor);
                    setError(null);
                },
                setError,
            );
        },
        [filters],
    );
    useEffect(() => load(null), [load]);

    function submit(e: FormEvent) {
        e.preventDefault();
        setFilters({
            user: draft.user || undefined,
            action: draft.action || undefined,
            bucket: draft.bucket || undefined,
            since: draft.since ? new Date(`${draft.since}T00:00:00Z`).toISOString() : undefined,
            until: draft.until ? new Date(`${draft.until}T23:59:59.999Z`).toISOString() : undefined,
        });
    }
    const input = (k: keyof typeof draft, label: string, type = 'text') => (
        <label className="flex flex-col gap-1 text-xs font-medium">
            {label}
            <input type={type} className={inputClass} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
        </label>
    );
    return (
        <Page title={t('activity.title')}>
            <form onSubmit={submit} className="grid grid-cols-2 items-end gap-2 sm:grid-cols-6">
                {input('user', t('activity.user'))}
                <label className="flex flex-col gap-1 text-xs font-medium">
                    {t('trust.act.code')}
                    <select className={inputClass} value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} data-testid="action-filter">
                        <option value="">{t('common.all')}</option>
                        {AUDIT_ACTIONS.map((a) => (
                            <option key={a} value={a}>
                                {a}
                            </option>
                        ))}
                    </select>
                </label>
                {input('bucket', t('files.bucket'))}
                {input('since', t('activity.since'), 'date')}
                {input('until', t('activity.until'), 'date')}
                <Button type="submit" variant="primary">
                    {t('common.apply')}
                </Button>
            </form>
            {error ? <p role="alert">{errorText(error)}</p> : null}
            {entries && entries.length === 0 ? <p>{t('activity.none')}</p> : null}
            {entries && entries.length > 0 ? (
                <div className="overflow-x-auto">
                    <table className={tableClass} data-testid="activity">
                        <thead>
                            <tr>
                                <th scope="col">{t('activity.time')}</th>
                                <th scope="col">{t('trust.act.sentence')}</th>
                                <th scope="col">{t('trust.act.code')}</th>
                                <th scope="col">{t('activity.ip')}</th>
                                <th scope="col">{t('activity.status')}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {entries.map((a) => (
                                <tr key={a.id}>
                                    <td className="whitespace-nowrap">{formatDate(Date.parse(a.time), lang)}</td>
                                    <td className="max-w-md [overflow-wrap:anywhere]" data-testid="activity-sentence">{activitySentence(a, t as Translate)}</td>
                                    <td>
                                        <code className="text-xs">{a.action}</code>
                                    </td>
                                    <td>{a.ip}</td>
                                    <td>{a.status === 'success' ? t('trust.status.success') : a.status === 'failure' ? t('trust.status.failure') : a.status}</td>
                                </tr>
                            ))}
                        </tbody>
                    </table>
                </div>
            ) : null}
            {cursor ? (
                <Button onClick={() => load(cursor)} className="self-center">
                    {t('common.loadMore')}
                </Button>
            ) : null}
        </Page>
    );
}
