import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKnobGate } from '../../../src/config/condor-version.js';
import { createLocalKnobReader, type KnobValue } from '../../../src/config/local-knob-reader.js';
import {
  parseAuthzTemplates,
  parseGroupRequirement,
  parseKeyFiles,
  parseLocalProvider,
  parsePrivateKeyAlgorithm,
  parseProviderIssuer,
  parseTokenClaims,
  readProviderKnobs,
} from '../../../src/config/local-provider.js';

/** Knob `name`'s value; `local('X')` is LOCAL_CREDMON_X's. */
const general = (name: string, raw?: string): KnobValue => ({ name, raw });
const local = (knob: string, raw?: string): KnobValue => general(`LOCAL_CREDMON_${knob}`, raw);
const lookupOf = (knobs: Record<string, string>) => (name: string) => knobs[name];
const ABSOLUTE = 'expected an absolute path';

/** Runs one parse step with a fresh problem list. */
function run<T>(step: (problems: string[]) => T): { value: T; problems: string[] } {
  const problems: string[] = [];
  return { value: step(problems), problems };
}

describe('readProviderKnobs', () => {
  it("reads the provider's own knobs through the reader and the global ones as they are", () => {
    const lookup = lookupOf({ LOCAL_CREDMON_a_KEY_ID: 'ka', LOCAL_CREDMON_PUBLIC_KEY: '/pub', FULL_HOSTNAME: 'h' });
    const knobs = readProviderKnobs(createLocalKnobReader(createKnobGate(lookup)), lookup, 'a');
    assert.deepEqual(knobs.KEY_ID, { name: 'LOCAL_CREDMON_a_KEY_ID', raw: 'ka' });
    assert.deepEqual(knobs.ISSUER, { name: 'LOCAL_CREDMON_ISSUER', raw: undefined });
    assert.deepEqual(knobs.PUBLIC_KEY, { name: 'LOCAL_CREDMON_PUBLIC_KEY', raw: '/pub' });
    assert.deepEqual(knobs.FULL_HOSTNAME, { name: 'FULL_HOSTNAME', raw: 'h' });
    assert.equal(Object.keys(knobs).length, 15);
  });
});

describe('parseProviderIssuer', () => {
  const unset = { ISSUER: local('ISSUER'), FULL_HOSTNAME: general('FULL_HOSTNAME') };

  it('defaults to https://FULL_HOSTNAME, https://localhost without one', () => {
    assert.deepEqual(
      run((p) => parseProviderIssuer(unset, p)),
      { value: 'https://localhost', problems: [] },
    );
    const host = { ...unset, FULL_HOSTNAME: general('FULL_HOSTNAME', 'ap.example') };
    assert.equal(parseProviderIssuer(host, []), 'https://ap.example');
  });

  it('takes its knob without the trailing slash, and names the knob when it is no http(s) URL', () => {
    const own = { ...unset, ISSUER: local('a_ISSUER', 'https://a.example/') };
    assert.equal(parseProviderIssuer(own, []), 'https://a.example');
    const { problems } = run((p) => parseProviderIssuer({ ...unset, ISSUER: local('a_ISSUER', 'ftp://a.example') }, p));
    assert.deepEqual(problems, ['LOCAL_CREDMON_a_ISSUER = ftp://a.example: expected an https:// URL']);
  });
});

