'use client';
/* Users (admin: create, role, disable, reset password, delete, grants; manager: read only). */
import { useCallback, useEffect, useState, type FormEvent } from 'react';

import { useUser } from '@/components/shell/session';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Field, SelectField, controlClass } from '@/components/ui/field';
import { Page, tableClass } from '@/components/ui/page';
import { useToast } from '@/components/ui/toast';
import { ROLES, admin, identity, invitations, type Role, type User } from '@/lib/api';
import type { Invitation } from '@/lib/api/invitations';
import { formatDate } from '@/lib/format';
import { useI18n } from '@/lib/i18n';

import { AccessExplainer } from './access-explainer';
import { GrantsEditor } from './grants-editor';
import { InvitationLink, InviteDialog } from './invite-dialog';

function NewUserDialog({ open, onClose, onCreated }: { open: boolean; onClose(): void; onCreated(u: User): void }) {
    const { t, errorText } = useI18n();
    const [email, setEmail] = useState('');
    const [name, setName] = useState('');
    const [password, setPassword] = useState('');
    const [role, setRole] = useState<Role>('user');
    const [error, setError] = useState<string | null>(null);
    async function submit(e: FormEvent) {
        e.preventDefault();
        setError(null);
        try {
            onCreated(await admin.createUser({ email, name, password, role }));
            setEmail('');
            setName('');
            setPassword('');
        } catch (err) {
            setError(errorText(err));
        }
    }
    return (
        <Dialog open={open} onClose={onClose} title={t('users.new')}>
            <form onSubmit={submit} className="flex flex-col gap-3">
                <Field label={t('users.email')} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} name="new-email" />
                <Field label={t('users.name')} value={name} onChange={(e) => setName(e.target.value)} name="new-name" />
                <Field label={t('login.password')} type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} name="new-password" />
                <SelectField label={t('users.role')} value={role} onChange={(e) => setRole(e.target.value as Role)} name="new-role">
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
                    <Button onClick={onClose}>{t('common.cancel')}</Button>
                    <Button type="submit" variant="primary">
                        {t('common.create')}
                    </Button>
                </div>
            </form>
        </Dialog>
    );
}

