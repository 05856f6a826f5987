'use client';
/* One upload manager for the console: uploads go on while the user browses elsewhere. */
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';

import { UploadManager, type TaskView, type UploadTask } from '@/lib/upload/engine';

const Ctx = createContext<UploadManager | null>(null);

export function UploadProvider({ children }: { children: ReactNode }) {
    const [manager] = useState(() => new UploadManager());
    /* Leaving while uploads run asks first: the browser shows its own question. */
    useEffect(() => {
        const warn = (e: BeforeUnloadEvent) => {
            if (!manager.busy()) return;
            e.preventDefault();
            e.returnValue = '';
        };
        window.addEventListener('beforeunload', warn);
        return () => window.removeEventListener('beforeunload', warn);
    }, [manager]);
    return <Ctx.Provider value={manager}>{children}</Ctx.Provider>;
}

export function useUploadManager(): UploadManager {
    const m = useContext(Ctx);
    if (!m) throw new Error('useUploadManager outside UploadProvider');
    return m;
}

const none: TaskView[] = [];

export function useUploadTasks(): TaskView[] {
    const m = useUploadManager();
    return useSyncExternalStore(
        (fn) => m.subscribe(fn),
        () => m.views(),
        () => none,
    );
}

/** Calls fn for each finished upload (the file browser refreshes its folder). */
export function useOnUploaded(fn: (t: UploadTask) => void): void {
    const m = useUploadManager();
    useEffect(() => m.onUploaded(fn), [m, fn]);
}
