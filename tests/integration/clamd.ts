/*
 * A real clamd for the tests: started on a free port with only a custom
 * signature database (freshclam cannot download here), stopped when the
 * file's tests end. Files containing CLAMD_TEST_PATTERN are reported as
 * "Seau.Test.Pattern".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after } from 'node:test';

import { freePort, poll, requirePrograms, tempDir } from './harness.ts';

export const CLAMD_TEST_PATTERN = 'SEAU-MALWARE-TEST-PATTERN-7f3a';
export const CLAMD_SIGNATURE = 'Seau.Test.Pattern';

export interface Clamd {
    address: string; // tcp://127.0.0.1:PORT, for SEAU_CLAMAV
    port: number;
}

const children: ChildProcess[] = [];

function ping(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        let got = '';
        s.on('connect', () => s.write('zPING\0'));
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got.startsWith('PONG')));
        s.on('error', () => resolve(false));
    });
}

const CLAMD = '/usr/sbin/clamd';

/** The EICAR test file's string: every antivirus reports it; clamd does with startClamd({ eicar: true }). */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
export const EICAR_SIGNATURE = 'Seau.Test.Eicar';

export async function startClamd(opts: { streamMaxLength?: string; eicar?: boolean } = {}): Promise<Clamd> {
    requirePrograms(CLAMD);
    const dir = tempDir('seau-clamd-');
    const db = path.join(dir, 'db');
    mkdirSync(db);
    writeFileSync(path.join(db, 'seau.ndb'),
        `${CLAMD_SIGNATURE}:0:*:${Buffer.from(CLAMD_TEST_PATTERN).toString('hex')}\n` +
        (opts.eicar ? `${EICAR_SIGNATURE}:0:*:${Buffer.from(EICAR).toString('hex')}\n` : ''));
    const port = await freePort();
    writeFileSync(path.join(dir, 'clamd.conf'), [
        'Foreground yes',
        `TCPSocket ${port}`,
        'TCPAddr 127.0.0.1',
        `DatabaseDirectory ${db}`,
        `StreamMaxLength ${opts.streamMaxLength ?? '2000M'}`,
        `PidFile ${path.join(dir, 'clamd.pid')}`,
        '',
    ].join('\n'));
    const p = spawn(CLAMD, ['-c', path.join(dir, 'clamd.conf')], { stdio: 'ignore' });
    children.push(p);
    await poll('clamd to answer PING', () => ping(port), 30_000, 100);
    return { address: `tcp://127.0.0.1:${port}`, port };
}

after(() => {
    for (const c of children)
        if (c.exitCode === null)
            c.kill('SIGTERM');
});
