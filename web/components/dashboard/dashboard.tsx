'use client';
/*
 * Cards and charts from /api/stats, recent activity from /api/activity
 * (admins and managers) or the stats' own list. Charts are plain SVG with a
 * text equivalent, not a charting library: two bar charts do not justify
 * 50 KB of JavaScript.
 */
import { useEffect, useState } from 'react';

import { canManage, useUser } from '@/components/shell/session';
import { Page } from '@/components/ui/page';
import { admin, indexProgress, stats as getStats, type ActivityEntry, type IndexProgress, type Stats } from '@/lib/api';
import { formatBytes, formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';
import type { MessageId } from '@/lib/i18n/en';
import { activitySentence, type Translate } from '@/lib/sentences';

import { BarChart } from './bar-chart';

function Card({ label, value }: { label: string; value: string }) {
    return (
        <div className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-700 dark:bg-slate-900" data-testid="card">
            <p className="text-sm text-slate-700 dark:text-slate-300">{label}</p>
            <p className="mt-1 text-2xl font-semibold tabular-nums">{value}</p>
        </div>
    );
}

/* "2026-11-23" as the reader writes a short day ("23 Nov", "23 nov."). */
function formatDay(day: string, lang: string): string {
    const d = new Date(`${day.slice(0, 10)}T00:00:00Z`);
    return Number.isNaN(d.getTime()) ? day : new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(d);
}

/*
 * For admins: the walk of the buckets into the index, while one runs (the
 * figures above fill as it goes), polled every few seconds; nothing once it
 * is done.
 */
function IndexingBanner() {
    const { t, lang } = useI18n();
    const [p, setP] = useState<IndexProgress | null>(null);
    useEffect(() => {
        const ac = new AbortController();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const tick = async () => {
            const next = await indexProgress(ac.signal);
            if (ac.signal.aborted) return;
            setP(next);
            if (next?.state === 'syncing') timer = setTimeout(tick, 3000);
        };
        void tick();
        return () => {
            ac.abort();
            if (timer) clearTimeout(timer);
        };
    }, []);
    if (!p || (p.state !== 'syncing' && p.state !== 'failed')) return null;
    const count = p.objects.toLocaleString(lang);
    const text =
        p.state === 'failed'
            ? t('obs.indexFailed')
            : p.bucket
              ? t('obs.indexingBucket', { bucket: p.bucket, count })
              : t('obs.indexing', { count });
    return (
        <p role="status" data-testid="indexing" className="rounded-lg border border-blue-200 bg-blue-50 p-3 text-sm text-blue-900 dark:border-blue-800 dark:bg-blue-950 dark:text-blue-100">
            {text}
            {p.state === 'syncing' && p.resumed ? ` (${t('obs.indexingResumed')})` : null}
        </p>
    );
}

export function Dashboard() {
    const { t, lang, errorText } = useI18n();
    const user = useUser();
    const [s, setS] = useState<Stats | null>(null);
    const [error, setError] = useState<unknown>(null);
    const [recent, setRecent] = useState<ActivityEntry[] | null>(null);
    useEffect(() => {
        getStats().then(setS, setError);
        if (canManage(user)) admin.activity({}, null, 10).then((r) => setRecent(r.entries), () => undefined);
    }, [user]);
    const today = new Date().toISOString().slice(0, 10);
    const uploadsToday = s ? s.uploadsToday ?? s.uploadsPerDay.find((d) => d.day.slice(0, 10) === today)?.count ?? 0 : 0;
    const activity = recent ?? s?.recentActivity ?? [];
    return (
        <Page title={t('dash.title')}>
            {user.role === 'admin' ? <IndexingBanner /> : null}
            {error ? <p role="alert">{errorText(error)}</p> : null}
            {!s && !error ? <p>{t('common.loading')}</p> : null}
            {s ? (
                <>
                    <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
                        <Card label={t('dash.objects')} value={s.objects.toLocaleString(lang)} />
                        <Card label={t('dash.bytes')} value={formatBytes(s.bytes, lang)} />
                        <Card label={t('dash.uploadsToday')} value={uploadsToday.toLocaleString(lang)} />
                        <Card label={t('dash.activeUsers')} value={s.activeUsers.toLocaleString(lang)} />
                    </div>
                    <div className="grid gap-3 md:grid-cols-2">
                        <BarChart
                            title={t('dash.perDay')}
                            unit={t('trust.unitFiles')}
                            data={s.uploadsPerDay.map((d) => ({ label: formatDay(d.day, lang), value: d.count }))}
                            format={(v) => Math.round(v).toLocaleString(lang)}
                            tick={(label, i, n) => (i === 0 || i === n - 1 || i === Math.floor(n / 2) ? label : null)}
                        />
                        <BarChart
                            title={t('dash.byType')}
                            unit={t('trust.unitSize')}
                            data={s.byType.map((d) => ({ label: t(`trust.type.${d.type}` as MessageId), value: d.bytes }))}
                            format={(v) => formatBytes(v, lang)}
                        />
                    </div>
                </>
            ) : null}
            <section className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-700 dark:bg-slate-900">
                <h2 className="mb-2 text-sm font-semibold">{t('dash.recent')}</h2>
                {activity.length === 0 ? <p className="text-sm">{t('dash.noData')}</p> : null}
                <ul className="flex flex-col gap-1 text-sm">
                    {activity.map((a) => (
                        <li key={a.id} className="flex flex-wrap gap-x-2 [overflow-wrap:anywhere]">
                            <span className="text-slate-700 dark:text-slate-300">{formatDate(Date.parse(a.time), lang)}</span>
                            <span>{activitySentence(a, t as Translate)}</span>
                        </li>
                    ))}
                </ul>
            </section>
        </Page>
    );
}
