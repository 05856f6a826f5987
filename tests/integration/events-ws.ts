/*
 * A minimal WebSocket client over node:net for the events tests: it checks
 * the handshake byte by byte (Sec-WebSocket-Accept), answers pings, keeps
 * every text message and the close frame's code, and can stop reading (a
 * slow client) — which Node 20's experimental WebSocket cannot.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

import { poll } from './harness.ts';

export interface WsRefusal {
    status: number;
    headers: Record<string, string>;
    body: string;
}

export class WsClient {
    /** Text messages received, in order. */
    readonly messages: string[] = [];
    /** The close frame's code (0 when it had none), or null when none came. */
    closeCode: number | null = null;
    closeReason = '';
    /** The TCP connection ended. */
    ended = false;
    pings = 0;
    private buf = Buffer.alloc(0);
    private fragments: Buffer[] = [];

    private constructor(readonly socket: net.Socket, rest: Buffer, readonly autoPong: boolean) {
        socket.on('data', (d: Buffer) => this.feed(d));
        socket.on('close', () => (this.ended = true));
        socket.on('error', () => (this.ended = true));
        if (rest.length)
            this.feed(rest);
    }

    /**
     * Opens path (with its query) on port with extra headers. Resolves with the
     * client after a 101 whose Sec-WebSocket-Accept is right, or with the
     * refusal (status, headers, body) when the server answered otherwise.
     */
    static open(
        port: number,
        path: string,
        headers: Record<string, string> = {},
        opts: { autoPong?: boolean; timeoutMs?: number; localAddress?: string } = {},
    ): Promise<WsClient | WsRefusal> {
        const key = randomBytes(16).toString('base64');
        const expect = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        return new Promise((resolve, reject) => {
            const s = net.connect({ host: '127.0.0.1', port, localAddress: opts.localAddress });
            let head = Buffer.alloc(0);
            const timer = setTimeout(() => {
                s.destroy();
                reject(new Error(`no handshake answer from ${path}`));
            }, opts.timeoutMs ?? 15_000);
            const onData = (d: Buffer) => {
                head = Buffer.concat([head, d]);
                const end = head.indexOf('\r\n\r\n');
                if (end < 0)
                    return;
                const lines = head.subarray(0, end).toString('latin1').split('\r\n');
                const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
                const hs: Record<string, string> = {};
                for (const l of lines.slice(1)) {
                    const i = l.indexOf(':');
                    if (i > 0)
                        hs[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
                }
                if (status !== 101) {
                    /* Wait for the whole error body (Content-Length). */
                    const want = Number(hs['content-length'] ?? 0);
                    if (head.length < end + 4 + want)
                        return;
                    clearTimeout(timer);
                    s.off('data', onData);
                    s.destroy();
                    resolve({ status, headers: hs, body: head.subarray(end + 4, end + 4 + want).toString('utf8') });
                    return;
                }
                clearTimeout(timer);
                s.off('data', onData);
                if (hs['sec-websocket-accept'] !== expect || (hs.upgrade ?? '').toLowerCase() !== 'websocket') {
                    s.destroy();
                    reject(new Error(`bad handshake answer: ${lines.join(' | ')}`));
                    return;
                }
                resolve(new WsClient(s, head.subarray(end + 4), opts.autoPong ?? true));
            };
            s.on('data', onData);
            s.once('error', (e) => {
                clearTimeout(timer);
                reject(e);
            });
            s.once('connect', () => {
                const lines = [
                    `GET ${path} HTTP/1.1`,
                    `Host: 127.0.0.1:${port}`,
                    'Upgrade: websocket',
                    'Connection: Upgrade',
                    `Sec-WebSocket-Key: ${key}`,
                    'Sec-WebSocket-Version: 13',
                    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
                ];
                s.write(lines.join('\r\n') + '\r\n\r\n');
            });
        });
    }

    /** Like open(), but fails unless the upgrade succeeded. */
    static async connect(port: number, path: string, headers: Record<string, string> = {}, opts: { autoPong?: boolean; localAddress?: string } = {}): Promise<WsClient> {
        const r = await WsClient.open(port, path, headers, opts);
        if (!(r instanceof WsClient))
            throw new Error(`WebSocket refused: ${r.status} ${r.body}`);
        return r;
    }

    private feed(d: Buffer): void {
        this.buf = Buffer.concat([this.buf, d]);
        for (;;) {
            if (this.buf.length < 2)
                return;
            const b0 = this.buf[0]!, b1 = this.buf[1]!;
            if (b1 & 0x80)
                throw new Error('the server masked a frame');
            let len = b1 & 0x7f;
            let off = 2;
            if (len === 126) {
                if (this.buf.length < 4)
                    return;
                len = this.buf.readUInt16BE(2);
                off = 4;
            } else if (len === 127) {
                if (this.buf.length < 10)
                    return;
                len = Number(this.buf.readBigUInt64BE(2));
                off = 10;
            }
            if (this.buf.length < off + len)
                return;
            const payload = this.buf.subarray(off, off + len);
            this.buf = this.buf.subarray(off + len);
            const fin = (b0 & 0x80) !== 0;
            const op = b0 & 0x0f;
            if (op === 0x9) {
                this.pings++;
                if (this.autoPong)
                    this.send(0xa, payload);
            } else if (op === 0x8) {
                this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 0;
                this.closeReason = payload.subarray(2).toString('utf8');
                this.send(0x8, payload.subarray(0, 2));
            } else if (op === 0x1 || op === 0x0) {
                this.fragments.push(Buffer.from(payload));
                if (fin) {
                    this.messages.push(Buffer.concat(this.fragments).toString('utf8'));
                    this.fragments = [];
                }
            }
        }
    }

    /** Sends one masked frame. */
    send(opcode: number, payload: Buffer | string = Buffer.alloc(0)): void {
        if (this.socket.destroyed)
            return;
        const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
        const mask = randomBytes(4);
        let head: Buffer;
        if (data.length < 126)
            head = Buffer.from([0x80 | opcode, 0x80 | data.length]);
        else if (data.length < 65536) {
            head = Buffer.alloc(4);
            head[0] = 0x80 | opcode;
            head[1] = 0x80 | 126;
            head.writeUInt16BE(data.length, 2);
        } else {
            head = Buffer.alloc(10);
            head[0] = 0x80 | opcode;
            head[1] = 0x80 | 127;
            head.writeBigUInt64BE(BigInt(data.length), 2);
        }
        const body = Buffer.alloc(data.length);
        for (let i = 0; i < data.length; i++)
            body[i] = data[i]! ^ mask[i % 4]!;
        this.socket.write(Buffer.concat([head, mask, body]));
    }

    /** The notifications received so far, parsed. */
    notes(): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any
        return this.messages.map((m) => JSON.parse(m));
    }

    /** Waits until at least n messages have come; returns them parsed. */
    async waitNotes(n: number, what = `${n} notifications`, timeoutMs = 15_000): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
        await poll(what, () => this.messages.length >= n || (this.ended && this.messages.length < n ? Promise.reject(new Error('the connection ended')) : false), timeoutMs);
        return this.notes();
    }

    /** Waits for the server's close frame and the end of the connection; returns the code. */
    async waitClose(timeoutMs = 15_000): Promise<number | null> {
        await poll('the WebSocket to close', () => this.ended, timeoutMs);
        return this.closeCode;
    }

    /** Stops reading from the socket (the kernel buffers fill, then the server's queue). */
    pause(): void {
        this.socket.pause();
    }

    resume(): void {
        this.socket.resume();
    }

    /** A clean close from our side (1000), then waits for the end. */
    async close(): Promise<void> {
        this.send(0x8, Buffer.from([0x03, 0xe8]));
        await poll('the WebSocket to end', () => this.ended, 10_000).catch(() => undefined);
        this.socket.destroy();
    }

    destroy(): void {
        this.socket.destroy();
    }
}
