'use client';
/*
 * What this bucket's store cannot do, said plainly once per bucket (GET
 * /api/capabilities): no versions means no history and no recycle bin; no
 * ListParts means an interrupted upload starts again from the beginning.
 */
import { useEffect, useState } from 'react';

import { trust, type StoreCapabilities } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

export function StoreNotice({ bucket }: { bucket: string }) {
    const { t } = useI18n();
    const [caps, setCaps] = useState<StoreCapabilities | null>(null);
    useEffect(() => {
        setCaps(null);
        let live = true;
        trust.capabilities(bucket).then((c) => live && setCaps(c), () => undefined);
        return () => {
            live = false;
        };
    }, [bucket]);
    if (!caps || (caps.versioning && caps.listParts)) return null;
    const lacks = [caps.versioning ? null : t('trust.lacksVersions'), caps.listParts ? null : t('trust.lacksListParts')].filter(Boolean).join('; ');
    return (
        <p className="rounded-md border border-amber-300 bg-amber-50 px-2 py-1 text-xs text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="store-lacks" role="note">
            {t('trust.storeLacks', { bucket })} {lacks}.
        </p>
    );
}
