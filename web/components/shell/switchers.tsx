'use client';
import { useId } from 'react';

import { LANGS, useI18n, type Lang } from '@/lib/i18n';
import { useTheme, type Theme } from '@/lib/theme';

const small = 'rounded-md border border-slate-300 bg-white px-1.5 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-100';

/** The language and theme switches (the sign-in page and the header). */
export function Switchers() {
    const { t, lang, setLang } = useI18n();
    const { theme, setTheme } = useTheme();
    const langId = useId();
    const themeId = useId();
    return (
        <div className="flex items-center gap-2">
            <label htmlFor={langId} className="sr-only">
                {t('lang.label')}
            </label>
            <select id={langId} data-testid="lang" className={small} value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
                {LANGS.map((l) => (
                    <option key={l} value={l}>
                        {l === 'en' ? 'English' : 'Français'}
                    </option>
                ))}
            </select>
            <label htmlFor={themeId} className="sr-only">
                {t('theme.label')}
            </label>
            <select id={themeId} data-testid="theme" className={small} value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
                <option value="system">{t('theme.system')}</option>
                <option value="light">{t('theme.light')}</option>
                <option value="dark">{t('theme.dark')}</option>
            </select>
        </div>
    );
}
