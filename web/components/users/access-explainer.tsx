'use client';
/*
 * The access explainer (admins): pick an account, a bucket and path, and an
 * action; the server answers with the policy's own decision, its reason
 * and the grant it rests on.
 */
import { useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { Field, SelectField } from '@/components/ui/field';
import { identity, type Explanation, type ExplainAction, type User } from '@/lib/api';
import { useI18n } from '@/lib/i18n';

export function AccessExplainer({ users }: { users: User[] }) {
    const { t, errorText } = useI18n();
    const [userId, setUserId] = useState(users[0]?.id ?? '');
    const [bucket, setBucket] = useState('');
    const [key, setKey] = useState('');
    const [action, setAction] = useState<ExplainAction>('read');
    const [answer, setAnswer] = useState<Explanation | null>(null);
    const [error, setError] = useState<string | null>(null);

    async function ask(e: FormEvent) {
        e.preventDefault();
        setError(null);
        setAnswer(null);
        try {
            setAnswer(await identity.explain(userId, bucket.trim(), key, action));
        } catch (err) {
            setError(errorText(err));
        }
    }

    return (
        <section className="flex flex-col gap-3" aria-labelledby="explain-title" data-testid="access-explainer">
            <h2 id="explain-title" className="text-base font-semibold">
                {t('explain.title')}
            </h2>
            <form onSubmit={ask} className="flex flex-wrap items-end gap-3">
                <SelectField label={t('explain.user')} name="explain-user" value={userId} onChange={(e) => setUserId(e.target.value)}>
                    {users.map((u) => (
                        <option key={u.id} value={u.id}>
                            {u.email}
                        </option>
                    ))}
                </SelectField>
                <Field label={t('explain.bucket')} name="explain-bucket" required value={bucket} onChange={(e) => setBucket(e.target.value)} />
                <Field label={t('explain.key')} name="explain-key" value={key} onChange={(e) => setKey(e.target.value)} />
                <SelectField label={t('explain.action')} name="explain-action" value={action} onChange={(e) => setAction(e.target.value as ExplainAction)}>
                    {identity.EXPLAIN_ACTIONS.map((a) => (
                        <option key={a} value={a}>
                            {t(`explain.action.${a}`)}
                        </option>
                    ))}
                </SelectField>
                <Button type="submit" variant="primary">
                    {t('explain.ask')}
                </Button>
            </form>
            {answer ? (
                <div role="status" data-testid="explain-answer" className={`rounded-md p-3 text-sm ${answer.allowed ? 'bg-green-100 text-green-950 dark:bg-green-900 dark:text-green-50' : 'bg-red-100 text-red-950 dark:bg-red-900 dark:text-red-50'}`}>
                    <p className="font-medium">{answer.allowed ? t('explain.allowed') : t('explain.denied')}</p>
                    <p>{answer.reason}</p>
                    {answer.grant ? <p>{t('explain.grant', { bucket: answer.grant.bucket, prefix: answer.grant.prefix || '/' })}</p> : null}
                </div>
            ) : null}
            {error ? (
                <p role="alert" className="text-sm text-red-800 dark:text-red-300">
                    {error}
                </p>
            ) : null}
        </section>
    );
}
