'use client';
/* The console's folder jobs: one runner, resumed after a reload, listed from the notification bell. */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';

import type { Job } from '@/lib/jobs/jobs';
import { JobRunner, forgetFinished, loadJobs } from '@/lib/jobs/runner';

interface JobsApi {
    jobs: Job[];
    runner: JobRunner;
    clearFinished(): void;
}

const Ctx = createContext<JobsApi | null>(null);

export function JobsProvider({ children }: { children: ReactNode }) {
    const [jobs, setJobs] = useState<Job[]>([]);
    const [runner] = useState(() => new JobRunner(setJobs));
    useEffect(() => {
        setJobs(loadJobs());
        runner.resumeAll();
    }, [runner]);
    return <Ctx.Provider value={{ jobs, runner, clearFinished: () => setJobs(forgetFinished()) }}>{children}</Ctx.Provider>;
}

export function useJobs(): JobsApi {
    const v = useContext(Ctx);
    if (!v) throw new Error('useJobs outside JobsProvider');
    return v;
}

/** Calls fn once for each job that ends while this is mounted (the browser reloads its folder). */
export function useOnJobEnded(fn: (j: Job) => void): void {
    const { jobs } = useJobs();
    const [seen] = useState(() => new Map<string, string>());
    useEffect(() => {
        for (const j of jobs) {
            const before = seen.get(j.id);
            seen.set(j.id, j.status);
            if (before === 'running' && j.status !== 'running') fn(j);
        }
    }, [jobs, seen, fn]);
}
