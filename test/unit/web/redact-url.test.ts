import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from '../../../src/web/index.js';

describe('redactUrl', () => {
  it('drops the query (authorization codes, states) and shortens login-link keys', () => {
    const key = 'ab'.repeat(32);
    assert.equal(redactUrl('/return/scitokens?code=SECRET&state=xyz'), '/return/scitokens');
    assert.equal(redactUrl(`/key/${key}`), '/key/abababab…');
    assert.equal(redactUrl(`/login/${key}/scitokens_read`), '/login/abababab…/scitokens_read');
    assert.equal(redactUrl('/.well-known/jwks-uri'), '/.well-known/jwks-uri');
  });
});