export function UsersAdmin() {
    const me = useUser();
    const isAdmin = me.role === 'admin';
    const { t, lang, errorText } = useI18n();
    const toast = useToast();
    const [users, setUsers] = useState<User[] | null>(null);
    const [error, setError] = useState<unknown>(null);
    const [creating, setCreating] = useState(false);
    const [resetting, setResetting] = useState<User | null>(null);
    const [newPassword, setNewPassword] = useState('');
    const [deleting, setDeleting] = useState<User | null>(null);
    const [granting, setGranting] = useState<User | null>(null);
    const [inviting, setInviting] = useState(false);
    const [relinked, setRelinked] = useState<{ user: User; invitation: Invitation } | null>(null);

    const load = useCallback(() => {
        admin.listUsers().then(setUsers, setError);
    }, []);
    useEffect(load, [load]);

    const replace = (u: User) => setUsers((cur) => cur?.map((x) => (x.id === u.id ? u : x)) ?? null);
    async function patch(u: User, p: Parameters<typeof admin.updateUser>[1], done?: string) {
        try {
            replace(await admin.updateUser(u.id, p));
            if (done) toast(done, 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }
    async function resetMfa(u: User) {
        try {
            await identity.mfaReset(u.id);
            replace({ ...u, mfa: false });
            toast(t('mfa.admin.done', { email: u.email }), 'success');
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }
    async function reissue(u: User) {
        try {
            setRelinked(await invitations.reissue(u.id));
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }
    async function remove(u: User) {
        setDeleting(null);
        try {
            await admin.deleteUser(u.id);
            setUsers((cur) => cur?.filter((x) => x.id !== u.id) ?? null);
        } catch (e) {
            toast(errorText(e), 'error');
        }
    }

    return (
        <Page
            title={t('users.title')}
            actions={
                isAdmin ? (
                    <div className="flex gap-2">
                        <Button onClick={() => setInviting(true)}>{t('invite.button')}</Button>
                        <Button variant="primary" onClick={() => setCreating(true)}>
                            {t('users.new')}
                        </Button>
                    </div>
                ) : null
            }
        >
            {error ? <p role="alert">{errorText(error)}</p> : null}
            {!users && !error ? <p>{t('common.loading')}</p> : null}
            {users ? (
                <div className="overflow-x-auto">
                    <table className={tableClass} data-testid="users">
                        <thead>
                            <tr>
                                <th scope="col">{t('users.email')}</th>
                                <th scope="col">{t('users.name')}</th>
                                <th scope="col">{t('users.role')}</th>
                                <th scope="col">{t('users.status')}</th>
                                <th scope="col">{t('users.lastLogin')}</th>
                                {isAdmin ? <th scope="col">{t('common.actions')}</th> : null}
                            </tr>
                        </thead>
                        <tbody>
                            {users.map((u) => (
                                <tr key={u.id} data-email={u.email}>
                                    <td className="break-all">{u.email}</td>
                                    <td>{u.name}</td>
                                    <td>
                                        {isAdmin && u.id !== me.id ? (
                                            <select aria-label={t('users.roleOf', { email: u.email })} className={controlClass} value={u.role} onChange={(e) => void patch(u, { role: e.target.value as Role })}>
                                                {ROLES.map((r) => (
                                                    <option key={r} value={r}>
                                                        {t(`role.${r}`)}
                                                    </option>
                                                ))}
                                            </select>
                                        ) : (
                                            t(`role.${u.role}`)
                                        )}
                                    </td>
                                    <td>{u.disabled ? t('users.disabled') : t('users.active')}</td>
                                    <td>{u.lastLoginAt ? formatDate(Date.parse(u.lastLoginAt), lang) : t('common.never')}</td>
                                    {isAdmin ? (
                                        <td>
                                            <div className="flex flex-wrap gap-1">
                                                {u.id !== me.id ? (
                                                    <Button onClick={() => void patch(u, { disabled: !u.disabled })}>{u.disabled ? t('users.enable') : t('users.disable')}</Button>
                                                ) : null}
                                                <Button onClick={() => setResetting(u)}>{t('users.resetPassword')}</Button>
                                                {/* Never signed in, password account: maybe invited and the link lost. */}
                                                {!u.lastLoginAt && !u.provider && u.id !== me.id ? <Button onClick={() => void reissue(u)}>{t('invite.resend')}</Button> : null}
                                                {u.role !== 'admin' ? <Button onClick={() => setGranting(u)}>{t('users.grants')}</Button> : null}
                                                {u.mfa ? <Button onClick={() => void resetMfa(u)}>{t('mfa.admin.reset')}</Button> : null}
                                                {u.id !== me.id ? (
                                                    <Button variant="danger" onClick={() => setDeleting(u)}>
                                                        {t('common.delete')}
                                                    </Button>
                                                ) : null}
                                            </div>
                                        </td>
                                    ) : null}
                                </tr>
                            ))}
                        </tbody>
                    </table>
                </div>
            ) : null}
            {isAdmin && users ? <AccessExplainer users={users} /> : null}
            <NewUserDialog
                open={creating}
                onClose={() => setCreating(false)}
                onCreated={(u) => {
                    setCreating(false);
                    setUsers((cur) => [...(cur ?? []), u]);
                    toast(t('users.created', { email: u.email }), 'success');
                }}
            />
            <InviteDialog
                open={inviting}
                onClose={() => setInviting(false)}
                onInvited={(u) => {
                    setUsers((cur) => [...(cur ?? []), u]);
                    toast(t('invite.created', { email: u.email }), 'success');
                }}
            />
            <Dialog open={!!relinked} onClose={() => setRelinked(null)} title={t('invite.resend')}>
                {relinked ? (
                    <div className="flex flex-col gap-4">
                        <InvitationLink user={relinked.user} invitation={relinked.invitation} />
                        <div className="flex justify-end">
                            <Button variant="primary" onClick={() => setRelinked(null)}>
                                {t('common.close')}
                            </Button>
                        </div>
                    </div>
                ) : null}
            </Dialog>
            <Dialog open={!!resetting} onClose={() => setResetting(null)} title={t('users.resetPassword')}>
                <form
                    className="flex flex-col gap-3"
                    onSubmit={(e) => {
                        e.preventDefault();
                        if (resetting) void patch(resetting, { password: newPassword }, t('users.passwordReset'));
                        setResetting(null);
                        setNewPassword('');
                    }}
                >
                    <Field label={t('users.newPassword', { email: resetting?.email ?? '' })} type="password" autoComplete="new-password" required value={newPassword} onChange={(e) => setNewPassword(e.target.value)} />
                    <div className="flex justify-end gap-2">
                        <Button onClick={() => setResetting(null)}>{t('common.cancel')}</Button>
                        <Button type="submit" variant="primary">
                            {t('common.save')}
                        </Button>
                    </div>
                </form>
            </Dialog>
            <Dialog open={!!deleting} onClose={() => setDeleting(null)} title={t('common.delete')}>
                <p className="mb-4 break-all">{t('users.deleteConfirm', { email: deleting?.email ?? '' })}</p>
                <div className="flex justify-end gap-2">
                    <Button onClick={() => setDeleting(null)}>{t('common.cancel')}</Button>
                    <Button variant="danger" data-testid="confirm-delete-user" onClick={() => deleting && void remove(deleting)}>
                        {t('common.delete')}
                    </Button>
                </div>
            </Dialog>
            {granting ? <GrantsEditor user={granting} onClose={() => setGranting(null)} /> : null}
        </Page>
    );
}
