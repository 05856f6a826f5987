/*
 * The measuring half of bench/files-api, run by it from tests/integration
 * (whose node_modules hold tsx and the AWS SDK).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { openSync, readSync, statSync } from 'node:fs';

const require = createRequire(`${process.cwd()}/`);
const { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } =
    require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
const seau = process.env.BENCH_SEAU!;
const file = process.env.BENCH_FILE!;
const s3 = new S3Client({
    endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY! },
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const store = process.env.BENCH_STORE ?? 'sqlite';
/* The second store's run finds the bucket the first one created. */
await s3.send(new CreateBucketCommand({ Bucket: 'bench' })).catch((e: { name?: string }) => {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists')
        throw e;
});
const login = await (await fetch(`${seau}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password-123' }),
})).json() as { token: string };
const auth = { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' };

/* Direct multipart upload through Seau's sessions. */
const size = statSync(file).size;
const fd = openSync(file, 'r');
let t0 = performance.now();
const session = await (await fetch(`${seau}/api/uploads`, {
    method: 'POST', headers: auth,
    body: JSON.stringify({ bucket: 'bench', key: 'direct-seau.bin', size, contentType: 'application/octet-stream' }),
})).json() as { uploadId: string; partSize: number; parts: { partNumber: number; url: string }[] };
const count = Math.ceil(size / session.partSize);
let urls = session.parts;
if (urls.length < count) {
    const more = await (await fetch(`${seau}/api/uploads/${session.uploadId}/parts`, {
        method: 'POST', headers: auth,
        body: JSON.stringify({ partNumbers: Array.from({ length: count - urls.length }, (_, i) => urls.length + i + 1) }),
    })).json() as { parts: { partNumber: number; url: string }[] };
    urls = [...urls, ...more.parts];
}
const etags: { partNumber: number; etag: string }[] = [];
let next = 0;
async function lane(): Promise<void> {
    while (next < count) {
        const i = next++;
        const len = Math.min(session.partSize, size - i * session.partSize);
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, i * session.partSize);
        const r = await fetch(urls[i]!.url, { method: 'PUT', body: buf });
        if (!r.ok)
            throw new Error(`part ${i + 1}: ${r.status}`);
        etags[i] = { partNumber: i + 1, etag: r.headers.get('etag')! };
    }
}
await Promise.all([lane(), lane(), lane(), lane()]);
const done = await fetch(`${seau}/api/uploads/${session.uploadId}/complete`, { method: 'POST', headers: auth, body: JSON.stringify({ parts: etags }) });
if (!done.ok)
    throw new Error(`complete: ${done.status} ${await done.text()}`);
const seauSecs = (performance.now() - t0) / 1000;
t0 = performance.now();
const aws = spawnSync('aws', ['--endpoint-url', process.env.S3_ENDPOINT!, 's3', 'cp', '--quiet', file, 's3://bench/direct-aws.bin'], { stdio: 'inherit', env: { ...process.env, AWS_DEFAULT_REGION: 'us-east-1' } });
const awsSecs = (performance.now() - t0) / 1000;
const mib = size / 1048576;
console.log(`direct multipart upload via POST /api/uploads: ${(mib / seauSecs).toFixed(0)} MiB/s (${seauSecs.toFixed(2)} s, ${count} parts of ${session.partSize / 1048576} MiB, 4 in flight)`);
console.log(`aws s3 cp of the same file:                    ${(mib / awsSecs).toFixed(0)} MiB/s (${awsSecs.toFixed(2)} s${aws.status ? ', FAILED' : ''})`);

/* A 1000-key page. */
for (let i = 0; i < 1000; i += 50)
    await Promise.all(Array.from({ length: 50 }, (_, j) => s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `page/file-${String(i + j).padStart(4, '0')}.txt`, Body: 'x' }))));
const listed: number[] = [];
const direct: number[] = [];
for (let i = 0; i < 20; i++) {
    let t = performance.now();
    const r = await fetch(`${seau}/api/list?bucket=bench&prefix=page/&limit=1000`, { headers: auth });
    const j = await r.json() as { files: unknown[] };
    listed.push(performance.now() - t);
    if (j.files.length !== 1000)
        throw new Error(`listed ${j.files.length}`);
    t = performance.now();
    const l = await s3.send(new ListObjectsV2Command({ Bucket: 'bench', Prefix: 'page/', MaxKeys: 1000 }));
    direct.push(performance.now() - t);
    if ((l.Contents ?? []).length !== 1000)
        throw new Error('short S3 listing');
}
console.log(`GET /api/list, 1000 keys: median ${median(listed).toFixed(1)} ms; S3 ListObjectsV2 (AWS SDK): median ${median(direct).toFixed(1)} ms (20 runs each)`);
console.log(`summary: ${store.padEnd(10)} ${(mib / seauSecs).toFixed(0).padStart(24)} ${(mib / awsSecs).toFixed(0).padStart(24)} ${median(listed).toFixed(1).padStart(22)} ${median(direct).toFixed(1).padStart(22)}`);
