'use client';
/*
 * Inviting someone (admin): email, name and role make an account without a
 * password; the answer's one-time link is shown to copy, with whether it was
 * also mailed. The same result view shows a fresh link (users-admin.tsx).
 */
import { useState, type FormEvent } from 'react';

import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field, SelectField, inputClass } from '@/components/ui/field';
import { useToast } from '@/components/ui/toast';
import { ROLES, invitations, type Role, type User } from '@/lib/api';
import type { Invitation } from '@/lib/api/invitations';
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

/** The link of an invitation, to copy, and whether it went by email. */
export function InvitationLink({ user, invitation }: { user: User; invitation: Invitation }) {
    const { t, lang } = useI18n();
    const toast = useToast();
    return (
        <div className="flex flex-col gap-2" data-testid="invitation">
            <label htmlFor="invitation-url" className="text-sm font-medium">
                {t('invite.link')}
            </label>
            <div className="flex gap-2">
                <input id="invitation-url" readOnly className={inputClass} value={invitation.url} onFocus={(e) => e.target.select()} aria-describedby="invitation-hint" />
                <Button onClick={() => void navigator.clipboard?.writeText(invitation.url).then(() => toast(t('invite.copied'), 'success'), () => undefined)}>{t('invite.copy')}</Button>
            </div>
            <p id="invitation-hint" className="text-xs text-slate-700 dark:text-slate-300">
                {t('invite.linkHint', { date: formatDate(Date.parse(invitation.expiresAt), lang), email: user.email })}
            </p>
            <p role="status" data-testid="invitation-emailed" data-emailed={invitation.emailed ? 'yes' : 'no'} className="text-sm">
                {invitation.emailed ? t('invite.emailed', { email: user.email }) : t('invite.notEmailed', { email: user.email })}
            </p>
        </div>
    );
}

export function InviteDialog({ open, onClose, onInvited }: { open: boolean; onClose(): void; onInvited(u: User): void }) {
    const { t, errorText } = useI18n();
    const [email, setEmail] = useState('');
    const [name, setName] = useState('');
    const [role, setRole] = useState<Role>('user');
    const [error, setError] = useState<string | null>(null);
    const [busy, setBusy] = useState(false);
    const [made, setMade] = useState<{ user: User; invitation: Invitation } | null>(null);

    function close() {
        setMade(null);
        setEmail('');
        setName('');
        setRole('user');
        setError(null);
        onClose();
    }
    async function submit(e: FormEvent) {
        e.preventDefault();
        setError(null);
        setBusy(true);
        try {
            const r = await invitations.invite({ email, name: name.trim() || email, role });
            setMade(r);
            onInvited(r.user);
        } catch (err) {
            setError(errorText(err));
        }
        setBusy(false);
    }
    return (
        <Dialog open={open} onClose={close} title={t('invite.title')}>
            {made ? (
                <div className="flex flex-col gap-4">
                    <InvitationLink user={made.user} invitation={made.invitation} />
                    <div className="flex justify-end">
                        <Button variant="primary" onClick={close}>
                            {t('common.close')}
                        </Button>
                    </div>
                </div>
            ) : (
                <form onSubmit={submit} className="flex flex-col gap-3">
                    <p className="text-sm">{t('invite.hint')}</p>
                    <Field label={t('users.email')} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} name="invite-email" />
                    <Field label={t('users.name')} value={name} onChange={(e) => setName(e.target.value)} name="invite-name" />
                    <SelectField label={t('users.role')} value={role} onChange={(e) => setRole(e.target.value as Role)} name="invite-role">
                        {ROLES.map((r) => (
                            <option key={r} value={r}>
                                {t(`role.${r}`)}
                            </option>
                        ))}
                    </SelectField>
                    {error ? (
                        <p role="alert" className="text-sm text-red-800 dark:text-red-300">
                            {error}
                        </p>
                    ) : null}
                    <div className="flex justify-end gap-2">
                        <Button onClick={close}>{t('common.cancel')}</Button>
                        <Button type="submit" variant="primary" disabled={busy}>
                            {t('invite.send')}
                        </Button>
                    </div>
                </form>
            )}
        </Dialog>
    );
}
