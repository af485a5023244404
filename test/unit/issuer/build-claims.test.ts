import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseCredmonConfig, type LocalIssuerConfig } from '../../../src/config/credmon-config.js';
import { buildClaims } from '../../../src/issuer/build-claims.js';
import { groupsFor } from '../../../src/issuer/group-mapfile.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function localConfig(knobs: Record<string, string>): LocalIssuerConfig {
  return parseCredmonConfig(lookupFrom(new Map(Object.entries({ SEC_CREDENTIAL_DIRECTORY_OAUTH: '/creds', ...knobs }))))
    .local;
}

describe('buildClaims', () => {
  it('builds upstream 23.9.6 claims with the default templates', () => {
    const config = localConfig({
      LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost https://ap.example.org',
      FULL_HOSTNAME: 'ap.example.org',
    });
    const { jti, ...claims } = buildClaims(config, 'alice', [], 1_700_000_000.9);
    assert.deepEqual(claims, {
      sub: 'alice',
      scope: 'read:/user/alice write:/user/alice',
      ver: 'scitoken:2.0',
      aud: ['https://localhost', 'https://ap.example.org'],
      iss: 'https://ap.example.org',
      iat: 1_700_000_000,
      nbf: 1_700_000_000,
      exp: 1_700_001_200,
    });
    assert.match(jti, UUID_V4);
  });

  it('gives every token a new jti', () => {
    const config = localConfig({ LOCAL_CREDMON_TOKEN_AUDIENCE: 'a' });
    assert.notEqual(buildClaims(config, 'u', [], 0).jti, buildClaims(config, 'u', [], 0).jti);
  });

  it('appends one group scope per mapfile group, joined by single spaces', () => {
    const config = localConfig({
      LOCAL_CREDMON_TOKEN_AUDIENCE: 'a',
      LOCAL_CREDMON_AUTHZ_TEMPLATE: 'read:/home/{username}',
      LOCAL_CREDMON_AUTHZ_GROUP_TEMPLATE: 'read:/groups/{groupname} write:/groups/{groupname}/{{tmp}}',
      LOCAL_CREDMON_TOKEN_LIFETIME: '60',
      LOCAL_CREDMON_ISSUER: 'https://issuer.example/',
    });
    const groups = groupsFor('* bob other\n* alice physics,cms\n', 'alice');
    const claims = buildClaims(config, 'alice', groups, 100);
    assert.equal(
      claims.scope,
      'read:/home/alice read:/groups/physics write:/groups/physics/{tmp} read:/groups/cms write:/groups/cms/{tmp}',
    );
    assert.equal(claims.iss, 'https://issuer.example');
    assert.equal(claims.exp - claims.iat, 60);
  });

  it('ignores groups when no group template is configured', () => {
    const config = localConfig({ LOCAL_CREDMON_TOKEN_AUDIENCE: 'a' });
    assert.equal(buildClaims(config, 'alice', ['physics'], 0).scope, 'read:/user/alice write:/user/alice');
  });

  it('omits ver and aud when the version is empty and no audience is set', () => {
    const claims = buildClaims(localConfig({ LOCAL_CREDMON_TOKEN_VERSION: '' }), 'alice', [], 0);
    assert.equal('ver' in claims, false);
    assert.equal('aud' in claims, false);
  });

  it('does not share the audience array with the config', () => {
    const config = localConfig({ LOCAL_CREDMON_TOKEN_AUDIENCE: 'a b' });
    const claims = buildClaims(config, 'alice', [], 0);
    claims.aud?.push('c');
    assert.deepEqual(config.audience, ['a', 'b']);
  });
});

describe('the token profile (LOCAL_CREDMON_TOKEN_VERSION)', () => {
  const claimsFor = (version: string): Record<string, unknown> =>
    buildClaims(
      localConfig({ LOCAL_CREDMON_TOKEN_AUDIENCE: 'a', LOCAL_CREDMON_TOKEN_VERSION: version }),
      'alice',
      [],
      0,
    );

  for (const version of ['wlcg', 'wlcg:1.0', 'WLCG:1.0', ' wlcg:1.0 ']) {
    it(`writes "wlcg.ver": "1.0" and no ver for ${JSON.stringify(version)} (HTCondor 24.7.3+, HTCONDOR-2954)`, () => {
      const claims = claimsFor(version);
      assert.equal(claims['wlcg.ver'], '1.0');
      assert.equal('ver' in claims, false);
      assert.deepEqual(claims.aud, ['a']);
    });
  }

  it('carries a later WLCG profile version into wlcg.ver', () => {
    assert.equal(claimsFor('wlcg:2.0')['wlcg.ver'], '2.0');
  });

  for (const version of ['scitoken:2.0', 'scitokens:1.0', 'wlcg-like']) {
    it(`writes ${version} as ver and no wlcg.ver`, () => {
      const claims = claimsFor(version);
      assert.equal(claims.ver, version);
      assert.equal('wlcg.ver' in claims, false);
    });
  }
});
