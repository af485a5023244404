import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oauthRefreshPolicy, type OAuthPolicyConfig } from '../../../src/credmon/oauth-policy.js';

function config(oauthProviders: string[], handles: boolean, clients: string[]): OAuthPolicyConfig {
  return { oauthProviders, handles, isOAuthClientConfigured: (p) => clients.includes(p) };
}

describe('oauthRefreshPolicy (upstream OAuthCredmon.check_access_token)', () => {
  it('refreshes a listed provider (or any, with *) whose client is configured', () => {
    assert.deepEqual(oauthRefreshPolicy('box', config(['*'], false, ['box'])), { refresh: true });
    assert.deepEqual(oauthRefreshPolicy('box', config(['box', 'cilogon'], false, ['box'])), { refresh: true });
  });

  it('leaves an unlisted provider alone, said once per provider at info', () => {
    const d = oauthRefreshPolicy('box', config(['cilogon'], false, ['box']));
    assert.equal(d.refresh, false);
    assert.deepEqual(!d.refresh && d.notice, {
      key: 'unlisted:box',
      level: 'info',
      message: 'Leaving box tokens alone: box is not in OAUTH2_CREDMON_PROVIDER_NAMES',
    });
  });

  it("ignores a provider without <provider>_CLIENT_ID, with upstream's warning", () => {
    const d = oauthRefreshPolicy('box', config(['*'], false, []));
    assert.equal(!d.refresh && d.notice.message, 'Ignoring box tokens, box_CLIENT_ID not set in config');
  });

  it('with 25.x handles, the provider is the name up to the first _; a trailing _ names no provider', () => {
    assert.deepEqual(oauthRefreshPolicy('box_readonly', config(['box'], true, ['box'])), { refresh: true });
    assert.equal(oauthRefreshPolicy('box_readonly', config(['box'], false, ['box'])).refresh, false, 'whole names on 23.9');
    const trailing = oauthRefreshPolicy('box_', config(['*'], true, ['box']));
    assert.equal(!trailing.refresh && trailing.notice.message, 'Skipping credential box_ with a trailing underscore');
  });
});
