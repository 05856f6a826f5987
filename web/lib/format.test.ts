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

/* The same table as tests/unit/api/share_page.c (the share page's sizes; the last row is each side's largest integer): one format everywhere. */
test('formatBytes: the table the share page is held to', () => {
    const cases: [number, string, string][] = [
        [0, '0 B', '0 o'],
        [1, '1 B', '1 o'],
        [999, '999 B', '999 o'],
        [1000, '1,000 B', '1\u202f000 o'],
        [1023, '1,023 B', '1\u202f023 o'],
        [1024, '1 KB', '1 Ko'],
        [1536, '1.5 KB', '1,5 Ko'],
        [2048, '2 KB', '2 Ko'],
        [15155, '14.8 KB', '14,8 Ko'],
        [102400, '100 KB', '100 Ko'],
        [1048575, '1,024 KB', '1\u202f024 Ko'],
        [5242880, '5 MB', '5 Mo'],
        [1500000, '1.4 MB', '1,4 Mo'],
        [5000000000, '4.7 GB', '4,7 Go'],
        [Number.MAX_SAFE_INTEGER, '8 PB', '8 Po'],
    ];
    for (const [n, en, fr] of cases) {
        assert.equal(formatBytes(n, 'en'), en, `${n} in English`);
        assert.equal(formatBytes(n, 'fr'), fr, `${n} in French`);
    }
});
