/*
 * nginx in front of several replicas, as `make cluster` and a Kubernetes
 * Service put them: least_conn, WebSocket upgrades passed through, kept-alive
 * connections to the replicas (`keepalive 32`, as scripts/cluster), and the
 * default passive failover (a replica that refuses a connection is skipped
 * and the request goes to the next one). Started in the foreground on a free port;
 * stopped by the harness's `after` hook.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';

import { freePort, poll, requirePrograms, tempDir } from './harness.ts';

const NGINX = '/usr/sbin/nginx';

export class Nginx {
    log = '';
    private constructor(
        readonly port: number,
        readonly dir: string,
        readonly proc: ChildProcess,
    ) {
        proc.stderr!.setEncoding('utf8');
        proc.stderr!.on('data', (s: string) => (this.log += s));
    }

    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    static async start(upstreamPorts: number[]): Promise<Nginx> {
        requirePrograms(NGINX);
        const dir = tempDir('seau-it-nginx-');
        /* Workers run as nobody when the tests run as root: let them reach the folder. */
        chmodSync(dir, 0o755);
        for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
            mkdirSync(path.join(dir, d), { mode: 0o777 });
        const port = await freePort();
        const upstreams = upstreamPorts.map((p) => `        server 127.0.0.1:${p} max_fails=0;\n`).join('');
        writeFileSync(
            path.join(dir, 'nginx.conf'),
            `worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
    upstream seau {
        least_conn;
${upstreams}        keepalive 32;
    }
    server {
        listen 127.0.0.1:${port};
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_buffering off;
        location / {
            proxy_pass http://seau;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
        }
    }
}
`,
        );
        const proc = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
            stdio: ['ignore', 'ignore', 'pipe'],
        });
        const n = new Nginx(port, dir, proc);
        running.push(n);
        await poll('nginx to answer', async () => {
            assert.equal(proc.exitCode, null, `nginx exited: ${n.log}`);
            try {
                const r = await fetch(`${n.url}/api/health`, { signal: AbortSignal.timeout(1000) });
                await r.arrayBuffer();
                return r.status === 200;
            } catch {
                return false;
            }
        }, 15_000);
        return n;
    }

    async stop(): Promise<void> {
        if (this.proc.exitCode !== null || this.proc.signalCode !== null)
            return;
        const exited = new Promise((r) => this.proc.once('close', r));
        this.proc.kill('SIGQUIT'); /* graceful: workers finish their connections */
        await exited;
    }
}

const running: Nginx[] = [];
after(async () => {
    for (const n of running)
        await n.stop();
});
