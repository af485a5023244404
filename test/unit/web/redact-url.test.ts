import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactKeys, redactUrl } from '../../../src/web/index.js';

describe('redactUrl', () => {
  it('drops the query (authorization codes, states) and shortens login-link keys', () => {
    const key = 'ab'.repeat(32);
    assert.equal(redactUrl('/return/scitokens?code=SECRET&state=xyz'), '/return/scitokens');
    assert.equal(redactUrl(`/key/${key}`), '/key/abababab…');
    assert.equal(redactUrl(`/login/${key}/scitokens_read`), '/login/abababab…/scitokens_read');
    assert.equal(redactUrl('/.well-known/jwks-uri'), '/.well-known/jwks-uri');
  });
});

describe('redactKeys', () => {
  const key = '0123456789abcdef'.repeat(4);

  it('cuts a key to 8 characters in any case and inside any text', () => {
    assert.equal(redactKeys(`open '/creds/${key}': EACCES`), "open '/creds/01234567…': EACCES");
    assert.equal(redactKeys(key.toUpperCase()), '01234567…');
    assert.equal(redactKeys(`${key}${key}`), '01234567…');
  });

  it('recognises a key whose characters are percent-encoded, wholly or in part', () => {
    const encoded = [...key].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    assert.equal(redactKeys(`/key/${encoded}`), '/key/01234567…');
    assert.equal(
      redactKeys(`/key/${key.slice(0, 30)}%${key.charCodeAt(30).toString(16).toUpperCase()}${key.slice(31)}`),
      '/key/01234567…',
    );
  });

  it('leaves short hex, words and other escapes alone', () => {
    assert.equal(redactKeys('pid 1234abcd, %2F, read:/public'), 'pid 1234abcd, %2F, read:/public');
  });
});
