import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMetaFile, parseMetaFile } from '../../../src/credentials/meta-file.js';
import { CredentialFileInvalid } from '../../../src/shared/errors.js';

const META =
  '{"client_id": "cid", "client_secret": "csecret", "token_url": "https://issuer.example.org/token", "use_refresh_token": true}';

describe('parseMetaFile', () => {
  it('reads the web app .meta', () => {
    assert.deepEqual(parseMetaFile('alice/x.meta', META), {
      clientId: 'cid',
      clientSecret: 'csecret',
      tokenUrl: 'https://issuer.example.org/token',
      useRefreshToken: true,
    });
  });

  it('reads use_refresh_token false, and defaults a missing one to true', () => {
    assert.equal(parseMetaFile('m', META.replace('true', 'false')).useRefreshToken, false);
    assert.equal(
      parseMetaFile('m', '{"client_id": "a", "client_secret": "b", "token_url": "https://t/"}').useRefreshToken,
      true,
    );
  });

  it('round-trips through formatMetaFile with the web app bytes', () => {
    assert.equal(formatMetaFile(parseMetaFile('m', META)), META);
  });

  for (const [label, content] of [
    ['not JSON', 'client_id=a'],
    ['an array', '[]'],
    ['missing client_secret', '{"client_id": "a", "token_url": "https://t/"}'],
    ['a numeric client_id', '{"client_id": 1, "client_secret": "b", "token_url": "https://t/"}'],
    ['a token_url that is not a URL', '{"client_id": "a", "client_secret": "b", "token_url": "token"}'],
  ] as const) {
    it(`rejects a .meta that is ${label}`, () => {
      assert.throws(
        () => parseMetaFile('alice/x.meta', content),
        (error: unknown) => {
          assert.ok(error instanceof CredentialFileInvalid);
          assert.match(error.message, /^alice\/x\.meta: /);
          return true;
        },
      );
    });
  }

  it('never quotes the client secret in its errors', () => {
    assert.throws(
      () => parseMetaFile('m', '{"client_id": "a", "client_secret": "csecret-XYZ", "token_url": "bad"}'),
      (error: unknown) => {
        assert.ok(!(error as Error).message.includes('csecret-XYZ'));
        return true;
      },
    );
  });
});
