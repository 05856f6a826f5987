#!/usr/bin/env node
/*
 * After `next build`: the static export inlines <script> tags (the React
 * Server Components payload, our theme script). seau serves a strict CSP
 * (script-src 'self', no 'unsafe-inline'), so each inline script is allowed
 * by its SHA-256. This writes them to OUT/csp.json, which `seau serve` reads
 * from its web root at start-up:
 *   {"scriptHashes": ["sha256-…", …]}
 * Usage: node scripts/csp-hashes.mjs out
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const out = path.resolve(process.argv[2] ?? 'out');

function* htmlFiles(dir) {
    for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) yield* htmlFiles(p);
        else if (name.endsWith('.html')) yield p;
    }
}

/** Inline scripts: <script …> without a src attribute; the hash covers the exact text between the tags. */
export function inlineScripts(html) {
    const found = [];
    const re = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
    for (let m; (m = re.exec(html)); ) {
        if (/\bsrc\s*=/i.test(m[1])) continue;
        if (/\btype\s*=\s*["']?(application\/(ld\+)?json|text\/template)/i.test(m[1])) continue;
        if (m[2].length === 0) continue;
        found.push(m[2]);
    }
    return found;
}

const hashes = new Set();
let files = 0;
for (const f of htmlFiles(out)) {
    files++;
    for (const s of inlineScripts(readFileSync(f, 'utf8'))) hashes.add(`sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}`);
}
const list = [...hashes].sort();
writeFileSync(path.join(out, 'csp.json'), JSON.stringify({ scriptHashes: list }, null, 0) + '\n');
console.log(`csp-hashes: ${list.length} inline script hash(es) from ${files} page(s) -> ${path.relative(process.cwd(), path.join(out, 'csp.json'))}`);
