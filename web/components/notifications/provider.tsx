'use client';
/*
 * Notifications for the console: the history, the unread count and the live
 * feed. Pages subscribe to live events (the file browser refreshes its
 * folder and shows a toast when the event is about what it shows).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

import { notifications as api, type Notification } from '@/lib/api';

interface State {
    items: Notification[];
    unread: number;
    connected: boolean;
    markRead(): void;
    subscribe(fn: (n: Notification) => void): () => void;
}

const Ctx = createContext<State | null>(null);
const MAX = 200;
const SEEN_KEY = 'seau.notifications.seen';

function merge(list: Notification[], more: Notification[]): Notification[] {
    const seen = new Set(list.map((n) => n.id));
    const all = [...more.filter((n) => !seen.has(n.id)), ...list];
    all.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
    return all.slice(0, MAX);
}

export function NotificationsProvider({ children }: { children: ReactNode }) {
    const [items, setItems] = useState<Notification[]>([]);
    const [seenAt, setSeenAt] = useState('');
    const [connected, setConnected] = useState(false);
    const listeners = useRef(new Set<(n: Notification) => void>());
    const wasConnected = useRef(false);

    const refresh = useCallback(() => {
        api.listNotifications({ limit: 50 }).then(
            (r) => setItems((cur) => merge(cur, r.notifications)),
            () => undefined /* history unavailable: the live feed still works */,
        );
    }, []);

    useEffect(() => {
        try {
            setSeenAt(localStorage.getItem(SEEN_KEY) ?? '');
        } catch {
            /* ignore */
        }
        refresh();
        const feed = api.connectNotifications({
            event(n) {
                setItems((cur) => merge(cur, [n]));
                for (const l of listeners.current) l(n);
            },
            status(up) {
                setConnected(up);
                /* Back after a drop: fetch what was missed meanwhile. */
                if (up && wasConnected.current) refresh();
                if (up) wasConnected.current = true;
            },
        });
        return () => feed.close();
    }, [refresh]);

    const value = useMemo<State>(
        () => ({
            items,
            unread: items.filter((n) => n.timestamp > seenAt).length,
            connected,
            markRead() {
                const latest = items[0]?.timestamp ?? new Date().toISOString();
                setSeenAt(latest);
                try {
                    localStorage.setItem(SEEN_KEY, latest);
                } catch {
                    /* ignore */
                }
            },
            subscribe(fn) {
                listeners.current.add(fn);
                return () => listeners.current.delete(fn);
            },
        }),
        [items, seenAt, connected],
    );
    return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useNotifications(): State {
    const c = useContext(Ctx);
    if (!c) throw new Error('useNotifications outside NotificationsProvider');
    return c;
}

export function useLiveEvents(fn: (n: Notification) => void): void {
    const { subscribe } = useNotifications();
    useEffect(() => subscribe(fn), [subscribe, fn]);
}
