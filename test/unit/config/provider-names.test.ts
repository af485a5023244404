import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { createKnobGate, type KnobGate } from '../../../src/config/condor-version.js';
import {
  checkProviderName,
  checkProviderNames,
  parseLocalProviderNames,
  parseNameRules,
  parseOAuthProviderNames,
  parseProviderNames,
  type NameRules,
} from '../../../src/config/provider-names.js';

function gateOf(knobs: Record<string, string>, version?: string): KnobGate {
  return createKnobGate(lookupFrom(new Map(Object.entries(knobs))), version);
}

const RULES_23: NameRules = { handleRules: false, allowSpecial: false, handles: false };
const RULES_25: NameRules = { handleRules: true, allowSpecial: false, handles: true };
const RULES_25_SPECIAL: NameRules = { handleRules: true, allowSpecial: true, handles: false };

describe('parseNameRules', () => {
  it('23.9: whole names; 25.13.2+ (and an unknown version): handles, unless special characters are allowed', () => {
    assert.deepEqual(parseNameRules(gateOf({}, '23.9.6'), []), RULES_23);
    assert.deepEqual(parseNameRules(gateOf({}, '25.13.2'), []), RULES_25);
    assert.deepEqual(parseNameRules(gateOf({}), []), RULES_25);
    assert.deepEqual(parseNameRules(gateOf({ CREDMON_ALLOW_SPECIAL_CHAR_NAMES: 'yes' }), []), RULES_25_SPECIAL);
  });

  it('reports a bad CREDMON_ALLOW_SPECIAL_CHAR_NAMES; on 23.9 ignores it with a warning', () => {
    const problems: string[] = [];
    assert.deepEqual(parseNameRules(gateOf({ CREDMON_ALLOW_SPECIAL_CHAR_NAMES: 'maybe' }), problems), RULES_25);
    assert.deepEqual(problems, ['CREDMON_ALLOW_SPECIAL_CHAR_NAMES = maybe: expected true or false']);
    const old = gateOf({ CREDMON_ALLOW_SPECIAL_CHAR_NAMES: 'maybe' }, '23.9.6');
    assert.deepEqual(parseNameRules(old, []), RULES_23);
    const said = 'CREDMON_ALLOW_SPECIAL_CHAR_NAMES is set, but HTCondor 23.9.6 does not know it (it came in 25.13.2)';
    assert.deepEqual(old.warnings, [`${said}: ignored`]);
  });
});

describe('checkProviderName', () => {
  it('accepts * and good names under every rule', () => {
    for (const rules of [RULES_23, RULES_25, RULES_25_SPECIAL]) {
      assert.equal(checkProviderName(rules, 'L', '*'), undefined);
      assert.equal(checkProviderName(rules, 'L', 'my-provider2'), undefined);
    }
  });

  it('23.9: letters, digits and - + = . only', () => {
    assert.equal(checkProviderName(RULES_23, 'L', 'a+b=c.d'), undefined);
    const message = 'L = a_b: use letters, digits and - + = . only';
    assert.deepEqual(checkProviderName(RULES_23, 'L', 'a_b'), { disallowed: false, message });
  });

  it('25.13.2+: other characters are disallowed (DAEMON_NO_RESTART) unless CREDMON_ALLOW_SPECIAL_CHAR_NAMES', () => {
    const problem = checkProviderName(RULES_25, 'LOCAL_CREDMON_PROVIDER_NAMES', 'a_b');
    assert.equal(problem?.disallowed, true);
    assert.equal(
      problem?.message,
      'Credential provider "a_b" in LOCAL_CREDMON_PROVIDER_NAMES contains disallowed characters and ' +
        'CREDMON_ALLOW_SPECIAL_CHAR_NAMES is False (use letters, digits and - only)',
    );
    assert.equal(checkProviderName(RULES_25_SPECIAL, 'L', 'a_b'), undefined);
  });

  it('25.13.2+: a name must still make a file name', () => {
    const message = 'L = -a: not usable as a file name';
    assert.deepEqual(checkProviderName(RULES_25, 'L', '-a'), { disallowed: false, message });
    const slash = { disallowed: false, message: 'L = a/b: not usable as a file name' };
    assert.deepEqual(checkProviderName(RULES_25_SPECIAL, 'L', 'a/b'), slash);
  });
});

