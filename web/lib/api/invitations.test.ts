import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tokenFromHash } from './invitations.ts';

test('the token is read from the link fragment only when it has the shape of one', () => {
    const t = 'A'.repeat(20) + '-_' + 'b'.repeat(21);
    assert.equal(tokenFromHash(`#token=${t}`), t);
    assert.equal(tokenFromHash(`#x=1&token=${t}`), t);
    assert.equal(tokenFromHash(`#token=${t}&y=2`), t);
    assert.equal(tokenFromHash(`#token=${t}x`), null);
    assert.equal(tokenFromHash('#token=short'), null);
    assert.equal(tokenFromHash(''), null);
    assert.equal(tokenFromHash(`#token=${t.slice(0, 42)}%2F`), null);
});
