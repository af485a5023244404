import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseCredmonConfig } from '../../../src/config/credmon-config.js';
import { ConfigInvalid } from '../../../src/shared/errors.js';

const BASE = {
  SEC_CREDENTIAL_DIRECTORY_OAUTH: '/var/lib/condor/oauth_credentials',
  LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
};

function parse(knobs: Record<string, string>) {
  return parseCredmonConfig(lookupFrom(new Map(Object.entries(knobs))));
}

/** Runs parseCredmonConfig expecting ConfigInvalid and returns its problems. */
function problemsOf(knobs: Record<string, string>): readonly string[] {
  try {
    parse(knobs);
  } catch (error) {
    assert.ok(error instanceof ConfigInvalid, `expected ConfigInvalid, got ${String(error)}`);
    assert.equal(error.code, 'ERR_CONFIG_INVALID');
    return error.problems;
  }
  assert.fail('expected parseCredmonConfig to throw ConfigInvalid');
}

describe('parseCredmonConfig', () => {
  it('uses HTCondor 23.9.6 defaults for every local issuer knob that is not set', () => {
    const config = parse(BASE);
    assert.equal(config.credDir, '/var/lib/condor/oauth_credentials');
    assert.equal(config.subsystem, 'CREDMON_OAUTH');
    assert.deepEqual(
      { ...config.local },
      {
        providerName: 'scitokens',
        privateKeyPath: '/etc/condor/scitokens-private.pem',
        publicKeyPath: '/etc/condor/scitokens.pem',
        sharedKey: true,
        keyId: 'local',
        privateKeyAlgorithm: 'ES256',
        issuer: 'https://localhost',
        authzTemplate: 'read:/user/{username} write:/user/{username}',
        authzGroupTemplate: undefined,
        authzGroupMapfile: undefined,
        authzTemplateExpr: undefined,
        authzGroupRequirement: undefined,
        tokenLifetimeS: 1200,
        audience: ['https://localhost'],
        tokenVersion: 'scitoken:2.0',
        useJson: true,
      },
    );
    assert.equal(config.scanIntervalS, 60);
    assert.equal(config.keyFileLifetimeS, 12 * 3600);
    assert.equal(config.logFile, undefined);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.local), 'config is frozen');
  });

  it('derives the issuer from FULL_HOSTNAME and the log file from LOG, as upstream does', () => {
    const config = parse({ ...BASE, FULL_HOSTNAME: 'ap.example.org', LOG: '/var/log/condor/' });
    assert.equal(config.local.issuer, 'https://ap.example.org');
    assert.equal(config.logFile, '/var/log/condor/CredmonOauthLog');
  });

  it('falls back to SEC_CREDENTIAL_DIRECTORY when SEC_CREDENTIAL_DIRECTORY_OAUTH is unset', () => {
    const config = parse({ SEC_CREDENTIAL_DIRECTORY: '/srv/creds', LOCAL_CREDMON_TOKEN_AUDIENCE: 'x' });
    assert.equal(config.credDir, '/srv/creds');
  });

  it('splits LOCAL_CREDMON_TOKEN_AUDIENCE on whitespace, not on commas', () => {
    const config = parse({
      ...BASE,
      LOCAL_CREDMON_TOKEN_AUDIENCE: '  https://a.example/ \t https://b.example,https://c.example\n',
    });
    assert.deepEqual(config.local.audience, ['https://a.example/', 'https://b.example,https://c.example']);
  });

  it('reads HTCondor booleans case-insensitively', () => {
    assert.equal(parse({ ...BASE, LOCAL_CREDMON_TOKEN_USE_JSON: 'False' }).local.useJson, false);
    assert.equal(parse({ ...BASE, LOCAL_CREDMON_TOKEN_USE_JSON: 'NO' }).local.useJson, false);
    assert.equal(parse({ ...BASE, LOCAL_CREDMON_TOKEN_USE_JSON: 'T' }).local.useJson, true);
  });

  it('treats an empty LOCAL_CREDMON_TOKEN_VERSION as "no ver claim" and then needs no audience', () => {
    const config = parse({ SEC_CREDENTIAL_DIRECTORY_OAUTH: '/creds', LOCAL_CREDMON_TOKEN_VERSION: '' });
    assert.equal(config.local.tokenVersion, undefined);
    assert.deepEqual(config.local.audience, []);
  });

  it('requires an audience for scitoken:2.0 whatever its case', () => {
    const problems = problemsOf({
      SEC_CREDENTIAL_DIRECTORY_OAUTH: '/creds',
      LOCAL_CREDMON_TOKEN_VERSION: 'SciToken:2.0',
    });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /LOCAL_CREDMON_TOKEN_AUDIENCE/);
  });

  it('needs no audience for another token version', () => {
    const config = parse({ SEC_CREDENTIAL_DIRECTORY_OAUTH: '/creds', LOCAL_CREDMON_TOKEN_VERSION: 'wlcg:1.0' });
    assert.equal(config.local.tokenVersion, 'wlcg:1.0');
  });

  it('reports every bad knob at once, each problem naming its knob', () => {
    const problems = problemsOf({
      LOCAL_CREDMON_TOKEN_LIFETIME: '20m',
      LOCAL_CREDMON_TOKEN_USE_JSON: 'maybe',
      LOCAL_CREDMON_PRIVATE_KEY: 'keys/private.pem',
      LOCAL_CREDMON_AUTHZ_TEMPLATE: 'read:/user/{user}',
    });
    const expected = [
      'SEC_CREDENTIAL_DIRECTORY_OAUTH',
      'LOCAL_CREDMON_TOKEN_LIFETIME',
      'LOCAL_CREDMON_TOKEN_USE_JSON',
      'LOCAL_CREDMON_PRIVATE_KEY',
      'LOCAL_CREDMON_AUTHZ_TEMPLATE',
      'LOCAL_CREDMON_TOKEN_AUDIENCE',
    ];
    for (const knob of expected) {
      assert.ok(
        problems.some((p) => p.includes(knob)),
        `a problem names ${knob}; got:\n${problems.join('\n')}`,
      );
    }
    assert.equal(problems.length, expected.length, problems.join('\n'));
    // The message of the error lists them all too, so an admin sees everything in one log line.
    assert.throws(
      () => parse({ LOCAL_CREDMON_TOKEN_LIFETIME: '0' }),
      /SEC_CREDENTIAL_DIRECTORY_OAUTH[\s\S]*LOCAL_CREDMON_TOKEN_LIFETIME/,
    );
  });

  for (const bad of ['0', '-5', '1.5', '1200s', 'twenty']) {
    it(`rejects LOCAL_CREDMON_TOKEN_LIFETIME = ${bad}`, () => {
      const problems = problemsOf({ ...BASE, LOCAL_CREDMON_TOKEN_LIFETIME: bad });
      assert.deepEqual(problems.length, 1);
      assert.match(problems[0] ?? '', /^LOCAL_CREDMON_TOKEN_LIFETIME = /);
    });
  }

  it('accepts a lifetime with surrounding spaces', () => {
    assert.equal(parse({ ...BASE, LOCAL_CREDMON_TOKEN_LIFETIME: ' 600 ' }).local.tokenLifetimeS, 600);
  });

  it('rejects relative paths for the cred dir, keys and group mapfile', () => {
    const problems = problemsOf({
      SEC_CREDENTIAL_DIRECTORY_OAUTH: 'oauth_credentials',
      LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
      LOCAL_CREDMON_PUBLIC_KEY: './scitokens.pem',
      LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE: 'groups.map',
    });
    for (const knob of [
      'SEC_CREDENTIAL_DIRECTORY_OAUTH',
      'LOCAL_CREDMON_PUBLIC_KEY',
      'LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE',
    ]) {
      assert.ok(
        problems.some((p) => p.startsWith(`${knob} = `) && p.includes('absolute')),
        `${knob}: ${problems.join('\n')}`,
      );
    }
  });

  it('rejects a group template that uses {username} instead of {groupname}', () => {
    const problems = problemsOf({ ...BASE, LOCAL_CREDMON_AUTHZ_GROUP_TEMPLATE: 'read:/groups/{username}' });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^LOCAL_CREDMON_AUTHZ_GROUP_TEMPLATE = .*\{username\}/);
  });

  it('rejects an issuer that is not an http(s) URL', () => {
    const problems = problemsOf({ ...BASE, LOCAL_CREDMON_ISSUER: 'ftp://issuer.example' });
    assert.ok(problems.some((p) => p.startsWith('LOCAL_CREDMON_ISSUER')));
  });

  it('strips a trailing slash from the issuer', () => {
    assert.equal(
      parse({ ...BASE, LOCAL_CREDMON_ISSUER: 'https://issuer.example/' }).local.issuer,
      'https://issuer.example',
    );
  });

  it('honours the subsystem prefix for daemon knobs', () => {
    const config = parseCredmonConfig(
      lookupFrom(
        new Map(
          Object.entries({ ...BASE, MYCRED_SCAN_INTERVAL: '5', MYCRED_DEBUG: 'D_FULLDEBUG', MYCRED_LOG: '/tmp/x.log' }),
        ),
      ),
      'MYCRED',
    );
    assert.equal(config.scanIntervalS, 5);
    assert.equal(config.debug, true);
    assert.equal(config.logFile, '/tmp/x.log');
  });
});
