'use client';
import { useState } from 'react';

import { formatBytes, formatDuration } from '@/lib/format';
import { useI18n } from '@/lib/i18n';
import { secondsLeft } from '@/lib/upload/planner';
import type { TaskView } from '@/lib/upload/engine';

import { InterruptedUploads, useInterrupted } from './interrupted';
import { useUploadManager, useUploadTasks } from './provider';

function Row({ v }: { v: TaskView }) {
    const { t, lang, errorText } = useI18n();
    const m = useUploadManager();
    const pct = v.size > 0 ? Math.round((v.loaded / v.size) * 100) : v.status === 'done' ? 100 : 0;
    const statusText = v.status === 'running' && v.scanning ? t('links.scanning') : t(`upload.${v.status}`);
    return (
        <li className="flex flex-col gap-1 border-b border-slate-200 px-3 py-2 text-sm last:border-0 dark:border-slate-700" data-upload={v.name} data-status={v.status} data-scanning={v.scanning ? '1' : undefined}>
            <div className="flex items-center gap-2">
                <span className="min-w-0 flex-1 truncate font-medium" title={v.key}>
                    {v.name}
                </span>
                <span className="shrink-0 text-xs text-slate-700 dark:text-slate-300">{statusText}</span>
                {v.status === 'running' || v.status === 'queued' ? (
                    <button type="button" className="rounded px-1.5 text-xs underline" aria-label={t('upload.cancel', { name: v.name })} onClick={() => m.cancel(v.id)}>
                        {t('common.cancel')}
                    </button>
                ) : null}
                {v.status === 'failed' || v.status === 'cancelled' ? (
                    <button type="button" className="rounded px-1.5 text-xs underline" aria-label={t('upload.retry', { name: v.name })} onClick={() => m.retry(v.id)}>
                        {t('common.retry')}
                    </button>
                ) : null}
                {v.status !== 'running' ? (
                    <button type="button" className="rounded px-1 text-base leading-none" aria-label={t('upload.remove', { name: v.name })} onClick={() => m.remove(v.id)}>
                        ×
                    </button>
                ) : null}
            </div>
            <progress className="h-1.5 w-full accent-blue-700" max={100} value={pct} aria-label={t('upload.progress', { name: v.name })} />
            <div className="flex justify-between text-xs text-slate-700 dark:text-slate-300">
                <span>
                    {formatBytes(v.loaded, lang)} / {formatBytes(v.size, lang)}
                </span>
                {v.status === 'running' && v.speed > 0 ? (
                    <span>{t('upload.speed', { speed: formatBytes(v.speed, lang), left: formatDuration(secondsLeft(v.size - v.loaded, v.speed), lang) })}</span>
                ) : null}
            </div>
            {v.resumedParts > 0 ? <p className="text-xs text-emerald-800 dark:text-emerald-300" data-resumed={v.resumedParts}>{t('upload.resumed', { parts: v.resumedParts })}</p> : null}
            {v.restarted ? <p className="text-xs text-amber-900 dark:text-amber-200" data-restarted="1">{t('trust.cannotResume')}</p> : null}
            {v.viaServer ? <p className="text-xs text-amber-900 dark:text-amber-200" data-via-server="1">{t('upload.viaServer')}</p> : null}
            {v.status === 'failed' ? (
                <p className="text-xs text-red-800 dark:text-red-300" role="alert">
                    {errorText(v.error)}
                </p>
            ) : null}
        </li>
    );
}

export function UploadPanel() {
    const tasks = useUploadTasks();
    const m = useUploadManager();
    const { t } = useI18n();
    const [collapsed, setCollapsed] = useState(false);
    const [interrupted, refresh] = useInterrupted();
    if (tasks.length === 0 && interrupted.length === 0) return null;
    const done = tasks.filter((x) => x.status === 'done').length;
    return (
        <section aria-label={t('upload.title')} className="fixed bottom-3 right-3 z-40 w-[min(26rem,calc(100%-1.5rem))] rounded-lg border border-slate-300 bg-white shadow-xl dark:border-slate-600 dark:bg-slate-900">
            <div className="flex items-center gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-700">
                <h2 className="text-sm font-semibold">{t('upload.title')}</h2>
                <span className="text-xs text-slate-700 dark:text-slate-300">{t('upload.summary', { done, total: tasks.length })}</span>
                <button type="button" className="ml-auto text-xs underline" onClick={() => m.clearFinished()}>
                    {t('upload.clear')}
                </button>
                <button type="button" className="text-xs underline" aria-expanded={!collapsed} onClick={() => setCollapsed(!collapsed)}>
                    {collapsed ? '▴' : '▾'}
                    <span className="sr-only">{t('upload.title')}</span>
                </button>
            </div>
            {collapsed ? null : (
                <div className="max-h-72 overflow-auto">
                    <InterruptedUploads records={interrupted} refresh={refresh} />
                    <ul>{tasks.map((v) => <Row key={v.id} v={v} />)}</ul>
                </div>
            )}
        </section>
    );
}
