import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKnobGate } from '../../../src/config/condor-version.js';
import { createLocalKnobReader } from '../../../src/config/local-knob-reader.js';

function readerOf(knobs: Record<string, string>, version?: string) {
  const gate = createKnobGate((name) => knobs[name], version);
  return { read: createLocalKnobReader(gate), warnings: gate.warnings };
}

describe('createLocalKnobReader', () => {
  it('reads LOCAL_CREDMON_<provider>_<KNOB> first, then LOCAL_CREDMON_<KNOB>, naming the knob it used', () => {
    const { read, warnings } = readerOf({ LOCAL_CREDMON_a_KEY_ID: 'ka', LOCAL_CREDMON_KEY_ID: 'k' });
    assert.deepEqual(read('a', 'KEY_ID'), { name: 'LOCAL_CREDMON_a_KEY_ID', raw: 'ka' });
    assert.deepEqual(read('b', 'KEY_ID'), { name: 'LOCAL_CREDMON_KEY_ID', raw: 'k' });
    assert.deepEqual(read('b', 'TOKEN_LIFETIME'), { name: 'LOCAL_CREDMON_TOKEN_LIFETIME', raw: undefined });
    assert.deepEqual(warnings, []);
  });

  it('before 24.3 ignores per-provider knobs, saying so once per knob', () => {
    const { read, warnings } = readerOf({ LOCAL_CREDMON_a_KEY_ID: 'ka', LOCAL_CREDMON_KEY_ID: 'k' }, '23.9.6');
    assert.deepEqual(read('a', 'KEY_ID'), { name: 'LOCAL_CREDMON_KEY_ID', raw: 'k' });
    assert.deepEqual(read('a', 'KEY_ID'), { name: 'LOCAL_CREDMON_KEY_ID', raw: 'k' });
    const said = 'LOCAL_CREDMON_a_KEY_ID is set, but HTCondor 23.9.6 does not know per-provider knobs';
    assert.deepEqual(warnings, [`${said} (they came in 24.3.0): ignored; using LOCAL_CREDMON_KEY_ID`]);
  });

  it('ignores a later general knob on an older HTCondor, saying what it does instead, once for all providers', () => {
    const knobs = { LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'RS256', LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: 'x' };
    const { read, warnings } = readerOf(knobs, '24.3.0');
    for (const provider of ['a', 'b']) {
      assert.equal(read(provider, 'PRIVATE_KEY_ALGORITHM').raw, undefined);
      assert.equal(read(provider, 'AUTHZ_TEMPLATE_EXPR').raw, undefined);
    }
    assert.equal(warnings.length, 2, warnings.join('\n'));
    const said = 'LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM is set, but HTCondor 24.3.0 does not know it (it came in 25.2.1)';
    assert.equal(warnings[0], `${said}: ignored; signing with ES256`);
    assert.match(warnings[1] ?? '', /^LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR is set, .*: ignored; no scope from it$/);
  });

  it('reads a later general knob for every provider when its HTCondor knows it', () => {
    const { read, warnings } = readerOf({ LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT: 'admins' }, '24.3.0');
    for (const provider of ['a', 'b']) {
      const value = read(provider, 'AUTHZ_GROUP_REQUIREMENT');
      assert.deepEqual(value, { name: 'LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT', raw: 'admins' });
    }
    assert.deepEqual(warnings, []);
  });
});
