'use client';
/*
 * "This name is taken": replace, keep both (a numbered name), or skip, with
 * "apply to all" for the names still to come. Replace says plainly whether
 * the old content stays as a version (the bucket's versioning, from
 * GET /api/buckets). Used by uploads, copy, move and rename alike:
 *
 *   const conflicts = useConflictDialog();
 *   const choices = await conflicts.resolve(names, bucket.versioning);  // null: cancelled
 *   ...render {conflicts.dialog} once.
 */
import { useCallback, useRef, useState, type ReactNode } from 'react';

import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { useI18n } from '@/lib/i18n';

export type ConflictChoice = 'replace' | 'keepBoth' | 'skip';

interface Question {
    name: string;
    versioned: boolean;
    more: number; /* names still to ask after this one */
}

interface Pending extends Question {
    answer(a: { choice: ConflictChoice; all: boolean } | null): void;
}

export interface ConflictDialog {
    dialog: ReactNode;
    /** Asks for each taken name in turn; resolves each one's choice, or null when cancelled. */
    resolve(names: string[], versioning: string | null | undefined): Promise<Map<string, ConflictChoice> | null>;
}

export function useConflictDialog(): ConflictDialog {
    const [pending, setPending] = useState<Pending | null>(null);
    const [all, setAll] = useState(false);
    const ask = useCallback(
        (q: Question) =>
            new Promise<{ choice: ConflictChoice; all: boolean } | null>((resolve) => {
                setAll(false);
                setPending({ ...q, answer: resolve });
            }),
        [],
    );
    const resolveRef = useRef(ask);
    resolveRef.current = ask;
    const resolve = useCallback(async (names: string[], versioning: string | null | undefined) => {
        const out = new Map<string, ConflictChoice>();
        const versioned = versioning === 'enabled';
        for (let i = 0; i < names.length; i++) {
            const a = await resolveRef.current({ name: names[i]!, versioned, more: names.length - i - 1 });
            setPending(null);
            if (!a) return null;
            if (a.all) {
                for (const n of names.slice(i)) out.set(n, a.choice);
                break;
            }
            out.set(names[i]!, a.choice);
        }
        return out;
    }, []);
    const dialog = <ConflictQuestion pending={pending} all={all} setAll={setAll} />;
    return { dialog, resolve };
}

function ConflictQuestion({ pending, all, setAll }: { pending: Pending | null; all: boolean; setAll(v: boolean): void }) {
    const { t } = useI18n();
    const choose = (choice: ConflictChoice) => pending?.answer({ choice, all });
    return (
        <Dialog open={!!pending} onClose={() => pending?.answer(null)} title={t('links.conflict.title')}>
            {pending ? (
                <div className="flex flex-col gap-3" data-testid="conflict-dialog">
                    <p>
                        {t('links.conflict.exists', { name: pending.name })}
                    </p>
                    <p className="text-sm text-slate-700 dark:text-slate-300" data-testid="conflict-versioning">
                        {pending.versioned ? t('links.conflict.versioned') : t('links.conflict.unversioned')}
                    </p>
                    {pending.more > 0 ? (
                        <label className="flex items-center gap-2 text-sm">
                            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="conflict-all" />
                            {t('links.conflict.applyAll', { count: pending.more })}
                        </label>
                    ) : null}
                    <div className="flex flex-wrap justify-end gap-2">
                        <Button onClick={() => choose('skip')} data-testid="conflict-skip">
                            {t('links.conflict.skip')}
                        </Button>
                        <Button onClick={() => choose('keepBoth')} data-testid="conflict-keep">
                            {t('links.conflict.keepBoth')}
                        </Button>
                        <Button variant="danger" onClick={() => choose('replace')} data-testid="conflict-replace">
                            {t('links.conflict.replace')}
                        </Button>
                    </div>
                </div>
            ) : null}
        </Dialog>
    );
}
