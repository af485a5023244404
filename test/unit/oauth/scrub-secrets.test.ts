import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSecretScrubber, REDACTED, scrubSecrets } from '../../../src/oauth/index.js';
import { assertNoSecretLeak, findSecretLeaks, secretEncodings } from '../../helpers/secret-scan.js';

/** Secrets with the characters that encodings change: + / = & % space quote backslash, non-ASCII. */
const SECRETS = [
  'cs+SECRET/with=all&the%odd chars"\\é',
  'rt/9Qx+Zz==',
  'code with  spaces+plus',
  'verifier_-.~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ',
];

describe('secret-scan test helper', () => {
  it('finds each encoding it lists (so a scan that finds nothing means something)', () => {
    for (const secret of SECRETS) {
      for (const encoding of secretEncodings(secret)) {
        const leaks = findSecretLeaks([secret], `before ${encoding.value} after`);
        assert.ok(leaks.length > 0, `${encoding.name} not found`);
      }
    }
    assert.ok(secretEncodings(SECRETS[0] ?? '').length >= 15);
    assert.throws(() => assertNoSecretLeak(['s3cr3t+'], ['a log line with s3cr3t%2B in it']), /url-encoded/);
  });
});

describe('scrubSecrets', () => {
  it('removes every encoding of every secret, wherever it occurs in the text', () => {
    const scrub = createSecretScrubber(SECRETS);
    for (const secret of SECRETS) {
      for (const encoding of secretEncodings(secret)) {
        const text = `echo: grant=${encoding.value}&x=1 (${encoding.name})`;
        const scrubbed = scrub(text);
        assertNoSecretLeak(SECRETS, scrubbed, `scrubbed ${encoding.name}`);
        assert.ok(scrubbed.includes(REDACTED), `${encoding.name}: ${scrubbed}`);
        assert.ok(scrubbed.startsWith('echo: grant='), 'text around the secret is kept');
      }
    }
  });

  it('removes secrets from an echoed form body, a JSON body and a Basic header together', () => {
    const [clientSecret = '', refreshToken = '', code = '', verifier = ''] = SECRETS;
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      code,
      code_verifier: verifier,
      client_secret: clientSecret,
    });
    const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
    const basic = Buffer.from(`${enc('my client')}:${enc(clientSecret)}`).toString('base64');
    const text = `you sent ${form.toString()} with Authorization: Basic ${basic} and ${JSON.stringify({ refresh_token: refreshToken, code })}`;
    const scrubbed = scrubSecrets(text, SECRETS);
    assertNoSecretLeak(SECRETS, scrubbed, 'scrubbed echo');
    assert.match(scrubbed, /^you sent grant_type=refresh_token&refresh_token=\[redacted\]&code=\[redacted\]/);
  });

  it('leaves text without secrets alone and ignores undefined and very short values', () => {
    const text = 'Refresh token expired; please log in again (HTTP 400) + / = %2B';
    assert.equal(scrubSecrets(text, SECRETS), text);
    assert.equal(scrubSecrets('the ab value', [undefined, 'ab']), 'the ab value');
    assert.equal(scrubSecrets('', SECRETS), '');
  });

  it('handles long secrets (a 4 KB refresh token) quickly', () => {
    const long = Buffer.alloc(3072, 7).toString('base64').replace(/A/g, '+/');
    const text = `x ${encodeURIComponent(long)} y ${Buffer.from(long).toString('base64')} z`;
    const scrubbed = scrubSecrets(text, [long, ...SECRETS]);
    assertNoSecretLeak([long], scrubbed, 'scrubbed long secret');
    assert.match(scrubbed, /^x \[redacted\] y \[redacted\]/);
  });
});
