'use client';
/*
 * Language: the user's choice (kept in localStorage), else the browser's
 * (French when it prefers French), else English. Pages are exported in
 * English and switch after the first render, so hydration always matches.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

import { ApiError } from '../api/client';
import { en, type MessageId } from './en';
import { fr } from './fr';

export type Lang = 'en' | 'fr';
export const LANGS: Lang[] = ['en', 'fr'];
const catalogues: Record<Lang, Record<MessageId, string>> = { en, fr };
const KEY = 'seau.lang';

export type Vars = Record<string, string | number>;
export type T = (id: MessageId, vars?: Vars) => string;

export function translate(lang: Lang, id: MessageId, vars?: Vars): string {
    const s = catalogues[lang][id] ?? en[id];
    return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
}

export function preferredLang(stored: string | null, browser: readonly string[]): Lang {
    if (stored === 'en' || stored === 'fr') return stored;
    for (const l of browser) {
        const base = l.toLowerCase().slice(0, 2);
        if (base === 'fr' || base === 'en') return base;
    }
    return 'en';
}

interface I18n {
    lang: Lang;
    t: T;
    setLang(l: Lang): void;
    /** A plain sentence for any error: never a raw dump. */
    errorText(e: unknown): string;
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
    const [lang, setLangState] = useState<Lang>('en');
    useEffect(() => {
        let stored: string | null = null;
        try {
            stored = localStorage.getItem(KEY);
        } catch {
            /* storage disabled */
        }
        setLangState(preferredLang(stored, navigator.languages ?? [navigator.language]));
    }, []);
    useEffect(() => {
        document.documentElement.lang = lang;
    }, [lang]);
    const setLang = useCallback((l: Lang) => {
        setLangState(l);
        try {
            localStorage.setItem(KEY, l);
        } catch {
            /* storage disabled: the choice lasts this page */
        }
    }, []);
    const value = useMemo<I18n>(() => {
        const t: T = (id, vars) => translate(lang, id, vars);
        return { lang, t, setLang, errorText: (e) => errorText(t, e) };
    }, [lang, setLang]);
    return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
    const c = useContext(Ctx);
    if (!c) throw new Error('useI18n outside I18nProvider');
    return c;
}

const KNOWN = new Set<string>(Object.keys(en).filter((k) => k.startsWith('err.')).map((k) => k.slice(4)));
const MESSAGES = new Set<string>(Object.keys(en));

/*
 * One field of a validation_failed answer in the reader's language: the
 * field's label and the server's reason (English, API.md) when the catalogue
 * knows them (areas/validation.*.ts), else as the server wrote them.
 */
export function validationDetail(t: T, field: string, why: unknown): string {
    const label = MESSAGES.has(`vfield.${field}`) ? t(`vfield.${field}` as MessageId) : field;
    if (typeof why !== 'string') return label;
    const reason = MESSAGES.has(`vwhy.${why}`) ? t(`vwhy.${why}` as MessageId) : why;
    return t('vformat', { field: label, why: reason });
}

export function errorText(t: T, e: unknown): string {
    if (e instanceof ApiError) {
        if (e.status === 404 && e.code !== 'not_found') return t('err.not_available');
        if (e.status === 405) return t('err.not_available');
        if (e.code === 'validation_failed') {
            /* API.md: details name the fields; {"fields": {"key": "is too long"}} reads best as "name is too long". */
            const fields = e.details.fields;
            const named = fields && typeof fields === 'object' ? Object.entries(fields as Record<string, unknown>).map(([k, v]) => validationDetail(t, k, v)) : [];
            const detail = named.length ? named.join('; ') : e.message || Object.keys(e.details).join(', ');
            return t('err.validation_failed', { detail });
        }
        if (KNOWN.has(e.code)) return t(`err.${e.code}` as MessageId);
        /* An unknown code: the server's sentence is written for people; no stack traces there. */
        if (e.message && e.status < 500) return e.message;
        return t('err.generic');
    }
    if (e instanceof Error && KNOWN.has(e.message)) return t(`err.${e.message}` as MessageId);
    return t('err.generic');
}
