'use client';
/* The file browser's small dialogs: a new folder, and where to move a selection. */
import { useEffect, useState } from 'react';

import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field, inputClass } from '@/components/ui/field';
import type { Bucket, Entry } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

export function NewFolderDialog({ open, onClose, onCreate }: { open: boolean; onClose(): void; onCreate(name: string): void }) {
    const { t } = useI18n();
    const [name, setName] = useState('');
    return (
        <Dialog open={open} onClose={onClose} title={t('files.newFolder')}>
            <form
                className="flex flex-col gap-3"
                onSubmit={(e) => {
                    e.preventDefault();
                    onCreate(name);
                    setName('');
                }}
            >
                <Field label={t('files.folderName')} value={name} onChange={(e) => setName(e.target.value)} required autoFocus data-testid="folder-name" />
                <div className="flex justify-end gap-2">
                    <Button onClick={onClose}>{t('common.cancel')}</Button>
                    <Button type="submit" variant="primary">
                        {t('common.create')}
                    </Button>
                </div>
            </form>
        </Dialog>
    );
}

export function MoveDialog({ items, buckets, bucket, prefix, onClose, onMove }: { items: Entry[] | null; buckets: Bucket[]; bucket: string; prefix: string; onClose(): void; onMove(bucket: string, prefix: string): void }) {
    const { t } = useI18n();
    const [dest, setDest] = useState(bucket);
    const [p, setP] = useState(prefix);
    useEffect(() => {
        setDest(bucket);
        setP(prefix);
    }, [bucket, prefix, items]);
    return (
        <Dialog open={!!items} onClose={onClose} title={t('files.moveTo', { count: items?.length ?? 0 })}>
            <form
                className="flex flex-col gap-3"
                onSubmit={(e) => {
                    e.preventDefault();
                    onMove(dest, p);
                }}
            >
                <label className="flex flex-col gap-1 text-sm font-medium">
                    {t('files.destBucket')}
                    <select value={dest} onChange={(e) => setDest(e.target.value)} className={inputClass}>
                        {buckets.map((b) => (
                            <option key={b.name}>{b.name}</option>
                        ))}
                    </select>
                </label>
                <Field label={t('files.destPrefix')} value={p} onChange={(e) => setP(e.target.value)} placeholder={t('files.gotoHint')} />
                <div className="flex justify-end gap-2">
                    <Button onClick={onClose}>{t('common.cancel')}</Button>
                    <Button type="submit" variant="primary">
                        {t('files.move')}
                    </Button>
                </div>
            </form>
        </Dialog>
    );
}
