import type { Notification } from '@/lib/api';
import type { T } from '@/lib/i18n';
import type { MessageId } from '@/lib/i18n/en';
import { notificationSentence, type Translate } from '@/lib/sentences';

const KNOWN = ['upload', 'delete', 'copy', 'rename', 'share', 'user', 'error'];

/** A sentence for a notification, in the page's language (the server's text as a fallback). */
export function describe(n: Notification, t: T): string {
    const sentence = notificationSentence(n, t as Translate);
    if (sentence) return sentence;
    const m = n.metadata;
    const name = m.fileName ?? (m.key ? m.key.slice(m.key.lastIndexOf('/') + 1) : '') ?? '';
    if (!KNOWN.includes(n.type) || (!name && n.type !== 'user')) return n.message || n.type;
    return t(`notif.${n.type}` as MessageId, { actor: m.actor || t('notif.someone'), name });
}
