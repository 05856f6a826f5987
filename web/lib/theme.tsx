'use client';
/*
 * Light, dark or the system's theme. The choice lives in localStorage; a
 * tiny inline script (THEME_SCRIPT, hashed into the CSP at build time) sets
 * the class on <html> before the first paint, so there is no flash.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';

export type Theme = 'light' | 'dark' | 'system';
const KEY = 'seau.theme';

export const THEME_SCRIPT = `try{var t=localStorage.getItem('${KEY}');var d=t==='dark'||((!t||t==='system')&&matchMedia('(prefers-color-scheme: dark)').matches);document.documentElement.classList.toggle('dark',d)}catch(e){}`;

function apply(theme: Theme) {
    const dark = theme === 'dark' || (theme === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
    document.documentElement.classList.toggle('dark', dark);
    document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
}

const Ctx = createContext<{ theme: Theme; setTheme(t: Theme): void }>({ theme: 'system', setTheme: () => undefined });

export function ThemeProvider({ children }: { children: ReactNode }) {
    const [theme, setThemeState] = useState<Theme>('system');
    useEffect(() => {
        let t: string | null = null;
        try {
            t = localStorage.getItem(KEY);
        } catch {
            /* storage disabled */
        }
        const initial: Theme = t === 'light' || t === 'dark' ? t : 'system';
        setThemeState(initial);
        apply(initial);
        const mq = matchMedia('(prefers-color-scheme: dark)');
        const onChange = () => {
            let cur: string | null = null;
            try {
                cur = localStorage.getItem(KEY);
            } catch {
                /* ignore */
            }
            if (cur !== 'light' && cur !== 'dark') apply('system');
        };
        mq.addEventListener('change', onChange);
        return () => mq.removeEventListener('change', onChange);
    }, []);
    const setTheme = useCallback((t: Theme) => {
        setThemeState(t);
        try {
            localStorage.setItem(KEY, t);
        } catch {
            /* the choice lasts this page */
        }
        apply(t);
    }, []);
    return <Ctx.Provider value={{ theme, setTheme }}>{children}</Ctx.Provider>;
}

export function useTheme() {
    return useContext(Ctx);
}
