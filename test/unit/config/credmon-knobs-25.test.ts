import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseCredmonConfig } from '../../../src/config/credmon-config.js';
import { ConfigInvalid } from '../../../src/shared/errors.js';

const BASE = {
  SEC_CREDENTIAL_DIRECTORY_OAUTH: '/var/lib/condor/oauth_credentials',
  LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
};
const V23 = { ...BASE, CONDOR_VERSION: '23.9.6' };
const V25 = { ...BASE, CONDOR_VERSION: '25.14.1' };

function parse(knobs: Record<string, string>) {
  // As condor_config_val -dump prints them: knob names are case-insensitive (parseConfigDump upper-cases them).
  return parseCredmonConfig(lookupFrom(new Map(Object.entries(knobs).map(([k, v]) => [k.toUpperCase(), v]))));
}

function failure(knobs: Record<string, string>): ConfigInvalid {
  try {
    parse(knobs);
  } catch (error) {
    assert.ok(error instanceof ConfigInvalid, `expected ConfigInvalid, got ${String(error)}`);
    return error;
  }
  assert.fail('expected parseCredmonConfig to throw ConfigInvalid');
}

describe('parseCredmonConfig: HTCondor 24.x/25.x knobs', () => {
  it('LOCAL_CREDMON_PROVIDER_NAMES (comma and/or space separated) wins over LOCAL_CREDMON_PROVIDER_NAME', () => {
    const config = parse({
      ...V25,
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens, chemistry  physics,',
      LOCAL_CREDMON_PROVIDER_NAME: 'old',
    });
    assert.deepEqual(
      config.localProviders.map((p) => p.providerName),
      ['scitokens', 'chemistry', 'physics'],
    );
    assert.equal(config.local.providerName, 'scitokens');
    assert.deepEqual(config.warnings, []);
    assert.ok(Object.isFrozen(config.localProviders) && config.localProviders.every((p) => Object.isFrozen(p)));
  });

  it('an empty LOCAL_CREDMON_PROVIDER_NAMES falls back to LOCAL_CREDMON_PROVIDER_NAME, then to scitokens', () => {
    assert.deepEqual(
      parse({ ...V25, LOCAL_CREDMON_PROVIDER_NAMES: ' , ', LOCAL_CREDMON_PROVIDER_NAME: 'mine' }).localProviders.map(
        (p) => p.providerName,
      ),
      ['mine'],
    );
    assert.deepEqual(
      parse(V25).localProviders.map((p) => p.providerName),
      ['scitokens'],
    );
  });

  it('LOCAL_CREDMON_<provider>_<KNOB> overrides LOCAL_CREDMON_<KNOB> for that provider only', () => {
    const config = parse({
      ...V25,
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens chemistry',
      LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
      LOCAL_CREDMON_chemistry_ISSUER: 'https://chem.example.org',
      LOCAL_CREDMON_chemistry_PRIVATE_KEY: '/etc/condor/chem-private.pem',
      LOCAL_CREDMON_chemistry_KEY_ID: 'chem',
      LOCAL_CREDMON_chemistry_PRIVATE_KEY_ALGORITHM: 'RS256',
      LOCAL_CREDMON_chemistry_TOKEN_LIFETIME: '600',
      LOCAL_CREDMON_chemistry_TOKEN_AUDIENCE: 'https://chem-storage https://other',
      LOCAL_CREDMON_chemistry_AUTHZ_TEMPLATE: 'read:/chem/{username}',
      LOCAL_CREDMON_chemistry_TOKEN_VERSION: 'wlcg:1.0',
      LOCAL_CREDMON_chemistry_TOKEN_USE_JSON: 'false',
    });
    const [sci, chem] = config.localProviders;
    assert.ok(sci && chem);
    assert.equal(sci.issuer, 'https://ap.example.org');
    assert.equal(sci.privateKeyPath, '/etc/condor/scitokens-private.pem');
    assert.equal(sci.privateKeyAlgorithm, 'ES256');
    assert.equal(sci.tokenLifetimeS, 1200);
    assert.deepEqual(sci.audience, ['https://localhost']);
    assert.equal(chem.issuer, 'https://chem.example.org');
    assert.equal(chem.privateKeyPath, '/etc/condor/chem-private.pem');
    assert.equal(chem.keyId, 'chem');
    assert.equal(chem.privateKeyAlgorithm, 'RS256');
    assert.equal(chem.tokenLifetimeS, 600);
    assert.deepEqual(chem.audience, ['https://chem-storage', 'https://other']);
    assert.equal(chem.authzTemplate, 'read:/chem/{username}');
    assert.equal(chem.tokenVersion, 'wlcg:1.0');
    assert.equal(chem.useJson, false);
    // LOCAL_CREDMON_PUBLIC_KEY is global upstream (create_credentials): every provider shares it.
    assert.equal(chem.publicKeyPath, '/etc/condor/scitokens.pem');
    assert.equal(sci.sharedKey, true);
    assert.equal(chem.sharedKey, false, 'its own key: never generated, not the published LOCAL_CREDMON_PUBLIC_KEY');
  });

  it('bad per-provider values are reported all at once, each naming the per-provider knob', () => {
    const { problems, exitStatus } = failure({
      ...V25,
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens chemistry',
      LOCAL_CREDMON_chemistry_TOKEN_LIFETIME: 'soon',
      LOCAL_CREDMON_chemistry_PRIVATE_KEY: 'relative.pem',
      LOCAL_CREDMON_chemistry_PRIVATE_KEY_ALGORITHM: 'HS256',
      LOCAL_CREDMON_chemistry_TOKEN_AUDIENCE: ' ',
      LOCAL_CREDMON_chemistry_AUTHZ_GROUP_REQUIREMENT: 'chemists',
    });
    assert.equal(exitStatus, 1);
    const text = problems.join('\n');
    for (const knob of [
      'LOCAL_CREDMON_chemistry_TOKEN_LIFETIME = soon',
      'LOCAL_CREDMON_chemistry_PRIVATE_KEY = relative.pem',
      'LOCAL_CREDMON_chemistry_PRIVATE_KEY_ALGORITHM = HS256: expected ES256 or RS256',
      'LOCAL_CREDMON_chemistry_TOKEN_AUDIENCE must be set',
      'LOCAL_CREDMON_chemistry_AUTHZ_GROUP_REQUIREMENT = chemists needs LOCAL_CREDMON_chemistry_AUTHZ_GROUP_MAPFILE',
    ]) {
      assert.ok(text.includes(knob), `problems name ${knob}:\n${text}`);
    }
    assert.equal(problems.length, 5, text);
  });

  it('LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR and _AUTHZ_GROUP_REQUIREMENT: read on 25.x (per provider too), ignored on 23.9', () => {
    const knobs = {
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens chemistry',
      LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: 'strcat("read:/u/", Username)',
      LOCAL_CREDMON_chemistry_AUTHZ_TEMPLATE_EXPR: ' "read:/chem" ',
      LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE: '/etc/condor/groups',
      LOCAL_CREDMON_chemistry_AUTHZ_GROUP_REQUIREMENT: 'chemists',
    };
    const [sci, chem] = parse({ ...V25, ...knobs }).localProviders;
    assert.equal(sci?.authzTemplateExpr, 'strcat("read:/u/", Username)');
    assert.equal(sci?.authzGroupRequirement, undefined);
    assert.equal(chem?.authzTemplateExpr, '"read:/chem"');
    assert.equal(chem?.authzGroupRequirement, 'chemists');
    const old = parse({ ...V23, LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: 'x', LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT: 'g' });
    assert.equal(old.local.authzTemplateExpr, undefined);
    assert.equal(old.local.authzGroupRequirement, undefined);
    const warnings = old.warnings.join('\n');
    assert.match(
      warnings,
      /LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR is set, but HTCondor 23\.9\.6 does not know it .*no scope from it/,
    );
    assert.match(warnings, /LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT is set, .*every user gets a token/);
  });

  it('LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: ES256 by default, RS256 accepted (any case), others refused', () => {
    assert.equal(parse(V25).local.privateKeyAlgorithm, 'ES256');
    assert.equal(parse({ ...V25, LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'rs256' }).local.privateKeyAlgorithm, 'RS256');
    assert.deepEqual(failure({ ...V25, LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'ES384' }).problems, [
      'LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM = ES384: expected ES256 or RS256',
    ]);
  });

  it('OAUTH2_CREDMON_PROVIDER_NAMES defaults to *; a list is split on commas and spaces', () => {
    assert.deepEqual(parse(V25).oauthProviders, ['*']);
    assert.deepEqual(parse({ ...V25, OAUTH2_CREDMON_PROVIDER_NAMES: 'box,  github' }).oauthProviders, [
      'box',
      'github',
    ]);
  });

  it('tells whether <provider>_CLIENT_ID is configured', () => {
    const config = parse({ ...V25, BOX_CLIENT_ID: 'abc', EMPTY_CLIENT_ID: '' });
    assert.equal(config.isOAuthClientConfigured('BOX'), true);
    assert.equal(config.isOAuthClientConfigured('EMPTY'), true, 'upstream tests "in htcondor.param", not emptiness');
    assert.equal(config.isOAuthClientConfigured('github'), false);
  });

  it('25.13.2+: handles split at the first _, unless CREDMON_ALLOW_SPECIAL_CHAR_NAMES is true', () => {
    assert.equal(parse(V25).handles, true);
    assert.equal(parse({ ...V25, CREDMON_ALLOW_SPECIAL_CHAR_NAMES: 'true' }).handles, false);
    assert.equal(parse({ ...BASE, CONDOR_VERSION: '25.12.0' }).handles, false, 'before 25.13.2 names are whole');
    assert.equal(parse(V23).handles, false);
  });

  it('25.13.2+: a provider name with _ or other special characters exits 99 (DAEMON_NO_RESTART), as upstream', () => {
    for (const [knob, value] of [
      ['LOCAL_CREDMON_PROVIDER_NAMES', 'scitokens my_tokens'],
      ['LOCAL_CREDMON_PROVIDER_NAME', 'my.tokens'],
      ['OAUTH2_CREDMON_PROVIDER_NAMES', 'box+x'],
    ] as const) {
      const error = failure({ ...V25, [knob]: value });
      assert.equal(error.exitStatus, 99, `${knob} = ${value}`);
      assert.match(
        error.problems.join('\n'),
        /contains disallowed characters and CREDMON_ALLOW_SPECIAL_CHAR_NAMES is False/,
      );
    }
  });

  it('CREDMON_ALLOW_SPECIAL_CHAR_NAMES = true allows _ in provider names on 25.x; 23.9 keeps its own rule', () => {
    const config = parse({
      ...V25,
      CREDMON_ALLOW_SPECIAL_CHAR_NAMES: 'true',
      LOCAL_CREDMON_PROVIDER_NAMES: 'my_tokens',
    });
    assert.equal(config.local.providerName, 'my_tokens');
    assert.equal(parse({ ...V23, LOCAL_CREDMON_PROVIDER_NAME: 'my.tokens' }).local.providerName, 'my.tokens');
    assert.equal(failure({ ...V23, LOCAL_CREDMON_PROVIDER_NAME: '-x/y' }).exitStatus, 1);
    assert.match(
      failure({ ...V25, CREDMON_ALLOW_SPECIAL_CHAR_NAMES: 'maybe' }).problems.join('\n'),
      /CREDMON_ALLOW_SPECIAL_CHAR_NAMES = maybe/,
    );
  });

  it('on 23.9, each 24.x/25.x knob that is set is reported once, named, with what the credmon does instead', () => {
    const config = parse({
      ...V23,
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens chemistry',
      LOCAL_CREDMON_PROVIDER_NAME: 'scitokens',
      OAUTH2_CREDMON_PROVIDER_NAMES: 'box',
      LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'RS256',
      LOCAL_CREDMON_scitokens_TOKEN_LIFETIME: '60',
      CREDMON_ALLOW_SPECIAL_CHAR_NAMES: 'true',
    });
    // 23.9 behaviour: one provider, every OAuth provider, ES256, the general lifetime, whole names.
    assert.deepEqual(
      config.localProviders.map((p) => p.providerName),
      ['scitokens'],
    );
    assert.deepEqual(config.oauthProviders, ['*']);
    assert.equal(config.local.privateKeyAlgorithm, 'ES256');
    assert.equal(config.local.tokenLifetimeS, 1200);
    assert.equal(config.handles, false);
    assert.equal(config.warnings.length, 5, config.warnings.join('\n'));
    for (const knob of [
      'LOCAL_CREDMON_PROVIDER_NAMES is set, but HTCondor 23.9.6 does not know it (it came in 24.3.0): ignored; issuing for LOCAL_CREDMON_PROVIDER_NAME = scitokens',
      'OAUTH2_CREDMON_PROVIDER_NAMES is set, but HTCondor 23.9.6 does not know it (it came in 24.3.0): ignored; refreshing every provider',
      'LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM is set, but HTCondor 23.9.6 does not know it (it came in 25.2.1): ignored; signing with ES256',
      'LOCAL_CREDMON_scitokens_TOKEN_LIFETIME is set, but HTCondor 23.9.6 does not know per-provider knobs',
      'CREDMON_ALLOW_SPECIAL_CHAR_NAMES is set, but HTCondor 23.9.6 does not know it (it came in 25.13.2): ignored',
    ]) {
      assert.ok(
        config.warnings.some((w) => w.startsWith(knob)),
        `warned about ${knob}:\n${config.warnings.join('\n')}`,
      );
    }
  });

  it('a 25.x knob with a bad value does not break 23.9 (it is ignored there, not parsed)', () => {
    const config = parse({
      ...V23,
      LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'nonsense',
      LOCAL_CREDMON_PROVIDER_NAMES: 'a_b',
    });
    assert.equal(config.local.privateKeyAlgorithm, 'ES256');
    assert.equal(config.warnings.length, 2);
  });

  it('a knob is reported once even when several providers would read it', () => {
    const config = parse({
      ...BASE,
      CONDOR_VERSION: '24.12.0',
      LOCAL_CREDMON_PROVIDER_NAMES: 'a b c',
      LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'RS256',
    });
    assert.equal(config.localProviders.length, 3);
    assert.deepEqual(config.warnings.filter((w) => w.includes('PRIVATE_KEY_ALGORITHM')).length, 1);
    assert.ok(config.localProviders.every((p) => p.privateKeyAlgorithm === 'ES256'));
  });

  it('without CONDOR_VERSION the newest rules apply; a garbled CONDOR_VERSION is an error', () => {
    assert.equal(parse({ ...BASE, LOCAL_CREDMON_PROVIDER_NAMES: 'a b' }).localProviders.length, 2);
    assert.equal(parse(BASE).condorVersion, undefined);
    assert.match(failure({ ...BASE, CONDOR_VERSION: 'banana' }).problems.join('\n'), /CONDOR_VERSION = banana/);
  });

  it('a provider in both the local and the OAuth2 lists is reported (upstream warns and continues)', () => {
    const config = parse({
      ...V25,
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens',
      OAUTH2_CREDMON_PROVIDER_NAMES: 'scitokens box',
    });
    assert.deepEqual(config.warnings, [
      'Credential providers named scitokens overlap between local and oauth2 credmons, continuing anyway...',
    ]);
  });
});
