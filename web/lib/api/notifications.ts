/*
 * Notifications: the history (GET /api/notifications) and the live feed
 * (WebSocket /api/notifications/ws). The socket reconnects on its own with
 * a capped, jittered back-off; after a reconnect the caller refetches the
 * history since the last event it saw, so nothing is missed.
 */
import { request } from './client';
import { DecodeError, arr, nullable, obj, str } from './decode';
import { wireNotification, type Notification } from './types';

export async function listNotifications(p: { limit?: number; since?: string; type?: string } = {}): Promise<{ notifications: Notification[]; nextCursor: string | null }> {
    return request('GET', '/api/notifications', {
        query: p,
        decode: obj({ notifications: arr(wireNotification), nextCursor: nullable(str) }),
    });
}

export interface LiveFeed {
    close(): void;
}

export function connectNotifications(on: { event(n: Notification): void; status(connected: boolean): void }): LiveFeed {
    let ws: WebSocket | null = null;
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const open = () => {
        if (closed) return;
        const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
        ws = new WebSocket(`${proto}//${location.host}/api/notifications/ws`);
        ws.onopen = () => {
            attempt = 0;
            on.status(true);
        };
        ws.onmessage = (m) => {
            if (typeof m.data !== 'string') return;
            try {
                on.event(wireNotification(JSON.parse(m.data), '$'));
            } catch (e) {
                if (!(e instanceof DecodeError) && !(e instanceof SyntaxError)) throw e;
            }
        };
        ws.onclose = () => {
            on.status(false);
            if (closed) return;
            const delay = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
            attempt++;
            timer = setTimeout(open, delay);
        };
    };
    open();
    return {
        close() {
            closed = true;
            clearTimeout(timer);
            ws?.close();
        },
    };
}
