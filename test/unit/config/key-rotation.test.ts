import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseKeyRotation, retainSFor } from '../../../src/config/key-rotation.js';

const lookup = (knobs: Record<string, string>) => lookupFrom(new Map(Object.entries(knobs)));

function parse(knobs: Record<string, string>) {
  const problems: string[] = [];
  const warnings: string[] = [];
  const rotation = parseKeyRotation(lookup(knobs), problems, warnings);
  return { rotation, problems, warnings };
}

describe('parseKeyRotation', () => {
  it('defaults to a 900 s lead, no automatic rotation, a 60 s margin, and says nothing', () => {
    assert.deepEqual(parse({}), { rotation: { leadS: 900, intervalS: 0, marginS: 60 }, problems: [], warnings: [] });
  });

  it('takes a lead and an interval; 0 or empty turns automatic rotation off', () => {
    const knobs = { LOCAL_CREDMON_KEY_ROTATION_LEAD: '1200', LOCAL_CREDMON_KEY_ROTATION_INTERVAL: '2592000' };
    assert.deepEqual(parse(knobs).rotation, { leadS: 1200, intervalS: 2592000, marginS: 60 });
    assert.equal(parse({ LOCAL_CREDMON_KEY_ROTATION_INTERVAL: '0' }).rotation.intervalS, 0);
    assert.equal(parse({ LOCAL_CREDMON_KEY_ROTATION_INTERVAL: ' ' }).rotation.intervalS, 0);
  });

  it('refuses a lead or interval that is not a positive whole number, and an interval not longer than the lead', () => {
    assert.match(parse({ LOCAL_CREDMON_KEY_ROTATION_LEAD: 'soon' }).problems.join(), /LOCAL_CREDMON_KEY_ROTATION_LEAD/);
    assert.match(parse({ LOCAL_CREDMON_KEY_ROTATION_INTERVAL: '-5' }).problems.join(), /_INTERVAL/);
    const short = parse({ LOCAL_CREDMON_KEY_ROTATION_INTERVAL: '900' });
    assert.match(short.problems.join(), /must be longer than LOCAL_CREDMON_KEY_ROTATION_LEAD \(900 s\)/);
  });

  it('keeps a lead shorter than scitokens-cpp refetches keys, with a warning that says what readers may refuse', () => {
    const { rotation, problems, warnings } = parse({ LOCAL_CREDMON_KEY_ROTATION_LEAD: '30' });
    assert.equal(rotation.leadS, 30);
    assert.deepEqual(problems, []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /LEAD = 30 is shorter than the 600 s .* for up to 570 s after the switch/);
    assert.deepEqual(parse({ LOCAL_CREDMON_KEY_ROTATION_LEAD: '600' }).warnings, []);
  });

  it('keeps a key published for the token lifetime plus the margin after it stopped signing', () => {
    assert.equal(retainSFor(parse({}).rotation, 1200), 1260);
  });
});
