'use client';
/*
 * Keeps the open folder true while others (and this tab's uploads) change
 * it: finished uploads are placed in sort order, the notification feed adds,
 * removes or reloads, and other people's changes are announced.
 */
import { useCallback } from 'react';

import { useLiveEvents } from '@/components/notifications/provider';
import { useUser } from '@/components/shell/session';
import { useToast } from '@/components/ui/toast';
import { useOnUploaded } from '@/components/upload/provider';
import { files as api, type Notification, type SearchFilters } from '@/lib/api';
import { useI18n } from '@/lib/i18n';
import type { UploadTask } from '@/lib/upload/engine';

import type { useListing } from '../use-listing';
import { parentOf } from './use-location';

type ListingApi = ReturnType<typeof useListing>;

export function useLiveUpdates(bucket: string | null, prefix: string, search: SearchFilters | null, listing: ListingApi) {
    const { t } = useI18n();
    const toast = useToast();
    const user = useUser();
    const { upsert, addFolder, removeKeys, reload } = listing;

    const folderBelow = useCallback(
        (b: string, key: string) => {
            const rest = key.slice(prefix.length);
            const folder = prefix + rest.slice(0, rest.indexOf('/') + 1);
            addFolder({ kind: 'folder', bucket: b, prefix: folder, name: folder.slice(prefix.length, -1) });
        },
        [prefix, addFolder],
    );

    const onUploaded = useCallback(
        (task: UploadTask) => {
            if (task.bucket !== bucket || search) return;
            if (parentOf(task.key) === prefix && task.result) upsert(task.result);
            else if (task.key.startsWith(prefix)) folderBelow(task.bucket, task.key);
        },
        [bucket, prefix, search, upsert, folderBelow],
    );
    useOnUploaded(onUploaded);

    const onEvent = useCallback(
        (n: Notification) => {
            const m = n.metadata;
            if (!m.bucket || m.bucket !== bucket || !m.key || search) return;
            if (!m.key.startsWith(prefix)) return;
            const rest = m.key.slice(prefix.length);
            const direct = !rest.includes('/') || (rest.endsWith('/') && rest.indexOf('/') === rest.length - 1);
            if (m.actor !== user.email && (n.type === 'upload' || n.type === 'delete')) toast(t(n.type === 'upload' ? 'notif.upload' : 'notif.delete', { actor: m.actor || t('notif.someone'), name: m.fileName || rest }));
            if (n.type === 'delete') {
                removeKeys(new Set([m.key]));
                return;
            }
            if (n.type === 'upload' && direct && !m.key.endsWith('/')) {
                api.objectInfo(m.bucket, m.key).then((r) => upsert(r.file), () => undefined);
                return;
            }
            if (n.type === 'upload' && !direct) {
                folderBelow(m.bucket, m.key);
                return;
            }
            void reload();
        },
        // eslint-disable-next-line react-hooks/exhaustive-deps
        [bucket, prefix, search, user.email, upsert, removeKeys, folderBelow],
    );
    useLiveEvents(onEvent);
}