describe('parseAuthzTemplates', () => {
  const unset = { AUTHZ_TEMPLATE: local('AUTHZ_TEMPLATE'), AUTHZ_GROUP_TEMPLATE: local('AUTHZ_GROUP_TEMPLATE') };

  it("uses HTCondor's template when blank, and no group template", () => {
    const blank = { ...unset, AUTHZ_TEMPLATE: local('AUTHZ_TEMPLATE', ' ') };
    const { value, problems } = run((p) => parseAuthzTemplates(blank, p));
    assert.equal(value.authzTemplate, 'read:/user/{username} write:/user/{username}');
    assert.equal(value.authzGroupTemplate, undefined);
    assert.deepEqual(problems, []);
  });

  it('checks the fields: {username} in the template, {groupname} in the group template', () => {
    const bad = {
      AUTHZ_TEMPLATE: local('AUTHZ_TEMPLATE', 'read:/user/{user}'),
      AUTHZ_GROUP_TEMPLATE: local('AUTHZ_GROUP_TEMPLATE', ' read:/g/{username} '),
    };
    const { value, problems } = run((p) => parseAuthzTemplates(bad, p));
    assert.equal(value.authzGroupTemplate, 'read:/g/{username}');
    const [template, groupTemplate, ...more] = problems;
    const templateKnob = 'LOCAL_CREDMON_AUTHZ_TEMPLATE = read:/user/{user}';
    assert.equal(template, `${templateKnob}: unknown field {user}; allowed: {username}`);
    const groupKnob = 'LOCAL_CREDMON_AUTHZ_GROUP_TEMPLATE = read:/g/{username}';
    assert.equal(groupTemplate, `${groupKnob}: unknown field {username}; allowed: {groupname}`);
    assert.deepEqual(more, []);
  });
});

describe('parseGroupRequirement', () => {
  const unset = {
    AUTHZ_GROUP_MAPFILE: local('AUTHZ_GROUP_MAPFILE'),
    AUTHZ_GROUP_REQUIREMENT: local('AUTHZ_GROUP_REQUIREMENT'),
  };
  const WHY = 'the groups of each user come from it';

  it('has neither by default; the mapfile is an absolute path', () => {
    const { value, problems } = run((p) => parseGroupRequirement('a', unset, p));
    assert.deepEqual(value, { authzGroupMapfile: undefined, authzGroupRequirement: undefined });
    assert.deepEqual(problems, []);
    const relative = { ...unset, AUTHZ_GROUP_MAPFILE: local('AUTHZ_GROUP_MAPFILE', 'groups.map') };
    const relativeProblems = run((p) => parseGroupRequirement('a', relative, p)).problems;
    assert.deepEqual(relativeProblems, [`LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE = groups.map: ${ABSOLUTE}`]);
  });

  it('needs a mapfile for a general requirement, naming the mapfile knob read', () => {
    const knobs = { ...unset, AUTHZ_GROUP_REQUIREMENT: local('AUTHZ_GROUP_REQUIREMENT', ' admins ') };
    const { value, problems } = run((p) => parseGroupRequirement('a', knobs, p));
    assert.equal(value.authzGroupRequirement, 'admins');
    const said = 'LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT = admins needs LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE';
    assert.deepEqual(problems, [`${said}: ${WHY}`]);
  });

  it("needs the provider's own mapfile for its own requirement (or the general one, once its own is blank)", () => {
    const own = { ...unset, AUTHZ_GROUP_REQUIREMENT: local('a_AUTHZ_GROUP_REQUIREMENT', 'admins') };
    const said = 'LOCAL_CREDMON_a_AUTHZ_GROUP_REQUIREMENT = admins needs LOCAL_CREDMON_a_AUTHZ_GROUP_MAPFILE';
    assert.deepEqual(run((p) => parseGroupRequirement('a', own, p)).problems, [`${said}: ${WHY}`]);
    const blankOwn = { ...own, AUTHZ_GROUP_MAPFILE: local('a_AUTHZ_GROUP_MAPFILE', ' ') };
    const either = `${said} or LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE`;
    assert.deepEqual(run((p) => parseGroupRequirement('a', blankOwn, p)).problems, [`${either}: ${WHY}`]);
  });
});

describe('parseTokenClaims', () => {
  const unset = { TOKEN_VERSION: local('TOKEN_VERSION'), TOKEN_AUDIENCE: local('TOKEN_AUDIENCE') };

  it('defaults to scitoken:2.0, which needs an audience', () => {
    const { value, problems } = run((p) => parseTokenClaims(unset, p));
    assert.deepEqual(value, { tokenVersion: 'scitoken:2.0', audience: [] });
    const said = 'LOCAL_CREDMON_TOKEN_AUDIENCE must be set when LOCAL_CREDMON_TOKEN_VERSION is scitoken:2.0';
    assert.deepEqual(problems, [`${said} (the SciTokens 2.0 profile requires "aud")`]);
  });

  it('has no version when it is blank, and splits the audience on whitespace', () => {
    const knobs = { TOKEN_VERSION: local('TOKEN_VERSION', ' '), TOKEN_AUDIENCE: local('TOKEN_AUDIENCE', ' a  b,c ') };
    const { value, problems } = run((p) => parseTokenClaims(knobs, p));
    assert.deepEqual(value, { tokenVersion: undefined, audience: ['a', 'b,c'] });
    assert.deepEqual(problems, []);
  });
});

