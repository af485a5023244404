import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KEY_FILE_NAME,
  assertSafeName,
  credentialName,
  isSafeName,
  providerOfCredential,
} from '../../../src/credentials/names.js';
import { CredentialNameInvalid } from '../../../src/shared/errors.js';

describe('assertSafeName', () => {
  for (const good of ['alice', 'scitokens', 'my-tokens_read', 'a+b=c', 'first.last', 'x', '0']) {
    it(`accepts ${JSON.stringify(good)}`, () => {
      assert.equal(assertSafeName('user', good), good);
      assert.equal(isSafeName(good), true);
    });
  }

  for (const bad of [
    '..',
    '.',
    'a/b',
    '../x',
    '',
    'with space',
    'alice\n',
    'line\nbreak',
    '.hidden',
    'tab\t',
    'a\u0000b',
    'é',
    'a'.repeat(201),
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(isSafeName(bad), false);
      assert.throws(
        () => assertSafeName('provider', bad),
        (error: unknown) => {
          assert.ok(error instanceof CredentialNameInvalid);
          assert.equal(error.code, 'ERR_CREDENTIAL_NAME_INVALID');
          assert.ok(error.message.startsWith(`provider name ${JSON.stringify(bad)}`));
          return true;
        },
      );
    });
  }
});

describe('credentialName', () => {
  it('joins provider and handle with an underscore, as the credd does', () => {
    assert.equal(credentialName('mytokens', ''), 'mytokens');
    assert.equal(credentialName('mytokens', 'read'), 'mytokens_read');
  });

  it('refuses unsafe parts', () => {
    assert.throws(() => credentialName('a/b', ''), CredentialNameInvalid);
    assert.throws(() => credentialName('ok', '..'), CredentialNameInvalid);
  });
});

describe('KEY_FILE_NAME', () => {
  it('matches 64 lowercase hex characters only', () => {
    assert.ok(KEY_FILE_NAME.test('a'.repeat(64)));
    assert.ok(!KEY_FILE_NAME.test('A'.repeat(64)));
    assert.ok(!KEY_FILE_NAME.test('a'.repeat(63)));
    assert.ok(!KEY_FILE_NAME.test(`${'a'.repeat(64)}.tmp`));
  });
});

describe('providerOfCredential', () => {
  it('with 25.x handle rules splits at the first _ and refuses a trailing _', () => {
    assert.equal(providerOfCredential('box', true), 'box');
    assert.equal(providerOfCredential('box_readonly', true), 'box');
    assert.equal(providerOfCredential('box_read_only', true), 'box');
    assert.equal(providerOfCredential('box_', true), undefined);
  });

  it('with 23.9 rules (or CREDMON_ALLOW_SPECIAL_CHAR_NAMES) the whole name is the provider', () => {
    assert.equal(providerOfCredential('box_readonly', false), 'box_readonly');
    assert.equal(providerOfCredential('box_', false), 'box_');
  });
});
