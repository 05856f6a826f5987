/*
 * The measuring half of bench/stalls, run by it from tests/integration
 * (whose node_modules hold tsx and the AWS SDK).
 */
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(`${process.cwd()}/`);
const { CreateBucketCommand, PutObjectCommand, S3Client } =
    require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
const seau = new URL(process.env.BENCH_SEAU!);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const downloads = Number(process.env.BENCH_DOWNLOADS ?? 50);
const s3 = new S3Client({
    endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY! },
});

await s3.send(new CreateBucketCommand({ Bucket: 'stalls' })).catch(() => undefined);
await s3.send(new PutObjectCommand({ Bucket: 'stalls', Key: 'big.bin', Body: Buffer.alloc(64 * 1024 * 1024, 7) }));
const login = await (await fetch(`${seau.origin}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password-123' }),
})).json() as { token: string };

/* Health checks one after the other on one keep-alive connection, as a load balancer would. */
async function probe(label: string): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const lat: number[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
        const t = performance.now();
        await new Promise<void>((resolve, reject) => {
            http.get({ host: seau.hostname, port: seau.port, path: '/api/health', agent }, (res) => {
                res.resume();
                res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
            }).on('error', reject);
        });
        lat.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 5));
    }
    agent.destroy();
    lat.sort((a, b) => a - b);
    const at = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(2);
    console.log(`${label.padEnd(58)} n=${String(lat.length).padStart(5)}  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms  max ${lat[lat.length - 1]!.toFixed(2)} ms`);
}

/* A download whose client reads `rate` bytes a second (0: never after the first bytes). */
function slowDownload(rate: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
        const s = net.connect({ host: seau.hostname, port: Number(seau.port) }, () => {
            s.setRecvBufferSize?.(16 * 1024);
            s.write(`GET /api/download?bucket=stalls&key=big.bin HTTP/1.1\r\nHost: ${seau.host}\r\nAuthorization: Bearer ${login.token}\r\n\r\n`);
        });
        s.once('data', () => {
            s.pause();
            if (rate > 0) {
                const timer = setInterval(() => {
                    const chunk = s.read(Math.max(1, Math.floor(rate / 10)));
                    if (chunk === null)
                        s.read(0);
                }, 100);
                s.on('close', () => clearInterval(timer));
            }
            resolve(s);
        });
        s.on('error', reject);
    });
}

console.log(`/api/health latency, ${seconds} s each, one request at a time (5 ms apart)`);
await probe('no download open');
let open = await Promise.all(Array.from({ length: downloads }, () => slowDownload(0)));
await probe(`${downloads} proxied downloads open, not reading`);
for (const s of open)
    s.destroy();
open = await Promise.all(Array.from({ length: downloads }, () => slowDownload(256 * 1024)));
await probe(`${downloads} proxied downloads reading 256 KiB/s each`);
for (const s of open)
    s.destroy();
await new Promise((r) => setTimeout(r, 500));
/* Downloads starting and ending all the time: 50 at once, closed after their first bytes. */
let churning = true;
const churn = (async () => {
    while (churning) {
        const batch = await Promise.all(Array.from({ length: downloads }, () => slowDownload(0).catch(() => null)));
        for (const s of batch)
            s?.destroy();
    }
})();
await probe(`${downloads} proxied downloads starting and ending, again and again`);
churning = false;
await churn;
await new Promise((r) => setTimeout(r, 500));
await probe('after they closed');
