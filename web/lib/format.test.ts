import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fileKind, formatBytes, formatDuration } from './format.ts';

test('formatBytes uses binary units, octets in French', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1,023 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(5 * 1024 * 1024), '5 MB');
    assert.equal(formatBytes(1536, 'fr'), '1,5 Ko');
    assert.equal(formatBytes(-1), '—');
});

test('formatDuration', () => {
    assert.equal(formatDuration(null), '—');
    assert.equal(formatDuration(5), '5 s');
    assert.equal(formatDuration(75), '1 min 15 s');
    assert.equal(formatDuration(3700), '1 h 1 min');
});

test('fileKind prefers the content type, then the extension', () => {
    assert.equal(fileKind('x.bin', 'image/png'), 'image');
    assert.equal(fileKind('report.PDF', null), 'pdf');
    assert.equal(fileKind('main.c', 'application/octet-stream'), 'text');
    assert.equal(fileKind('noext', null), 'other');
    assert.equal(fileKind('<img src=x onerror=alert(1)>.png', null), 'image');
});
