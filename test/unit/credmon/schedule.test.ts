import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeldRefreshToken } from '../../../src/credmon/held-refresh-token.js';
import {
  LOCAL_RETRY,
  MAX_RETRY_AFTER_MS,
  PROVIDER_RETRY,
  WHEN_CHANGED,
  directoryChanged,
  earliestDueMs,
  failedTransiently,
  holding,
  isDue,
  isNewProblem,
  newSchedule,
  rejected,
  succeeded,
  withLife,
  waitForChange,
} from '../../../src/credmon/schedule.js';

const at = (nowMs: number, random = 1) => ({ nowMs, random: () => random, retry: PROVIDER_RETRY });

describe('schedule', () => {
  it('a new credential is due at once; success sets the next due time and forgets failures', () => {
    const s = newSchedule();
    assert.ok(isDue(s, 0));
    const failed = failedTransiently(s, 'HTTP 503', at(1000));
    assert.equal(failed.failures, 1);
    const ok = succeeded(5000);
    const none = { problem: undefined, rejectedTopMtimeMs: undefined, held: undefined, life: undefined };
    assert.deepEqual(ok, { dueMs: 5000, failures: 0, ...none });
    assert.ok(!isDue(ok, 4999) && isDue(ok, 5000));
  });

  it('every transition makes a schedule of the same fields in the same order (one hidden class for all of them)', () => {
    const life = { writtenMs: 1, expiresMs: 2 };
    const held = new HeldRefreshToken('r', 1);
    const made = [
      newSchedule(),
      succeeded(5000),
      succeeded(5000, life),
      failedTransiently(succeeded(5000, life), 'HTTP 503', at(1000)),
      waitForChange(newSchedule(), 'broken'),
      rejected('invalid_grant', 7, life),
      directoryChanged(succeeded(5000), 'local'),
      holding(newSchedule(), held),
      withLife(newSchedule(), life),
    ];
    const fields = ['dueMs', 'failures', 'problem', 'rejectedTopMtimeMs', 'held', 'life'];
    for (const schedule of made) assert.deepEqual(Object.keys(schedule), fields);
  });

  it('backs off exponentially with jitter up to the cap', () => {
    let s = newSchedule();
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      s = failedTransiently(s, 'down', at(0, 1));
      delays.push(s.dueMs);
    }
    assert.equal(delays[0], 30_000);
    assert.equal(delays[1], 60_000);
    assert.equal(delays[2], 120_000);
    assert.equal(delays.at(-1), PROVIDER_RETRY.capMs);
    const low = failedTransiently(newSchedule(), 'down', at(0, 0));
    assert.equal(low.dueMs, 15_000, 'full jitter spans half to all of the ceiling');
    assert.equal(failedTransiently(newSchedule(), 'x', { nowMs: 0, random: () => 1, retry: LOCAL_RETRY }).dueMs, 5_000);
  });

  it("honours a provider's Retry-After when it is longer than the backoff, up to an hour", () => {
    assert.equal(failedTransiently(newSchedule(), '503', at(0), 120_000).dueMs, 120_000);
    assert.equal(failedTransiently(newSchedule(), '503', at(0), 1_000).dueMs, 30_000);
    assert.equal(failedTransiently(newSchedule(), '503', at(0), 10 * MAX_RETRY_AFTER_MS).dueMs, MAX_RETRY_AFTER_MS);
  });

  it('a rejected refresh token waits for a new .top; a directory change does not end a provider backoff', () => {
    const r = rejected('invalid_grant', 1234);
    assert.equal(r.dueMs, WHEN_CHANGED);
    assert.equal(r.rejectedTopMtimeMs, 1234);
    const backingOff = failedTransiently(newSchedule(), '503', at(1000));
    assert.equal(directoryChanged(backingOff, 'oauth'), backingOff);
    assert.equal(directoryChanged(waitForChange(newSchedule()), 'oauth').dueMs, 0);
  });

  it('a directory change makes a local credential due at once, even during its backoff (the credd waits 20 s)', () => {
    const backingOff = failedTransiently(newSchedule(), 'EACCES', { nowMs: 1000, random: () => 1, retry: LOCAL_RETRY });
    assert.equal(directoryChanged(backingOff, 'local').dueMs, 0);
  });

  it('reports a problem once until it changes', () => {
    const s = waitForChange(newSchedule(), 'bad .meta');
    assert.equal(s.dueMs, WHEN_CHANGED);
    assert.ok(!isNewProblem(s, 'bad .meta'));
    assert.ok(isNewProblem(s, 'bad .top'));
  });

  it('the earliest due time skips credentials that are busy', () => {
    const entries = [
      { schedule: succeeded(500), busy: true },
      { schedule: succeeded(900), busy: false },
      { schedule: waitForChange(newSchedule()), busy: false },
    ];
    assert.equal(earliestDueMs(entries), 900);
    assert.equal(earliestDueMs([]), undefined);
  });
});
