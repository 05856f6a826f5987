'use client';
/*
 * Where the browser is: the bucket, the folder and the sort order live in
 * the URL (so reloads and the back button work); the buckets come from the
 * server once.
 */
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';

import { files as api, type Bucket, type SortKey } from '@/lib/api';

export interface Place {
    bucket?: string;
    prefix?: string;
    sort?: SortKey;
}

export function parentOf(key: string): string {
    const k = key.endsWith('/') ? key.slice(0, -1) : key;
    return k.slice(0, k.lastIndexOf('/') + 1);
}

export function useLocation(onMove: () => void) {
    const router = useRouter();
    const pathname = usePathname();
    const params = useSearchParams();
    const [buckets, setBuckets] = useState<Bucket[] | null>(null);
    const [bucketsError, setBucketsError] = useState<unknown>(null);
    const bucket = params.get('bucket') || buckets?.[0]?.name || null;
    const prefix = params.get('prefix') ?? '';
    const sort = (params.get('sort') as SortKey | null) ?? 'name';

    useEffect(() => {
        api.buckets().then(setBuckets, setBucketsError);
    }, []);

    const navigate = useCallback(
        (next: Place) => {
            const sp = new URLSearchParams();
            const b = next.bucket ?? bucket;
            if (b) sp.set('bucket', b);
            const p = next.prefix ?? prefix;
            if (p) sp.set('prefix', p);
            const s = next.sort ?? sort;
            if (s !== 'name') sp.set('sort', s);
            onMove();
            router.push(`${pathname}?${sp.toString()}`);
        },
        [bucket, prefix, sort, pathname, router, onMove],
    );

    return { buckets, bucketsError, bucket, prefix, sort, navigate };
}