describe('parseLocalProviderNames', () => {
  it('defaults to LOCAL_CREDMON_PROVIDER_NAME, then scitokens', () => {
    const byDefault = { local: ['scitokens'], localList: 'LOCAL_CREDMON_PROVIDER_NAME' };
    assert.deepEqual(parseLocalProviderNames(gateOf({})), byDefault);
    const single = gateOf({ LOCAL_CREDMON_PROVIDER_NAME: ' mine ', LOCAL_CREDMON_PROVIDER_NAMES: ' , ' });
    assert.deepEqual(parseLocalProviderNames(single), { local: ['mine'], localList: 'LOCAL_CREDMON_PROVIDER_NAME' });
  });

  it('takes LOCAL_CREDMON_PROVIDER_NAMES when it names any, split on commas and spaces, each once', () => {
    const gate = gateOf({ LOCAL_CREDMON_PROVIDER_NAME: 'mine', LOCAL_CREDMON_PROVIDER_NAMES: 'a, b\ta,c' });
    const { local, localList } = parseLocalProviderNames(gate);
    assert.deepEqual(local, ['a', 'b', 'c']);
    assert.equal(localList, 'LOCAL_CREDMON_PROVIDER_NAMES');
  });

  it('on 23.9 ignores LOCAL_CREDMON_PROVIDER_NAMES, saying which provider it issues for', () => {
    const gate = gateOf({ LOCAL_CREDMON_PROVIDER_NAMES: 'a b' }, '23.9.6');
    assert.deepEqual(parseLocalProviderNames(gate).local, ['scitokens']);
    const said = 'LOCAL_CREDMON_PROVIDER_NAMES is set, but HTCondor 23.9.6 does not know it (it came in 24.3.0)';
    assert.deepEqual(gate.warnings, [`${said}: ignored; issuing for LOCAL_CREDMON_PROVIDER_NAME = scitokens`]);
  });
});

describe('parseOAuthProviderNames', () => {
  it('defaults to * (every provider); a list is split and deduplicated', () => {
    assert.deepEqual(parseOAuthProviderNames(gateOf({}), ['scitokens']), ['*']);
    assert.deepEqual(parseOAuthProviderNames(gateOf({ OAUTH2_CREDMON_PROVIDER_NAMES: 'x y,x' }), []), ['x', 'y']);
  });

  it('warns about a provider that is also a local one, and keeps it', () => {
    const gate = gateOf({ OAUTH2_CREDMON_PROVIDER_NAMES: 'a b' });
    assert.deepEqual(parseOAuthProviderNames(gate, ['b']), ['a', 'b']);
    const overlap = 'overlap between local and oauth2 credmons, continuing anyway...';
    assert.deepEqual(gate.warnings, [`Credential providers named b ${overlap}`]);
  });
});

describe('parseProviderNames and checkProviderNames', () => {
  it('checks the local names, then the OAuth2 ones, each against its own knob', () => {
    const gate = gateOf({ LOCAL_CREDMON_PROVIDER_NAMES: 'a_1 ok', OAUTH2_CREDMON_PROVIDER_NAMES: '-x *' });
    const names = parseProviderNames(gate);
    const expected = {
      local: ['a_1', 'ok'],
      localList: 'LOCAL_CREDMON_PROVIDER_NAMES',
      oauth: ['-x', '*'],
      client: [],
    };
    assert.deepEqual(names, expected);
    const disallowed = checkProviderName(RULES_25, 'LOCAL_CREDMON_PROVIDER_NAMES', 'a_1');
    const unusable = { disallowed: false, message: 'OAUTH2_CREDMON_PROVIDER_NAMES = -x: not usable as a file name' };
    assert.equal(disallowed?.disallowed, true);
    assert.deepEqual(checkProviderNames(RULES_25, names), [disallowed, unusable]);
  });
});

describe('client provider names (CLIENT_CREDMON_PROVIDER_NAMES)', () => {
  it('are read on 24.3+, ignored with a warning before, and checked like the others', () => {
    const knobs = { CLIENT_CREDMON_PROVIDER_NAMES: 'robot, robot -bad *', LOCAL_CREDMON_PROVIDER_NAMES: 'local1' };
    const names = parseProviderNames(gateOf(knobs, '25.14.1'));
    assert.deepEqual(names.client, ['robot', '-bad', '*']);
    const messages = checkProviderNames(RULES_25, names).map((p) => p.message);
    assert.deepEqual(messages, [
      'CLIENT_CREDMON_PROVIDER_NAMES = -bad: not usable as a file name',
      'CLIENT_CREDMON_PROVIDER_NAMES = *: name each client provider',
    ]);
    const old = gateOf(knobs, '23.9.6');
    assert.deepEqual(parseProviderNames(old).client, []);
    assert.ok(old.warnings.some((w) => w.includes('CLIENT_CREDMON_PROVIDER_NAMES is set, but HTCondor 23.9.6')));
  });

  it('a client provider that is also local is refused', () => {
    const gate = gateOf({ CLIENT_CREDMON_PROVIDER_NAMES: 'a', LOCAL_CREDMON_PROVIDER_NAMES: 'a' }, '25.14.1');
    const [problem] = checkProviderNames(RULES_25, parseProviderNames(gate));
    assert.match(problem?.message ?? '', /a is also in LOCAL_CREDMON_PROVIDER_NAMES/);
  });
});
