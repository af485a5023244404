import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LocalOutcome } from '../../../src/credmon/local-renewal.js';
import type { OAuthOutcome } from '../../../src/credmon/oauth-refresh.js';
import { stepAfterLocal, stepAfterOAuth } from '../../../src/credmon/outcomes.js';
import {
  LOCAL_RETRY,
  MAX_RETRY_AFTER_MS,
  PROVIDER_RETRY,
  WHEN_CHANGED,
  failedTransiently,
  newSchedule,
  rejected,
  succeeded,
  waitForChange,
} from '../../../src/credmon/schedule.js';

const NOW = 1_000_000;
const at = { user: 'alice', name: 'scitokens', nowMs: NOW, random: () => 1 };
const LIFE = { writtenMs: NOW, expiresMs: NOW + 1_200_000 };
const backingOff = failedTransiently(newSchedule(), 'HTTP 503', { nowMs: 0, random: () => 1, retry: PROVIDER_RETRY });

describe('outcomes: local renewal', () => {
  it('issued: due at the renewal time, logged at info (debug in bulk), credential.issued emitted', () => {
    const issued: LocalOutcome = { kind: 'issued', dueMs: NOW + 600_000, life: LIFE, digest: 'D' };
    const step = stepAfterLocal(issued, backingOff, at, true);
    assert.deepEqual(step.schedule, succeeded(NOW + 600_000, LIFE));
    assert.deepEqual(step.schedule?.life, LIFE, 'the .use written is remembered: when, and until when');
    assert.deepEqual(step.log, { level: 'info', message: 'Successfully renewed SciToken for user: alice' });
    assert.deepEqual(step.event, {
      name: 'credential.issued',
      payload: { user: 'alice', name: 'scitokens', kind: 'local' },
    });
    assert.equal(stepAfterLocal(issued, backingOff, at, false).log?.level, 'debug');
  });

  it('fresh: due at the renewal time, silent; gone: untracked; neither needs a write', () => {
    assert.deepEqual(stepAfterLocal({ kind: 'fresh', dueMs: NOW + 5, life: LIFE, digest: 'D' }, backingOff, at, true), {
      schedule: succeeded(NOW + 5, LIFE),
      write: 'not-needed',
    });
    assert.deepEqual(stepAfterLocal({ kind: 'gone' }, newSchedule(), at, true), {
      schedule: undefined,
      write: 'not-needed',
    });
  });

  it('not-local: waits for a change, at debug only', () => {
    const step = stepAfterLocal({ kind: 'not-local' }, newSchedule(), at, true);
    assert.equal(step.schedule?.dueMs, WHEN_CHANGED);
    assert.equal(step.log?.level, 'debug');
    assert.equal(step.event, undefined);
  });

  it('invalid: waits for a change, logged once per distinct problem', () => {
    const first = stepAfterLocal({ kind: 'invalid', problem: 'bad .top' }, newSchedule(), at, true);
    assert.deepEqual(first.log, { level: 'error', message: 'bad .top' });
    assert.equal(first.schedule?.dueMs, WHEN_CHANGED);
    assert.ok(first.schedule);
    const again = stepAfterLocal({ kind: 'invalid', problem: 'bad .top' }, first.schedule, at, true);
    assert.equal(again.log, undefined, 'the same problem is not logged again');
    const other = stepAfterLocal({ kind: 'invalid', problem: 'bad .use' }, first.schedule, at, true);
    assert.equal(other.log?.message, 'bad .use', 'a different problem is');
  });

  it('failed: retries soon with the local backoff, logged once per distinct problem', () => {
    const failed: LocalOutcome = { kind: 'failed', problem: 'disk full' };
    const first = stepAfterLocal(failed, newSchedule(), at, true);
    assert.equal(first.schedule?.dueMs, NOW + LOCAL_RETRY.baseMs);
    assert.equal(first.schedule?.failures, 1);
    assert.equal(first.log?.level, 'error');
    assert.ok(first.schedule);
    const second = stepAfterLocal(failed, first.schedule, at, true);
    assert.equal(second.schedule?.dueMs, NOW + 2 * LOCAL_RETRY.baseMs);
    assert.equal(second.log, undefined);
  });
});

