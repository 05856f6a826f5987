'use client';
import { useState } from 'react';

import { JobsList } from '@/components/jobs/jobs-list';
import { useJobs } from '@/components/jobs/provider';
import { Icon } from '@/components/ui/icon';
import { NOTIFICATION_TYPES } from '@/lib/api';
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';
import type { MessageId } from '@/lib/i18n/en';

import { describe } from './describe';
import { useNotifications } from './provider';

export function NotificationBell() {
    const { items, unread, connected, markRead } = useNotifications();
    const { t, lang } = useI18n();
    const [open, setOpen] = useState(false);
    const [type, setType] = useState('');
    const runningJobs = useJobs().jobs.filter((j) => j.status === 'running').length;
    const shown = type ? items.filter((n) => n.type === type) : items;
    return (
        <div className="relative">
            <button
                type="button"
                data-testid="bell"
                aria-expanded={open}
                aria-controls="notif-panel"
                onClick={() => setOpen(!open)}
                className="relative rounded-md px-2 py-1.5 text-sm hover:bg-slate-200 dark:hover:bg-slate-800"
            >
                <Icon name="bell" className="h-5 w-5" />
                <span className="sr-only">{t('notif.bell')}</span>
                {unread > 0 ? (
                    <span data-testid="unread" className="absolute -right-1 -top-1 min-w-5 rounded-full bg-red-700 px-1 text-center text-xs font-semibold text-white">
                        {unread > 99 ? '99+' : unread}
                        <span className="sr-only"> {t('notif.unread', { count: unread })}</span>
                    </span>
                ) : null}
                {runningJobs > 0 ? (
                    <span data-testid="jobs-running" className="absolute -bottom-1 -right-1 h-2.5 w-2.5 animate-pulse rounded-full bg-blue-600">
                        <span className="sr-only"> {t('trust.jobsRunning', { count: runningJobs })}</span>
                    </span>
                ) : null}
            </button>
            {open ? (
                <div id="notif-panel" role="region" aria-label={t('notif.title')} className="absolute right-0 z-40 mt-2 w-[min(24rem,calc(100vw-1.5rem))] rounded-lg border border-slate-300 bg-white shadow-xl dark:border-slate-600 dark:bg-slate-900">
                    <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-700">
                        <h2 className="text-sm font-semibold">{t('notif.title')}</h2>
                        <span className={`text-xs ${connected ? 'text-emerald-800 dark:text-emerald-300' : 'text-amber-900 dark:text-amber-200'}`}>{connected ? t('notif.live') : t('notif.offline')}</span>
                        <label className="ml-auto flex items-center gap-1 text-xs">
                            {t('notif.filter')}
                            <select value={type} onChange={(e) => setType(e.target.value)} className="rounded border border-slate-300 bg-white px-1 py-0.5 text-xs dark:border-slate-600 dark:bg-slate-800">
                                <option value="">{t('common.all')}</option>
                                {NOTIFICATION_TYPES.map((x) => (
                                    <option key={x} value={x}>
                                        {t(`notif.type.${x}` as MessageId)}
                                    </option>
                                ))}
                            </select>
                        </label>
                        <button type="button" className="text-xs underline" onClick={markRead}>
                            {t('notif.markRead')}
                        </button>
                    </div>
                    <JobsList />
                    <ul className="max-h-96 overflow-auto" data-testid="notif-list">
                        {shown.length === 0 ? <li className="px-3 py-4 text-sm text-slate-700 dark:text-slate-300">{t('notif.none')}</li> : null}
                        {shown.map((n) => (
                            <li key={n.id} className="border-b border-slate-100 px-3 py-2 text-sm last:border-0 dark:border-slate-800">
                                <p className="break-words [overflow-wrap:anywhere]">{describe(n, t)}</p>
                                <p className="text-xs text-slate-700 dark:text-slate-300">
                                    {formatDate(Date.parse(n.timestamp), lang)}
                                    {n.metadata.bucket ? ` · ${n.metadata.bucket}` : ''}
                                </p>
                            </li>
                        ))}
                    </ul>
                </div>
            ) : null}
        </div>
    );
}
