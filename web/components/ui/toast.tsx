'use client';
/* Short messages in a polite live region; errors stay until dismissed or replaced. */
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

import { useI18n } from '@/lib/i18n';

type Kind = 'info' | 'success' | 'error';
interface Toast {
    id: number;
    kind: Kind;
    text: string;
}

const Ctx = createContext<(text: string, kind?: Kind) => void>(() => undefined);

export function ToastProvider({ children }: { children: ReactNode }) {
    const [toasts, setToasts] = useState<Toast[]>([]);
    const next = useRef(1);
    const { t } = useI18n();
    const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((x) => x.id !== id)), []);
    const show = useCallback(
        (text: string, kind: Kind = 'info') => {
            const id = next.current++;
            setToasts((ts) => [...ts.slice(-3), { id, kind, text }]);
            setTimeout(() => dismiss(id), kind === 'error' ? 10_000 : 5000);
        },
        [dismiss],
    );
    const value = useMemo(() => show, [show]);
    return (
        <Ctx.Provider value={value}>
            {children}
            <div aria-live="polite" role="status" className="pointer-events-none fixed inset-x-0 top-3 z-50 flex flex-col items-center gap-2 px-3">
                {toasts.map((x) => (
                    <div
                        key={x.id}
                        data-toast={x.kind}
                        className={`pointer-events-auto flex max-w-lg items-start gap-3 rounded-md px-4 py-2 text-sm shadow-lg ${
                            x.kind === 'error' ? 'bg-red-800 text-white' : x.kind === 'success' ? 'bg-emerald-800 text-white' : 'bg-slate-800 text-white'
                        }`}
                    >
                        <span className="break-words [overflow-wrap:anywhere]">{x.text}</span>
                        <button type="button" className="ml-auto text-white/90 hover:text-white" aria-label={t('common.close')} onClick={() => dismiss(x.id)}>
                            ×
                        </button>
                    </div>
                ))}
            </div>
        </Ctx.Provider>
    );
}

export function useToast() {
    return useContext(Ctx);
}