describe('outcomes: OAuth refresh', () => {
  it('refreshed: due at the renewal time, failures forgotten, logged, credential.refreshed emitted', () => {
    const refreshed: OAuthOutcome = { kind: 'refreshed', dueMs: NOW + 1800_000, life: LIFE, rotated: true };
    const step = stepAfterOAuth(refreshed, backingOff, at);
    assert.deepEqual(step.schedule, succeeded(NOW + 1800_000, LIFE));
    assert.deepEqual(step.log, {
      level: 'info',
      fields: { rotated: true },
      message: 'Successfully refreshed scitokens tokens for user alice',
    });
    assert.deepEqual(step.event, {
      name: 'credential.refreshed',
      payload: { user: 'alice', name: 'scitokens', kind: 'oauth', rotated: true },
    });
  });

  it("rejected: waits for a new login, keeping the rejected .top's mtime, and says ERR_REFRESH_REJECTED", () => {
    const lived = { ...backingOff, life: LIFE };
    const step = stepAfterOAuth({ kind: 'rejected', problem: 'invalid_grant', topMtimeMs: 4242 }, lived, at);
    assert.deepEqual(step.schedule, rejected('invalid_grant', 4242, LIFE));
    assert.deepEqual(step.schedule?.life, LIFE, 'the old .use is still on disk, expiring as before');
    assert.equal(step.schedule?.rejectedTopMtimeMs, 4242);
    assert.equal(step.schedule?.dueMs, WHEN_CHANGED);
    assert.deepEqual(step.log, { level: 'error', message: 'invalid_grant' });
    assert.equal(step.event?.name, 'credential.refresh_failed');
    assert.deepEqual(step.event?.payload, {
      user: 'alice',
      name: 'scitokens',
      kind: 'oauth',
      code: 'ERR_REFRESH_REJECTED',
    });
  });

  it('still-rejected: keeps waiting and keeps the mtime', () => {
    const step = stepAfterOAuth({ kind: 'still-rejected' }, rejected('invalid_grant', 4242), at);
    assert.equal(step.schedule?.rejectedTopMtimeMs, 4242);
    assert.equal(step.schedule?.dueMs, WHEN_CHANGED);
    assert.equal(step.log, undefined);
  });

  it("unavailable: backs off with the provider's retry, or its Retry-After when longer (capped)", () => {
    const plain = stepAfterOAuth(
      { kind: 'unavailable', problem: 'HTTP 503', retryAfterMs: undefined },
      newSchedule(),
      at,
    );
    assert.equal(plain.schedule?.dueMs, NOW + PROVIDER_RETRY.baseMs);
    assert.deepEqual(plain.log, {
      level: 'warn',
      fields: { attempt: 1, retryInS: PROVIDER_RETRY.baseMs / 1000 },
      message: 'HTTP 503',
    });
    assert.deepEqual(plain.event?.payload, {
      user: 'alice',
      name: 'scitokens',
      kind: 'oauth',
      code: 'ERR_REFRESH_UNAVAILABLE',
    });
    const longer = stepAfterOAuth({ kind: 'unavailable', problem: '429', retryAfterMs: 120_000 }, newSchedule(), at);
    assert.equal(longer.schedule?.dueMs, NOW + 120_000);
    assert.equal(longer.log?.fields?.['retryInS'], 120);
    const tooLong = { kind: 'unavailable', problem: '429', retryAfterMs: 100 * MAX_RETRY_AFTER_MS } as const;
    assert.equal(stepAfterOAuth(tooLong, newSchedule(), at).schedule?.dueMs, NOW + MAX_RETRY_AFTER_MS);
    assert.ok(plain.schedule);
    const second = stepAfterOAuth(
      { kind: 'unavailable', problem: 'HTTP 503', retryAfterMs: undefined },
      plain.schedule,
      at,
    );
    assert.equal(second.schedule?.failures, 2);
    assert.equal(second.log?.fields?.['attempt'], 2);
  });

  it('superseded: due at once, keeping the rest of the schedule, with a warning', () => {
    const step = stepAfterOAuth({ kind: 'superseded' }, backingOff, at);
    assert.deepEqual(step.schedule, { ...backingOff, dueMs: 0 });
    assert.equal(step.log?.level, 'warn');
    assert.match(step.log?.message ?? '', /^scitokens changed or was removed during the refresh/);
  });

  it('invalid is logged once per distinct problem; no-refresh-token waits at debug; fresh and gone', () => {
    const first = stepAfterOAuth({ kind: 'invalid', problem: 'bad .meta' }, newSchedule(), at);
    assert.equal(first.log?.level, 'error');
    assert.ok(first.schedule);
    assert.equal(stepAfterOAuth({ kind: 'invalid', problem: 'bad .meta' }, first.schedule, at).log, undefined);
    const none = stepAfterOAuth({ kind: 'no-refresh-token' }, newSchedule(), at);
    assert.deepEqual(none.schedule, waitForChange(newSchedule()));
    assert.equal(none.log?.level, 'debug');
    assert.deepEqual(stepAfterOAuth({ kind: 'fresh', dueMs: NOW + 9, life: LIFE }, backingOff, at), {
      schedule: succeeded(NOW + 9, LIFE),
      write: 'not-needed',
    });
    assert.deepEqual(stepAfterOAuth({ kind: 'gone' }, backingOff, at), { schedule: undefined, write: 'not-needed' });
  });

  it('stopped: the schedule stays as it was, nothing logged or emitted', () => {
    assert.deepEqual(stepAfterOAuth({ kind: 'stopped' } satisfies OAuthOutcome, backingOff, at), {
      schedule: backingOff,
    });
  });
});
