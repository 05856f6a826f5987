/*
 * The dashboard against a real Prometheus (Debian's `prometheus`): a running
 * Seau (on Ceph RGW, with traces exported to a receiver of this test) is
 * scraped every second, some traffic goes through it (sign-ins, a refused
 * one, a proxied upload, listings, a WebSocket), and every panel of
 * deploy/grafana/seau.json is evaluated by Prometheus's query API with the
 * dashboard's variables filled in: each answers without error, and each
 * panel shows at least one series. (deploy_grafana checks the queries'
 * syntax with promtool; this checks that they find what Seau exposes.)
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before } from 'node:test';

import { WsClient } from './events-ws.ts';
import { ADMIN, HERE, freePort, login, poll, req, requirePrograms, sleep, startServer, tempDir, test, type Json, type SeauServer } from './harness.ts';
import { startRgw, type S3Peer } from './s3peer.ts';

const BUCKET = 'prom-a';
let peer: S3Peer;
let srv: SeauServer;
let receiver: http.Server;
let prom: ChildProcess | undefined;
let promUrl = '';
let promLog = '';

before(async () => {
    requirePrograms('prometheus');
    peer = await startRgw([BUCKET]);
    receiver = http.createServer((r, res) => {
        r.resume();
        r.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    srv = await startServer({
        env: {
            ...peer.seauEnv([BUCKET]),
            OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
        },
    });
    const dir = tempDir('seau-prom-');
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(path.join(dir, 'prometheus.yml'), [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: seau',
        '    metrics_path: /api/metrics',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${srv.port}']`,
        '',
    ].join('\n'));
    prom = spawn('prometheus', [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d) => (promLog += d));
    prom.stderr!.on('data', (d) => (promLog += d));
    await poll('Prometheus to scrape Seau', async () => {
        const r = await query('up{job="seau"}').catch(() => undefined);
        return r?.length === 1 && r[0].value[1] === '1';
    }, 30_000, 250).catch((e) => {
        throw new Error(`${e.message}\n${promLog.slice(-2000)}`);
    });
}, { timeout: 180_000 });

after(async () => {
    if (prom && prom.exitCode === null) {
        prom.kill('SIGTERM');
        await new Promise((resolve) => prom!.once('exit', resolve));
    }
    receiver?.closeAllConnections();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

async function query(expr: string): Promise<Json[]> {
    const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await r.json()) as Json;
    if (body.status !== 'success')
        throw new Error(`${expr}: ${body.errorType}: ${body.error}`);
    return body.data.result;
}

test('every panel of the dashboard finds series in a Prometheus scraping a running Seau', async () => {
    const token = (await login(srv, ADMIN.email, ADMIN.password)).token;
    const bad = await req(srv, 'POST', '/api/auth/login', { json: { email: ADMIN.email, password: 'wrong password 123' } });
    assert.equal(bad.status, 401);
    const ws = await WsClient.connect(srv.port, '/api/notifications/ws', { Authorization: `Bearer ${token}` });
    /* Traffic over several scrapes, so that rates have two points. */
    for (let round = 0; round < 6; round++) {
        const f = new FormData();
        f.append('bucket', BUCKET);
        f.append('prefix', 'p/');
        f.append('file', new Blob([`round ${round} `.repeat(200)]), `f${round}.txt`);
        const up = await fetch(`${srv.url}/api/upload`, { method: 'POST', body: f, headers: { authorization: `Bearer ${token}` } });
        assert.equal(up.status, 201, await up.text());
        assert.equal((await req(srv, 'GET', `/api/list?bucket=${BUCKET}&prefix=p/`, { token })).status, 200);
        await sleep(1100);
    }
    await sleep(2500);

    const dash = JSON.parse(readFileSync(path.join(HERE, '..', '..', 'deploy', 'grafana', 'seau.json'), 'utf8'));
    const report: string[] = [];
    for (const panel of dash.panels) {
        let found = 0;
        for (const t of panel.targets ?? []) {
            const expr = String(t.expr).replaceAll('$__rate_interval', '1m').replaceAll('$job', 'seau');
            const result = await query(expr);
            found += result.length;
            report.push(`${result.length ? 'series' : 'EMPTY '} ${panel.title} [${t.refId}] ${result.length}`);
        }
        assert.ok(found > 0, `panel "${panel.title}" finds no series:\n${report.join('\n')}`);
    }
    assert.ok(dash.panels.length >= 12);
    await ws.close();
});
