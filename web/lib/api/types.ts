/*
 * Wire decoders matching API.md, and the UI types they convert to
 * (the reshape step of STYLE.md rule 25). Components see only UI types.
 */
import { arr, bool, idLike, nullable, num, obj, oneOf, optional, record, str, withDefault, type Infer } from './decode';

export const ROLES = ['admin', 'manager', 'user'] as const;
export type Role = (typeof ROLES)[number];

export const wireUser = obj({
    id: idLike,
    email: str,
    name: withDefault(str, ''),
    role: oneOf(ROLES),
    disabled: withDefault(bool, false),
    createdAt: nullable(str),
    lastLoginAt: nullable(str),
    /* The identity provider the account signs in with; null (or absent) for a password account. */
    provider: withDefault(nullable(str), null),
    mfa: withDefault(bool, false),
    /* An admin chose the password: the console asks for a new one before anything else. */
    mustChangePassword: withDefault(bool, false),
});
export type User = Infer<typeof wireUser>;

export const wireObject = obj({
    bucket: str,
    key: str,
    size: num,
    lastModified: nullable(str),
    etag: nullable(str),
    contentType: nullable(str),
    uploadedBy: nullable(idLike),
});
type WireObject = Infer<typeof wireObject>;

export interface FileItem {
    kind: 'file';
    bucket: string;
    key: string;
    /** The last segment of the key, shown to people. */
    name: string;
    size: number;
    lastModified: number | null;
    etag: string | null;
    contentType: string | null;
    uploadedBy: string | null;
}

export interface FolderItem {
    kind: 'folder';
    bucket: string;
    /** Ends with "/". */
    prefix: string;
    name: string;
}

export type Entry = FileItem | FolderItem;

export function baseName(key: string): string {
    const k = key.endsWith('/') ? key.slice(0, -1) : key;
    return k.slice(k.lastIndexOf('/') + 1);
}

function time(s: string | null): number | null {
    if (!s) return null;
    const t = Date.parse(s);
    return Number.isNaN(t) ? null : t;
}

export function toFile(o: WireObject): FileItem {
    return {
        kind: 'file',
        bucket: o.bucket,
        key: o.key,
        name: baseName(o.key),
        size: o.size,
        lastModified: time(o.lastModified),
        etag: o.etag,
        contentType: o.contentType,
        uploadedBy: o.uploadedBy,
    };
}

export function toFolder(bucket: string, prefix: string): FolderItem {
    return { kind: 'folder', bucket, prefix, name: baseName(prefix) };
}

export const wireBucket = obj({ name: str, region: nullable(str), versioning: nullable((v, p) => (typeof v === 'boolean' ? String(v) : str(v, p))), recoverable: withDefault(nullable(str), null) });
export type Bucket = Infer<typeof wireBucket>;

export const NOTIFICATION_TYPES = ['upload', 'delete', 'copy', 'rename', 'share', 'user', 'error'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const wireNotification = obj({
    id: idLike,
    type: str,
    message: withDefault(str, ''),
    timestamp: str,
    metadata: withDefault(
        obj({
            bucket: nullable(str),
            key: nullable(str),
            fileName: nullable(str),
            fileSize: nullable(num),
            actor: nullable(idLike),
            source: nullable(str),
        }),
        { bucket: null, key: null, fileName: null, fileSize: null, actor: null, source: null },
    ),
});
export type Notification = Infer<typeof wireNotification>;

export const wireActivity = obj({
    id: idLike,
    time: str,
    userId: nullable(idLike),
    userEmail: nullable(str),
    action: str,
    bucket: nullable(str),
    key: nullable(str),
    ip: nullable(str),
    userAgent: nullable(str),
    status: nullable(idLike),
    details: optional(record),
});
export type ActivityEntry = Infer<typeof wireActivity>;

export const wireShare = obj({
    id: idLike,
    bucket: str,
    key: str,
    /* Null in lists: the server keeps only the token's hash, so a link is shown once. */
    url: nullable(str),
    createdBy: nullable(idLike),
    createdByEmail: nullable(str),
    createdAt: nullable(str),
    expiresAt: nullable(str),
    downloads: withDefault(num, 0),
    maxDownloads: nullable(num),
    hasPassword: withDefault(bool, false),
});
export type Share = Infer<typeof wireShare>;

export const wireStats = obj({
    objects: withDefault(num, 0),
    bytes: withDefault(num, 0),
    byType: withDefault(arr(obj({ type: str, objects: num, bytes: num })), []),
    uploadsPerDay: withDefault(arr(obj({ day: str, count: num, bytes: withDefault(num, 0) })), []),
    activeUsers: withDefault(num, 0),
    uploadsToday: optional(num),
    recentActivity: withDefault(arr(wireActivity), []),
});
export type Stats = Infer<typeof wireStats>;
