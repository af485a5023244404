import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failedTransiently, newSchedule, rejected, succeeded, waitForChange } from '../../../src/credmon/schedule.js';
import { stateOf } from '../../../src/credmon/credential-state.js';
import { MAX_PROVIDER_LABELS, providerLabeller, summarize } from '../../../src/metrics/credential-summary.js';

const NOW = 1_000_000;
const LIFE = { writtenMs: NOW - 100_000, expiresMs: NOW + 500_000 };
const retry = { nowMs: NOW, random: () => 1, retry: { baseMs: 1000, capMs: 10_000 } };

describe('stateOf', () => {
  it('fresh until due, then due', () => {
    assert.equal(stateOf(succeeded(NOW + 1), NOW), 'fresh');
    assert.equal(stateOf(succeeded(NOW), NOW), 'due');
    assert.equal(stateOf(newSchedule(), NOW), 'due');
  });

  it('failing after a transient failure, rejected after a refusal, broken for a file that cannot be used', () => {
    assert.equal(stateOf(failedTransiently(newSchedule(), 'HTTP 503', retry), NOW), 'failing');
    assert.equal(stateOf(rejected('invalid_grant', 42), NOW), 'rejected');
    assert.equal(stateOf(waitForChange(newSchedule(), 'bad .meta'), NOW), 'broken');
    assert.equal(stateOf(waitForChange(newSchedule()), NOW), 'fresh', 'waiting without a problem is nothing wrong');
    const afterFailures = waitForChange(failedTransiently(newSchedule(), 'HTTP 503', retry), 'bad .meta');
    assert.equal(stateOf(afterFailures, NOW), 'broken', 'a broken file after transient failures is broken');
  });
});

describe('summarize', () => {
  const label = (name: string): string => name.split('_')[0] ?? name;
  it('counts by provider, kind and state, and keeps the soonest expiry of credentials being kept fresh', () => {
    const entries = [
      { ref: { name: 'scitokens', kind: 'local' as const }, schedule: succeeded(NOW + 1, LIFE) },
      {
        ref: { name: 'scitokens', kind: 'local' as const },
        schedule: succeeded(NOW + 1, { ...LIFE, expiresMs: NOW + 9 }),
      },
      { ref: { name: 'cern_a', kind: 'oauth' as const }, schedule: { ...rejected('no', 1), life: LIFE } },
      {
        ref: { name: 'cern_b', kind: 'oauth' as const },
        schedule: { ...failedTransiently(newSchedule(), '503', retry), life: { writtenMs: 0, expiresMs: NOW - 5 } },
      },
      { ref: { name: 'robot', kind: 'client' as const }, schedule: newSchedule() },
      // No refresh token: the credmon leaves it alone, so its expiry is no alarm of the credmon's.
      {
        ref: { name: 'cern_c', kind: 'oauth' as const },
        schedule: { ...waitForChange(newSchedule()), life: { writtenMs: 0, expiresMs: NOW - 100 } },
      },
    ];
    const { counts, soonestExpiryMs } = summarize(entries, NOW, label);
    assert.deepEqual(Object.fromEntries(counts), {
      'scitokens\tlocal\tfresh': 2,
      'cern\toauth\trejected': 1,
      'cern\toauth\tfailing': 1,
      'robot\tclient\tdue': 1,
      'cern\toauth\tfresh': 1,
    });
    assert.deepEqual(Object.fromEntries(soonestExpiryMs), { scitokens: NOW + 9, cern: NOW - 5 });
  });
});

describe('providerLabeller', () => {
  const known = new Set(['scitokens', 'my_provider', 'cern']);
  const label = providerLabeller((name) => (known.has(name) ? name : undefined));
  it('names a configured provider: the whole name, or the longest provider before a handle', () => {
    assert.equal(label('scitokens'), 'scitokens');
    assert.equal(label('scitokens_read'), 'scitokens');
    assert.equal(label('my_provider_job42'), 'my_provider');
    assert.equal(label('cern_a_b'), 'cern');
  });

  it('caps the labels it gives out: past the cap, other', () => {
    const many = providerLabeller((name) => (/^p\d+$/.test(name) || name === 'p-one-too-many' ? name : undefined));
    for (let i = 0; i < MAX_PROVIDER_LABELS; i++) assert.equal(many(`p${i}`), `p${i}`);
    assert.equal(many('p-one-too-many'), 'other');
    assert.equal(many('p0_handle'), 'p0', 'a label given out before still is');
  });

  it('never passes on a word it does not know', () => {
    assert.equal(label('alice-secret'), 'other');
    assert.equal(label('_scitokens'), 'other');
    assert.equal(label('scitokensX'), 'other');
  });
});
