'use client';
/*
 * What this folder allows, said plainly (GET /api/capabilities): what the
 * bucket's store cannot do (no versions: no history, no recycle bin; no
 * ListParts: an interrupted upload starts again), and what the caller's
 * grant allows here (read only, or read and upload).
 */
import { useEffect, useState } from 'react';

import { trust, type StoreCapabilities } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

/** The store's capabilities and the caller's level in bucket/prefix; null until known (or when unknown). */
export function useFolderRights(bucket: string | null, prefix: string, listed: boolean): StoreCapabilities | null {
    const [caps, setCaps] = useState<StoreCapabilities | null>(null);
    useEffect(() => {
        setCaps(null);
        /* Asked once the folder listed: a missing bucket or an ended session is the listing's to say. */
        if (!bucket || !listed) return;
        let live = true;
        trust.capabilities(bucket, prefix).then((c) => live && setCaps(c), () => undefined);
        return () => {
            live = false;
        };
    }, [bucket, prefix, listed]);
    return caps;
}

export function StoreNotice({ bucket, caps }: { bucket: string; caps: StoreCapabilities | null }) {
    const { t } = useI18n();
    if (!caps) return null;
    const lacks = [caps.versioning ? null : t('trust.lacksVersions'), caps.listParts ? null : t('trust.lacksListParts')].filter(Boolean).join('; ');
    const level = caps.level === 'read' ? t('trust.readOnlyHere') : caps.level === 'upload' ? t('trust.uploadOnlyHere') : null;
    if (!lacks && !level) return null;
    return (
        <div className="flex flex-col gap-1">
            {level ? (
                <p className="rounded-md border border-blue-300 bg-blue-50 px-2 py-1 text-xs text-blue-950 dark:border-blue-700 dark:bg-blue-950 dark:text-blue-100" data-testid="folder-level" data-level={caps.level} role="note">
                    {level}
                </p>
            ) : null}
            {lacks ? (
                <p className="rounded-md border border-amber-300 bg-amber-50 px-2 py-1 text-xs text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="store-lacks" role="note">
                    {t('trust.storeLacks', { bucket })} {lacks}.
                </p>
            ) : null}
        </div>
    );
}
