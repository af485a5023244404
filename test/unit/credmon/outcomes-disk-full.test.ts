import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeldRefreshToken } from '../../../src/credmon/held-refresh-token.js';
import { stepAfterLocal, stepAfterOAuth } from '../../../src/credmon/outcomes.js';
import {
  LOCAL_RETRY,
  PROVIDER_RETRY,
  directoryChanged,
  failedTransiently,
  newSchedule,
  rejected,
  succeeded,
  waitForChange,
} from '../../../src/credmon/schedule.js';

const NOW = 1_000_000;
const at = { user: 'erin', name: 'mytokens', nowMs: NOW, random: () => 1 };
const PROBLEM = 'Cannot store the refreshed mytokens tokens of user erin: no space (ERR_DISK_FULL)';
const held = new HeldRefreshToken('rt-rotated-SECRET', 4242);

describe('outcomes on a full disk: local renewal', () => {
  it('disk-full: retried with the local backoff, at debug once per problem, reported as no-space', () => {
    const first = stepAfterLocal({ kind: 'disk-full', problem: 'no space' }, newSchedule(), at, true);
    assert.equal(first.write, 'no-space');
    assert.equal(first.schedule?.dueMs, NOW + LOCAL_RETRY.baseMs);
    assert.deepEqual(first.log, { level: 'debug', message: 'no space' }, 'the incident line is the credmon’s');
    assert.ok(first.schedule);
    const again = stepAfterLocal({ kind: 'disk-full', problem: 'no space' }, first.schedule, at, true);
    assert.equal(again.log, undefined);
    assert.equal(again.write, 'no-space');
    assert.equal(again.schedule?.failures, 2);
  });

  it('issued says done; other failures say nothing about the disk', () => {
    assert.equal(
      stepAfterLocal(
        { kind: 'issued', dueMs: NOW, life: { writtenMs: NOW, expiresMs: undefined }, digest: 'D' },
        newSchedule(),
        at,
        true,
      ).write,
      'done',
    );
    assert.equal(stepAfterLocal({ kind: 'failed', problem: 'EACCES' }, newSchedule(), at, true).write, undefined);
    assert.equal(stepAfterLocal({ kind: 'invalid', problem: 'bad' }, newSchedule(), at, true).write, 'not-needed');
  });
});

describe('outcomes on a full disk: OAuth refresh', () => {
  it('a rotated token the .top could not take is held in the schedule and said once, at warn', () => {
    const first = stepAfterOAuth({ kind: 'disk-full', problem: PROBLEM, held }, newSchedule(), at);
    assert.equal(first.write, 'no-space');
    assert.equal(first.schedule?.held, held);
    assert.equal(first.schedule?.dueMs, NOW + LOCAL_RETRY.baseMs);
    assert.equal(first.log?.level, 'warn');
    assert.match(first.log?.message ?? '', /the new refresh token is held in memory until it can be written/);
    assert.match(first.log?.message ?? '', /A restart of the credmon before then loses it, and erin would have to/);
    assert.doesNotMatch(first.log?.message ?? '', /SECRET/);
    assert.ok(first.schedule);
    const newer = new HeldRefreshToken('rt-rotated-again-SECRET', 4242);
    const again = stepAfterOAuth({ kind: 'disk-full', problem: PROBLEM, held: newer }, first.schedule, at);
    assert.equal(again.schedule?.held, newer, 'the newest token is held');
    assert.equal(again.log, undefined, 'not said again');
  });

  it('no rotation (or the .top written): nothing held, a debug line only', () => {
    const step = stepAfterOAuth({ kind: 'disk-full', problem: PROBLEM, held: undefined }, newSchedule(), at);
    assert.equal(step.schedule?.held, undefined);
    assert.equal(step.log?.level, 'debug');
    assert.ok(step.schedule);
    const afterHeld = stepAfterOAuth(
      { kind: 'disk-full', problem: PROBLEM, held: undefined },
      { ...step.schedule, held },
      at,
    );
    assert.equal(afterHeld.schedule?.held, undefined, 'the .top holds the newest now');
  });

  it('the held token survives a provider failure and a directory change; success and rejection drop it', () => {
    const holdingSchedule = { ...newSchedule(), held };
    const unavailable = stepAfterOAuth(
      { kind: 'unavailable', problem: 'HTTP 503', retryAfterMs: undefined },
      holdingSchedule,
      at,
    );
    assert.equal(unavailable.schedule?.held, held);
    assert.equal(unavailable.schedule?.dueMs, NOW + PROVIDER_RETRY.baseMs);
    assert.equal(directoryChanged(holdingSchedule, 'oauth').held, held);
    assert.equal(waitForChange(holdingSchedule).held, held);
    assert.equal(failedTransiently(holdingSchedule, 'x', { ...at, retry: LOCAL_RETRY }).held, held);
    assert.equal(succeeded(NOW).held, undefined);
    assert.equal(rejected('invalid_grant', 1).held, undefined);
    const superseded = stepAfterOAuth({ kind: 'superseded' }, holdingSchedule, at);
    assert.equal(superseded.schedule?.held, undefined, 'a new login wins');
  });

  it('refreshed after holding: the line says the held token is written; done for the incident', () => {
    const step = stepAfterOAuth(
      {
        kind: 'refreshed',
        dueMs: NOW,
        life: { writtenMs: NOW, expiresMs: undefined },
        rotated: true,
        heldWritten: true,
      },
      { ...newSchedule(), held },
      at,
    );
    assert.equal(step.schedule?.held, undefined);
    assert.equal(step.write, 'done');
    assert.deepEqual(step.log, {
      level: 'info',
      fields: { rotated: true, heldWritten: true },
      message:
        'Successfully refreshed mytokens tokens for user erin; ' +
        'the refresh token held in memory is written to mytokens.top',
    });
  });

  it('steps that wait for the user or for nothing say the write is not needed', () => {
    assert.equal(
      stepAfterOAuth({ kind: 'rejected', problem: 'x', topMtimeMs: 1 }, newSchedule(), at).write,
      'not-needed',
    );
    assert.equal(stepAfterOAuth({ kind: 'still-rejected' }, newSchedule(), at).write, 'not-needed');
    assert.equal(stepAfterOAuth({ kind: 'no-refresh-token' }, newSchedule(), at).write, 'not-needed');
    assert.equal(stepAfterOAuth({ kind: 'stopped' }, newSchedule(), at).write, undefined);
  });
});
