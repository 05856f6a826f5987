/*
 * What happened, as a sentence in the reader's language: audit entries
 * (the activity log, the dashboard's recent activity) and notifications.
 * The raw action code stays available as a filter; here it only picks the
 * sentence. Pure: the caller passes its translate function.
 */
import type { ActivityEntry, Notification } from './api/types';

export type Translate = (id: string, vars?: Record<string, string | number>) => string;

/** The actions the server records (src/: audit entries). */
export const AUDIT_ACTIONS = [
    'auth.login',
    'auth.logout',
    'user.create',
    'user.update',
    'user.delete',
    'grants.update',
    'object.upload',
    'object.delete',
    'object.copy',
    'object.move',
    'object.rename',
    'object.download',
    'object.download_zip',
    'folder.create',
    'upload.start',
    'upload.abort',
    'share.create',
    'share.revoke',
    'share.access',
] as const;

function split(key: string | null): { name: string; folder: string } {
    if (!key) return { name: '', folder: '' };
    const k = key.endsWith('/') ? key.slice(0, -1) : key;
    const i = k.lastIndexOf('/');
    return { name: k.slice(i + 1) + (key.endsWith('/') ? '/' : ''), folder: k.slice(0, i + 1) };
}

function str(v: unknown): string | null {
    return typeof v === 'string' && v ? v : null;
}

/** "Alice uploaded report.pdf to finance/2026/"; a refusal says so ("… tried to … and was refused"). */
export function activitySentence(a: ActivityEntry, t: Translate): string {
    const actor = a.userEmail || t('trust.act.someone');
    const { name, folder } = split(a.key);
    const d = a.details ?? {};
    const where = a.bucket ? `${a.bucket}/${folder}` : folder;
    const known = (AUDIT_ACTIONS as readonly string[]).includes(a.action);
    const failed = a.status !== null && a.status !== 'success';
    const vars = {
        actor,
        name: name || str(d.email) || str(d.target) || '',
        where,
        to: str(d.to) ?? str(d.newKey) ?? str(d.destination) ?? '',
        action: a.action,
    };
    if (!known) return t(failed ? 'trust.act.other.fail' : 'trust.act.other', vars);
    return t(`trust.act.${a.action}${failed ? '.fail' : ''}`, vars);
}

/** A notification as a sentence; changes made outside Seau name who made them in S3. */
export function notificationSentence(n: Notification, t: Translate): string | null {
    const m = n.metadata;
    const name = m.fileName ?? split(m.key).name;
    if (!name && n.type !== 'user') return null;
    const { folder } = split(m.key);
    const where = m.bucket ? `${m.bucket}/${folder}` : folder;
    const verb = ['upload', 'delete', 'copy', 'rename', 'share', 'user', 'error'].includes(n.type) ? n.type : null;
    if (!verb) return null;
    if (m.source === 's3') return t(`trust.note.outside.${verb === 'delete' ? 'delete' : 'change'}`, { actor: m.actor || t('trust.act.unknownPrincipal'), name, where });
    return t(`trust.note.${verb}`, { actor: m.actor || t('trust.act.someone'), name, where });
}