describe('parsePrivateKeyAlgorithm', () => {
  it('is ES256 by default, RS256 in any case, and names its knob for anything else', () => {
    assert.equal(parsePrivateKeyAlgorithm(local('PRIVATE_KEY_ALGORITHM'), []), 'ES256');
    assert.equal(parsePrivateKeyAlgorithm(local('PRIVATE_KEY_ALGORITHM', ' rs256 '), []), 'RS256');
    const { value, problems } = run((p) => parsePrivateKeyAlgorithm(local('a_PRIVATE_KEY_ALGORITHM', 'ES384'), p));
    assert.equal(value, 'ES256');
    assert.deepEqual(problems, ['LOCAL_CREDMON_a_PRIVATE_KEY_ALGORITHM = ES384: expected ES256 or RS256']);
  });
});

describe('parseKeyFiles', () => {
  const unset = { PRIVATE_KEY: local('PRIVATE_KEY'), PUBLIC_KEY: local('PUBLIC_KEY'), KEY_ID: local('KEY_ID') };

  it("uses upstream's key files and key id; LOCAL_CREDMON_PRIVATE_KEY is the shared key", () => {
    const { value, problems } = run((p) => parseKeyFiles(unset, p));
    assert.deepEqual(value, {
      privateKeyPath: '/etc/condor/scitokens-private.pem',
      publicKeyPath: '/etc/condor/scitokens.pem',
      sharedKey: true,
      keyId: 'local',
    });
    assert.deepEqual(problems, []);
  });

  it("a provider's own private key is not shared; relative paths are refused, keeping the defaults", () => {
    const knobs = {
      PRIVATE_KEY: local('a_PRIVATE_KEY', 'a.pem'),
      PUBLIC_KEY: local('PUBLIC_KEY', './p.pem'),
      KEY_ID: local('a_KEY_ID', ' ka '),
    };
    const { value, problems } = run((p) => parseKeyFiles(knobs, p));
    assert.deepEqual(value, {
      privateKeyPath: '/etc/condor/scitokens-private.pem',
      publicKeyPath: '/etc/condor/scitokens.pem',
      sharedKey: false,
      keyId: 'ka',
    });
    const [privateKey, publicKey, ...more] = problems;
    assert.equal(privateKey, `LOCAL_CREDMON_a_PRIVATE_KEY = a.pem: ${ABSOLUTE}`);
    assert.equal(publicKey, `LOCAL_CREDMON_PUBLIC_KEY = ./p.pem: ${ABSOLUTE}`);
    assert.deepEqual(more, []);
  });
});

describe('parseLocalProvider', () => {
  it('reports the problems of every step in the order of the fields, and freezes the result', () => {
    const lookup = lookupOf({
      LOCAL_CREDMON_TOKEN_LIFETIME: '0',
      LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'x',
      LOCAL_CREDMON_ISSUER: 'nope',
      LOCAL_CREDMON_AUTHZ_TEMPLATE: '{',
    });
    const knobs = readProviderKnobs(createLocalKnobReader(createKnobGate(lookup)), lookup, 'a');
    const problems: string[] = [];
    const config = parseLocalProvider('a', knobs, problems);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.audience));
    const named = problems.map((p) => /^LOCAL_CREDMON_[A-Z_]+/.exec(p)?.[0]);
    const expected = ['ISSUER', 'AUTHZ_TEMPLATE', 'TOKEN_AUDIENCE', 'PRIVATE_KEY_ALGORITHM', 'TOKEN_LIFETIME'];
    assert.deepEqual(
      named,
      expected.map((knob) => `LOCAL_CREDMON_${knob}`),
    );
  });
});
