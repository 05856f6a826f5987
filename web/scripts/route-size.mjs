#!/usr/bin/env node
/*
 * The JavaScript a route loads, gzipped: every <script src> of its exported
 * HTML page (what the browser fetches before the page is interactive), each
 * gzipped at level 9 as a server or CDN would send it.
 * Usage: node scripts/route-size.mjs out [route …]   (default: files)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const out = path.resolve(process.argv[2] ?? 'out');
const routes = process.argv.slice(3).length ? process.argv.slice(3) : ['files'];
for (const route of routes) {
    const html = readFileSync(path.join(out, `${route}.html`), 'utf8');
    /* noModule scripts (legacy polyfills) are never fetched by current browsers. */
    const tags = [...html.matchAll(/<script([^>]*)\bsrc="([^"]+)"([^>]*)>/g)];
    const srcs = [...new Set(tags.filter((m) => !/nomodule/i.test(m[1] + m[3])).map((m) => m[2]))];
    let raw = 0;
    let gz = 0;
    for (const s of srcs) {
        const body = readFileSync(path.join(out, s.split('?')[0]));
        raw += body.length;
        gz += gzipSync(body, { level: 9 }).length;
    }
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].reduce((n, m) => n + gzipSync(m[1]).length, 0);
    console.log(`/${route}: ${srcs.length} scripts, ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzip (+ ${(inline / 1024).toFixed(1)} KiB gzip inline in the HTML)`);
}
