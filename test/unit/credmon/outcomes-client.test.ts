import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientOutcome } from '../../../src/credmon/client-refresh.js';
import { stepAfterClient } from '../../../src/credmon/outcomes.js';
import { LOCAL_RETRY, PROVIDER_RETRY, WHEN_CHANGED, newSchedule } from '../../../src/credmon/schedule.js';

const NOW = 1_000_000;
const at = { user: 'alice', name: 'robot', nowMs: NOW, random: () => 1 };

describe('outcomes: client-credentials tokens', () => {
  it('obtained: due at the renewal time, info line, credential.issued; a missing expires_in is said', () => {
    const life = { writtenMs: NOW, expiresMs: NOW + 1_200_000 };
    const step = stepAfterClient({ kind: 'obtained', dueMs: NOW + 600_000, life }, newSchedule(), at);
    assert.deepEqual(step.schedule?.life, life);
    assert.equal(step.schedule?.dueMs, NOW + 600_000);
    assert.equal(step.log?.message, 'Successfully obtained robot token for user alice');
    assert.deepEqual(step.event, {
      name: 'credential.issued',
      payload: { user: 'alice', name: 'robot', kind: 'client' },
    });
    assert.equal(step.write, 'done');
    const assumed = stepAfterClient({ kind: 'obtained', dueMs: NOW, life, assumedLifetimeS: 1200 }, newSchedule(), at);
    assert.match(assumed.log?.message ?? '', /sent no expires_in; assuming 1200 s/);
  });

  it('rejected: provider backoff, logged once per distinct problem, refresh_failed emitted', () => {
    const outcome: ClientOutcome = { kind: 'rejected', problem: 'invalid_client' };
    const first = stepAfterClient(outcome, newSchedule(), at);
    assert.equal(first.log?.level, 'error');
    assert.equal(first.schedule?.dueMs, NOW + PROVIDER_RETRY.baseMs);
    assert.equal(first.event?.name, 'credential.refresh_failed');
    const again = stepAfterClient(outcome, first.schedule, at);
    assert.equal(again.log, undefined);
    assert.ok((again.schedule?.dueMs ?? 0) > (first.schedule?.dueMs ?? 0), 'the backoff grows');
  });

  it('unavailable: provider backoff or Retry-After, at warn; failed: local backoff; invalid: wait for a change', () => {
    const unavailable = stepAfterClient(
      { kind: 'unavailable', problem: '503', retryAfterMs: 600_000 },
      newSchedule(),
      at,
    );
    assert.equal(unavailable.schedule?.dueMs, NOW + 600_000);
    assert.equal(unavailable.log?.level, 'warn');
    const failed = stepAfterClient({ kind: 'failed', problem: 'EIO' }, newSchedule(), at);
    assert.equal(failed.schedule?.dueMs, NOW + LOCAL_RETRY.baseMs);
    const invalid = stepAfterClient({ kind: 'invalid', problem: 'no secret' }, newSchedule(), at);
    assert.equal(invalid.schedule?.dueMs, WHEN_CHANGED);
    assert.equal(invalid.log?.message, 'no secret');
    assert.equal(stepAfterClient({ kind: 'gone' }, newSchedule(), at).schedule, undefined);
  });
});
