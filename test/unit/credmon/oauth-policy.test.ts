import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideOAuthRefresh, type OAuthPolicyConfig } from '../../../src/credmon/oauth-policy.js';

function policy(oauthProviders: string[], clients: string[], handles = true): OAuthPolicyConfig {
  return { handles, oauthProviders, isOAuthClientConfigured: (provider) => clients.includes(provider) };
}

describe('oauth-policy', () => {
  it('refreshes a listed provider with a client, by the name up to the first underscore (25.x rules)', () => {
    assert.deepEqual(decideOAuthRefresh('box_work', policy(['box'], ['box'])), { refresh: true });
    assert.deepEqual(decideOAuthRefresh('box', policy(['box'], ['box'])), { refresh: true });
  });

  it("'*' lists every provider; a client is still needed", () => {
    assert.deepEqual(decideOAuthRefresh('gitlab', policy(['*'], ['gitlab'])), { refresh: true });
    assert.deepEqual(decideOAuthRefresh('github', policy(['*'], ['gitlab'])), {
      refresh: false,
      onceKey: 'client:github',
      notice: { level: 'warn', message: 'Ignoring github tokens, github_CLIENT_ID not set in config' },
    });
  });

  it('leaves an unlisted provider alone, at info, once per provider', () => {
    assert.deepEqual(decideOAuthRefresh('dropbox_a', policy(['box'], ['box', 'dropbox'])), {
      refresh: false,
      onceKey: 'unlisted:dropbox',
      notice: {
        level: 'info',
        message: 'Leaving dropbox tokens alone: dropbox is not in OAUTH2_CREDMON_PROVIDER_NAMES',
      },
    });
  });

  it('skips a name with a trailing underscore, once per name', () => {
    assert.deepEqual(decideOAuthRefresh('box_', policy(['*'], ['box'])), {
      refresh: false,
      onceKey: 'trailing:box_',
      notice: { level: 'warn', message: 'Skipping credential box_ with a trailing underscore' },
    });
  });

  it('with 23.9 rules the whole name is the provider', () => {
    assert.deepEqual(decideOAuthRefresh('box_work', policy(['box_work'], ['box_work'], false)), { refresh: true });
    assert.equal(decideOAuthRefresh('box_work', policy(['box'], ['box'], false)).refresh, false);
  });
});
