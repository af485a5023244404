import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOAuthTopFile, parseTopFile, pythonJson } from '../../../src/credentials/top-file.js';
import { CredentialFileInvalid } from '../../../src/shared/errors.js';

describe('parseTopFile', () => {
  it('reads the raw user name the credd LOCAL store writes as a local request', () => {
    assert.deepEqual(parseTopFile('alice/scitokens.top', 'alice'), { kind: 'local-request', text: 'alice' });
    assert.deepEqual(parseTopFile('x.top', 'SciTokens credential request\n'), {
      kind: 'local-request',
      text: 'SciTokens credential request\n',
    });
  });

  it('reads a web-app JSON .top as OAuth and keeps every other key', () => {
    const top = parseTopFile(
      'alice/mytokens.top',
      '{"refresh_token": "rt-1", "scopes": "read:/a write:/b", "audience": "https://x", "extra": {"n": 1}}',
    );
    assert.equal(top.kind, 'oauth');
    assert.ok(top.kind === 'oauth');
    assert.equal(top.refreshToken, 'rt-1');
    assert.deepEqual(top.fields, {
      refresh_token: 'rt-1',
      scopes: 'read:/a write:/b',
      audience: 'https://x',
      extra: { n: 1 },
    });
  });

  it('reads a multi-line JSON .top (condor_store_cred add-oauth -S) with leading whitespace', () => {
    const top = parseTopFile('x.top', '\n  {\n    "refresh_token": "rt",\n    "scopes": "s"\n  }\n');
    assert.ok(top.kind === 'oauth');
    assert.equal(top.refreshToken, 'rt');
  });

  it('treats a JSON .top without refresh_token as an empty refresh token', () => {
    const top = parseTopFile('x.top', '{"scopes": "s"}');
    assert.ok(top.kind === 'oauth');
    assert.equal(top.refreshToken, '');
  });

  it('rejects broken JSON, non-object JSON and a non-string refresh_token', () => {
    for (const content of ['{"refresh_token": "rt"', '{refresh_token: rt}', '{"refresh_token": 5}']) {
      assert.throws(
        () => parseTopFile('alice/x.top', content),
        (error: unknown) => {
          assert.ok(error instanceof CredentialFileInvalid);
          assert.equal(error.code, 'ERR_CREDENTIAL_FILE_INVALID');
          assert.match(error.message, /^alice\/x\.top: /);
          return true;
        },
      );
    }
  });

  it('never puts the refresh token of a broken file in the error message', () => {
    assert.throws(
      () => parseTopFile('x.top', '{"refresh_token": "secret-rt-123",'),
      (error: unknown) => {
        assert.ok(!String((error as Error).message).includes('secret-rt-123'));
        return true;
      },
    );
  });
});

describe('formatOAuthTopFile', () => {
  it('replaces refresh_token and keeps scopes and audience byte-for-byte, spaces included', () => {
    const original =
      '{"refresh_token": "old", "scopes": "read:/public  write:/home/alice ", "audience": " https://a https://b"}';
    const top = parseTopFile('x.top', original);
    assert.ok(top.kind === 'oauth');
    assert.equal(
      formatOAuthTopFile(top.fields, 'new-rt'),
      '{"refresh_token": "new-rt", "scopes": "read:/public  write:/home/alice ", "audience": " https://a https://b"}',
    );
  });

  it('adds refresh_token when the old .top had none, keeping the other keys in order', () => {
    assert.equal(
      formatOAuthTopFile({ scopes: 's', audience: 'a' }, 'rt'),
      '{"scopes": "s", "audience": "a", "refresh_token": "rt"}',
    );
  });
});

describe('pythonJson', () => {
  it('writes one line with Python json.dumps separators', () => {
    assert.equal(
      pythonJson({ a: 1, b: [true, null, 'x'], c: { d: 'é"' } }),
      '{"a": 1, "b": [true, null, "x"], "c": {"d": "é\\""}}',
    );
  });
});
