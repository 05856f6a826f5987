'use client';
/*
 * Uploads a reload (or a crash) cut off, from the saved sessions: "Resume"
 * takes the file kept in IndexedDB (Chromium) and goes on with the parts S3
 * lacks; where no file was kept it asks for it and checks that name, size
 * and date match. "Forget" aborts the upload in S3.
 */
import { useEffect, useRef, useState } from 'react';

import { formatBytes, formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';
import { interrupted, mismatch } from '@/lib/upload/interrupted';
import { keptFile } from '@/lib/upload/kept-files';
import { RESUME_MAX_AGE_MS, type ResumeRecord } from '@/lib/upload/planner';
import { loadRecords } from '@/lib/upload/store';

import { useUploadManager, useUploadTasks } from './provider';

export function useInterrupted(): [ResumeRecord[], () => void] {
    const m = useUploadManager();
    const tasks = useUploadTasks();
    const [records, setRecords] = useState<ResumeRecord[]>([]);
    const [tick, setTick] = useState(0);
    useEffect(() => {
        const live = m.liveSessions();
        const busy = new Set(tasks.filter((t) => t.status === 'running' || t.status === 'queued').map((t) => `${t.bucket}/${t.key}`));
        setRecords(interrupted(loadRecords(), live, Date.now(), RESUME_MAX_AGE_MS).filter((r) => !busy.has(`${r.bucket}/${r.key}`)));
    }, [m, tasks, tick]);
    return [records, () => setTick((n) => n + 1)];
}

function Line({ r, onDone }: { r: ResumeRecord; onDone(): void }) {
    const { t, lang } = useI18n();
    const m = useUploadManager();
    const input = useRef<HTMLInputElement>(null);
    const [problem, setProblem] = useState<string | null>(null);
    async function resume() {
        setProblem(null);
        const f = await keptFile(r.uploadId);
        if (f && !mismatch(r, f)) {
            m.add([{ file: f, key: r.key }], r.bucket);
            onDone();
            return;
        }
        input.current?.click();
    }
    return (
        <li className="flex flex-col gap-1 border-b border-slate-200 px-3 py-2 text-sm last:border-0 dark:border-slate-700" data-interrupted={r.name}>
            <div className="flex items-center gap-2">
                <span className="min-w-0 flex-1 truncate font-medium" title={`${r.bucket}/${r.key}`}>
                    {r.name}
                </span>
                <button type="button" className="rounded px-1.5 text-xs font-semibold underline" onClick={() => void resume()} aria-label={t('trust.resumeNamed', { name: r.name })} data-testid="resume">
                    {t('trust.resume')}
                </button>
                <button
                    type="button"
                    className="rounded px-1.5 text-xs underline"
                    onClick={() => {
                        m.forgetInterrupted(r.uploadId);
                        onDone();
                    }}
                    aria-label={t('trust.forgetNamed', { name: r.name })}
                >
                    {t('trust.forget')}
                </button>
            </div>
            <p className="text-xs text-slate-700 dark:text-slate-300">
                {t('trust.interruptedAt', { size: formatBytes(r.size, lang), where: `${r.bucket}/${r.key}`, when: formatDate(r.createdAt, lang) })}
            </p>
            {problem ? (
                <p className="text-xs text-red-800 dark:text-red-300" role="alert">
                    {problem}
                </p>
            ) : null}
            <input
                ref={input}
                type="file"
                hidden
                data-testid="resume-input"
                onChange={(e) => {
                    const f = e.target.files?.[0];
                    e.target.value = '';
                    if (!f) return;
                    const why = mismatch(r, f);
                    if (why) {
                        setProblem(t(`trust.notSameFile.${why}`, { name: r.name }));
                        return;
                    }
                    m.add([{ file: f, key: r.key }], r.bucket);
                    onDone();
                }}
            />
        </li>
    );
}

export function InterruptedUploads({ records, refresh }: { records: ResumeRecord[]; refresh(): void }) {
    const { t } = useI18n();
    if (records.length === 0) return null;
    return (
        <div data-testid="interrupted">
            <h3 className="border-b border-slate-200 px-3 py-1.5 text-xs font-semibold uppercase tracking-wide dark:border-slate-700">{t('trust.interrupted')}</h3>
            <ul>
                {records.map((r) => (
                    <Line key={r.uploadId} r={r} onDone={refresh} />
                ))}
            </ul>
        </div>
    );
}
