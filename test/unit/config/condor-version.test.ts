import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { createKnobGate, parseCondorVersion, parseVersion, versionBefore } from '../../../src/config/condor-version.js';

const lookup = (knobs: Record<string, string>) => lookupFrom(new Map(Object.entries(knobs)));

describe('parseVersion and versionBefore', () => {
  it('reads dotted versions, the patch level 0 when missing', () => {
    assert.deepEqual(parseVersion('23.9.6'), [23, 9, 6]);
    assert.deepEqual(parseVersion(' 24.3 '), [24, 3, 0]);
    assert.equal(parseVersion('banana'), undefined);
  });

  it('compares numerically; an unreadable version counts as the newest', () => {
    assert.equal(versionBefore('23.9.6', '24.3.0'), true);
    assert.equal(versionBefore('25.13.2', '25.2.1'), false);
    assert.equal(versionBefore('24.3.0', '24.3.0'), false);
    assert.equal(versionBefore('banana', '24.3.0'), false);
  });
});

describe('parseCondorVersion', () => {
  it('is undefined when CONDOR_VERSION is unset or blank', () => {
    const problems: string[] = [];
    assert.equal(parseCondorVersion(lookup({}), problems), undefined);
    assert.equal(parseCondorVersion(lookup({ CONDOR_VERSION: '  ' }), problems), undefined);
    assert.deepEqual(problems, []);
  });

  it('trims the version, and reports one that is not a version', () => {
    const problems: string[] = [];
    assert.equal(parseCondorVersion(lookup({ CONDOR_VERSION: ' 23.9.6 ' }), problems), '23.9.6');
    assert.equal(parseCondorVersion(lookup({ CONDOR_VERSION: 'banana' }), problems), 'banana');
    assert.deepEqual(problems, ['CONDOR_VERSION = banana: expected a version such as 23.9.6']);
  });
});

describe('createKnobGate', () => {
  it('without a version knows every knob and warns about none', () => {
    const gate = createKnobGate(lookup({ LOCAL_CREDMON_PROVIDER_NAMES: 'a b' }), undefined);
    assert.equal(gate.knows('25.13.2'), true);
    assert.equal(gate.known('LOCAL_CREDMON_PROVIDER_NAMES', 'LOCAL_CREDMON_PROVIDER_NAMES', 'ignored'), 'a b');
    assert.deepEqual(gate.warnings, []);
  });

  it('ignores a knob its HTCondor does not know, with one warning saying what happens instead', () => {
    const warnings: string[] = [];
    const gate = createKnobGate(lookup({ CREDMON_ALLOW_SPECIAL_CHAR_NAMES: 'true' }), '24.3.0', warnings);
    assert.equal(gate.knows('24.3.0'), true);
    assert.equal(gate.knows('25.13.2'), false);
    const name = 'CREDMON_ALLOW_SPECIAL_CHAR_NAMES';
    assert.equal(gate.known(name, name, 'ignored'), undefined);
    const said = 'CREDMON_ALLOW_SPECIAL_CHAR_NAMES is set, but HTCondor 24.3.0 does not know it';
    assert.deepEqual(warnings, [`${said} (it came in 25.13.2): ignored`]);
    assert.equal(gate.warnings, warnings);
  });

  it('says nothing about an unknown knob that is not set', () => {
    const gate = createKnobGate(lookup({}), '23.9.6');
    assert.equal(gate.known('OAUTH2_CREDMON_PROVIDER_NAMES', 'OAUTH2_CREDMON_PROVIDER_NAMES', 'ignored'), undefined);
    assert.deepEqual(gate.warnings, []);
  });
});
