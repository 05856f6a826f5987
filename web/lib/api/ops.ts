/* Operations seen from the console: the progress of the object index's walks (GET /api/ready). */
import { request } from './client';
import { bool, nullable, num, obj, oneOf, str, withDefault, type Infer } from './decode';

const wireIndex = obj({
    state: oneOf(['idle', 'syncing', 'done', 'failed'] as const),
    bucket: withDefault(nullable(str), null),
    objects: withDefault(num, 0),
    resumed: withDefault(bool, false),
});

const wireReady = obj({
    details: withDefault(obj({ index: withDefault(nullable(wireIndex), null) }), { index: null }),
});

export type IndexProgress = Infer<typeof wireIndex>;

/*
 * Where the walk of the buckets into the index stands, or null when the
 * server does not say (it is not ready, or runs no walks).
 */
export async function indexProgress(signal?: AbortSignal): Promise<IndexProgress | null> {
    try {
        const r = await request('GET', '/api/ready', { decode: wireReady, signal, quiet401: true });
        return r.details.index;
    } catch {
        return null;
    }
}
