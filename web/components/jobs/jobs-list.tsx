'use client';
/* The folder jobs in the notification bell's panel: progress, cancel, and what each did. */
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';
import type { MessageId } from '@/lib/i18n/en';
import { progress, type Job } from '@/lib/jobs/jobs';

import { useJobs } from './provider';

function JobLine({ j }: { j: Job }) {
    const { t, lang } = useI18n();
    const { runner } = useJobs();
    const p = progress(j);
    const where = `${j.bucket}/${j.prefix}`;
    const title = t(`trust.job.${j.kind}` as MessageId, { folder: where, dest: `${j.destBucket ?? j.bucket}/${j.destPrefix ?? ''}` });
    return (
        <li className="flex flex-col gap-1 border-b border-slate-200 px-3 py-2 text-sm last:border-0 dark:border-slate-700" data-testid="job" data-status={j.status} data-done={j.done}>
            <div className="flex items-center gap-2">
                <span className="min-w-0 flex-1 break-all font-medium">{title}</span>
                {j.status === 'running' ? (
                    <button type="button" className="text-xs underline" onClick={() => runner.cancel(j.id)} data-testid="job-cancel">
                        {t('common.cancel')}
                    </button>
                ) : null}
            </div>
            {j.status === 'running' ? (
                <progress className="h-1.5 w-full accent-blue-700" max={1} value={p ?? undefined} aria-label={title} />
            ) : null}
            <p className="text-xs text-slate-700 dark:text-slate-300" data-testid="job-summary">
                {t(`trust.jobStatus.${j.status}` as MessageId, { done: j.done, total: j.total ?? '?', failed: j.failed })}
                {j.endedAt ? ` · ${formatDate(j.endedAt, lang)}` : ''}
            </p>
            {j.errors.length ? (
                <ul className="list-disc pl-4 text-xs text-red-800 dark:text-red-300">
                    {j.errors.map((e, i) => (
                        <li key={i} className="break-all">
                            {e.key ? `${e.key}: ` : ''}
                            {e.message}
                        </li>
                    ))}
                </ul>
            ) : null}
        </li>
    );
}

export function JobsList() {
    const { jobs, clearFinished } = useJobs();
    const { t } = useI18n();
    if (jobs.length === 0) return null;
    return (
        <section aria-label={t('trust.jobs')} className="border-b border-slate-200 dark:border-slate-700" data-testid="jobs">
            <div className="flex items-center gap-2 px-3 py-1.5">
                <h3 className="text-xs font-semibold uppercase tracking-wide">{t('trust.jobs')}</h3>
                <button type="button" className="ml-auto text-xs underline" onClick={clearFinished}>
                    {t('upload.clear')}
                </button>
            </div>
            <ul className="max-h-48 overflow-auto">
                {jobs.map((j) => (
                    <JobLine key={j.id} j={j} />
                ))}
            </ul>
        </section>
    );
}
