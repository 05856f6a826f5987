import assert from 'node:assert/strict';
import { test } from 'node:test';

import { deviceName } from './identity.ts';

test('a session is named by its browser and system, else by its agent (shortened)', () => {
    assert.equal(deviceName('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'), 'Chrome · Linux');
    assert.equal(deviceName('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0'), 'Firefox · Windows');
    assert.equal(deviceName('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15'), 'Safari · macOS');
    assert.equal(deviceName('curl/8.5.0'), 'curl/8.5.0');
    assert.equal(deviceName('x'.repeat(100)).length, 58);
    assert.equal(deviceName(null), '—');
});
