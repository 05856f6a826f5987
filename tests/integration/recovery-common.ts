/*
 * Shared by versions.test.ts, trash.test.ts and tags.test.ts: uploads
 * through Seau (so Seau knows the uploader) and small S3 helpers.
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';

import { createUser, login, req, type Json, type SeauServer } from './harness.ts';
import type { S3Peer } from './s3peer.ts';

export const PASSWORD = 'user-password-0123456789';

/** Uploads one file through POST /api/upload; returns the object Seau answered. */
export async function upload(srv: SeauServer, token: string, bucket: string, key: string, data: string): Promise<Json> {
    const slash = key.lastIndexOf('/');
    const f = new FormData();
    f.append('bucket', bucket);
    f.append('prefix', slash >= 0 ? key.slice(0, slash + 1) : '');
    f.append('file', new Blob([data], { type: 'text/plain' }), key.slice(slash + 1));
    const r = await fetch(`${srv.url}/api/upload`, { method: 'POST', body: f, headers: { authorization: `Bearer ${token}` } });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    return JSON.parse(text).files[0];
}

export async function enableVersioning(peer: S3Peer, bucket: string): Promise<void> {
    await peer.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
}

export async function body(peer: S3Peer, bucket: string, key: string, versionId?: string): Promise<string> {
    const r = await peer.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    return await r.Body!.transformToString();
}

export async function exists(peer: S3Peer, bucket: string, key: string): Promise<boolean> {
    try {
        await peer.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
    } catch (e) {
        if ((e as Json).$metadata?.httpStatusCode === 404)
            return false;
        throw e;
    }
}

export async function versionsOf(peer: S3Peer, bucket: string, key: string): Promise<Json[]> {
    const r = await peer.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    return [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])].filter((v) => v.Key === key);
}

/** A user (or manager) granted bucket/prefix; returns its token and id. */
export async function grantedUser(srv: SeauServer, admin: string, email: string, role: string, grants: { bucket: string; prefix: string }[]): Promise<{ token: string; id: number }> {
    const u = await createUser(srv, admin, { email, password: PASSWORD, role });
    const r = await req(srv, 'PUT', `/api/users/${u.id}/grants`, { token: admin, json: { grants } });
    assert.equal(r.status, 200, r.text);
    return { token: (await login(srv, email, PASSWORD)).token, id: u.id };
}
