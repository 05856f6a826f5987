'use client';
/*
 * The signed-in user for the console pages. No session, or a 401 from any
 * call later on: back to the sign-in page, which returns here afterwards.
 */
import { useRouter } from 'next/navigation';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';

import { auth, onSessionLost, type User } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

import { LoadingShell } from './loading-shell';
import { PasswordChange } from './password-change';

const Ctx = createContext<User | null>(null);

function here(): string {
    return location.pathname + location.search;
}

export function SessionProvider({ children }: { children: ReactNode }) {
    const [user, setUser] = useState<User | null>(null);
    const [failed, setFailed] = useState<unknown>(null);
    const router = useRouter();
    const { t, errorText } = useI18n();

    useEffect(() => {
        let gone = false;
        onSessionLost(() => {
            if (gone) return;
            gone = true;
            router.replace(`/login?expired=1&next=${encodeURIComponent(here())}`);
        });
        auth.me().then(
            (u) => (u ? setUser(u) : router.replace(`/login?next=${encodeURIComponent(here())}`)),
            (e) => setFailed(e),
        );
        return () => onSessionLost(null);
    }, [router]);

    if (failed)
        return (
            <main className="p-8" role="alert">
                <h1 className="text-lg font-semibold">{t('error.title')}</h1>
                <p>{errorText(failed)}</p>
            </main>
        );
    if (!user) return <LoadingShell />;
    /* An admin chose the password: nothing else works until the person chooses their own. */
    if (user.mustChangePassword) return <PasswordChange user={user} onChanged={setUser} />;
    return <Ctx.Provider value={user}>{children}</Ctx.Provider>;
}

/** The signed-in user (inside SessionProvider only). */
export function useUser(): User {
    const u = useContext(Ctx);
    if (!u) throw new Error('useUser outside SessionProvider');
    return u;
}

export function canManage(u: User): boolean {
    return u.role === 'admin' || u.role === 'manager';
}
