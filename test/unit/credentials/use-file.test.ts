import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLocalUseFile, formatOAuthUseFile, parseUseFile } from '../../../src/credentials/use-file.js';
import { CredentialFileInvalid } from '../../../src/shared/errors.js';

/** An unsigned JWT-shaped string with the given payload (parseUseFile only decodes, never verifies). */
function fakeJwt(payload: Record<string, unknown>): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'ES256', typ: 'JWT' })}.${b64(payload)}.c2ln`;
}

describe('parseUseFile', () => {
  it('reads a one-line JSON .use with expires_in and the JWT exp', () => {
    const jwt = fakeJwt({ sub: 'alice', exp: 1_700_001_200 });
    assert.deepEqual(parseUseFile('a.use', `{"access_token": "${jwt}", "expires_in": 1200}`), {
      accessToken: jwt,
      expiresInS: 1200,
      expEpochS: 1_700_001_200,
    });
  });

  it('reads an opaque OAuth access token without exp', () => {
    assert.deepEqual(
      parseUseFile(
        'a.use',
        '{"access_token": "opaque", "token_type": "Bearer", "expires_in": 3600, "expires_at": 1.5}\n',
      ),
      {
        accessToken: 'opaque',
        expiresInS: 3600,
        expEpochS: undefined,
      },
    );
  });

  it('reads a bare token on the first line (LOCAL_CREDMON_TOKEN_USE_JSON = false)', () => {
    const jwt = fakeJwt({ exp: 42 });
    assert.deepEqual(parseUseFile('a.use', `${jwt}\n`), { accessToken: jwt, expiresInS: undefined, expEpochS: 42 });
    assert.equal(parseUseFile('a.use', 'opaque-token\nsecond line').accessToken, 'opaque-token');
  });

  it('ignores a non-numeric expires_in', () => {
    assert.equal(parseUseFile('a.use', '{"access_token": "t", "expires_in": "3600"}').expiresInS, undefined);
  });

  for (const [label, content] of [
    ['empty', ''],
    ['only a newline', '\n'],
    ['broken JSON', '{"access_token": "t"'],
    ['JSON without access_token', '{"token_type": "Bearer"}'],
    ['a non-string access_token', '{"access_token": 5}'],
    ['an empty access_token', '{"access_token": ""}'],
    ['a JSON array', '["t"]'],
    ['pretty-printed JSON', '{\n  "access_token": "t"\n}'],
  ] as const) {
    it(`rejects a .use that is ${label}`, () => {
      assert.throws(() => parseUseFile('alice/a.use', content), CredentialFileInvalid);
    });
  }
});

describe('formatLocalUseFile', () => {
  it('writes exactly upstream JSON bytes, without a trailing newline', () => {
    assert.equal(formatLocalUseFile('eyJ.a.b', 1200, true), '{"access_token": "eyJ.a.b", "expires_in": 1200}');
  });

  it('writes the bare token and a newline when JSON is off', () => {
    assert.equal(formatLocalUseFile('eyJ.a.b', 1200, false), 'eyJ.a.b\n');
  });
});

describe('formatOAuthUseFile', () => {
  it('drops refresh_token, adds expires_at and stays on one line', () => {
    const content = formatOAuthUseFile(
      {
        access_token: 'at-1',
        token_type: 'Bearer',
        refresh_token: 'rt-1',
        expires_in: 3600,
        scope: 'read:/public write:/x',
      },
      1_700_000_000,
    );
    assert.equal(
      content,
      '{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "scope": "read:/public write:/x", "expires_at": 1700003600}',
    );
    assert.ok(!content.includes('\n'));
    assert.ok(!content.includes('rt-1'));
    assert.deepEqual(parseUseFile('x.use', content), { accessToken: 'at-1', expiresInS: 3600, expEpochS: undefined });
  });

  it('adds no expires_at when the provider sent no expires_in', () => {
    assert.equal(formatOAuthUseFile({ access_token: 'at' }, 5), '{"access_token": "at"}');
  });

  it('does not change the object it was given', () => {
    const response = { access_token: 'at', refresh_token: 'rt', expires_in: 10 };
    formatOAuthUseFile(response, 0);
    assert.deepEqual(response, { access_token: 'at', refresh_token: 'rt', expires_in: 10 });
  });
});
