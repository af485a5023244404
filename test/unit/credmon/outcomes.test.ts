import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideLocal, decideOAuth } from '../../../src/credmon/outcomes.js';
import { LOCAL_RETRY, PROVIDER_RETRY, WHEN_CHANGED, newSchedule, type Schedule } from '../../../src/credmon/schedule.js';

const NOW = 1_700_000_000_000;
const ctx = { user: 'alice', name: 'box', nowMs: NOW, random: () => 0.5 };
const failing: Schedule = { dueMs: 0, failures: 2, problem: 'old problem', rejectedTopMtimeMs: undefined };

describe('decideLocal', () => {
  it('issued: due at the outcome time, failures forgotten, logged at info in small batches and debug in bulk', () => {
    const small = decideLocal(failing, { kind: 'issued', dueMs: NOW + 600_000 }, { ...ctx, logEachToken: true });
    assert.deepEqual(small.schedule, { dueMs: NOW + 600_000, failures: 0, problem: undefined, rejectedTopMtimeMs: undefined });
    assert.deepEqual(small.log, { level: 'info', message: 'Successfully renewed SciToken for user: alice' });
    assert.deepEqual(small.event, { type: 'credential.issued' });
    assert.equal(decideLocal(failing, { kind: 'issued', dueMs: 1 }, { ...ctx, logEachToken: false }).log?.level, 'debug');
  });

  it('gone: stop tracking; fresh: due later, nothing said', () => {
    assert.equal(decideLocal(failing, { kind: 'gone' }, { ...ctx, logEachToken: true }).schedule, undefined);
    const fresh = decideLocal(failing, { kind: 'fresh', dueMs: NOW + 5 }, { ...ctx, logEachToken: true });
    assert.equal(fresh.schedule?.dueMs, NOW + 5);
    assert.equal(fresh.log, undefined);
    assert.equal(fresh.event, undefined);
  });

  it('invalid: wait for the files to change; the same problem is logged once, a new one again', () => {
    const first = decideLocal(newSchedule(), { kind: 'invalid', problem: 'bad .top' }, { ...ctx, logEachToken: true });
    assert.equal(first.schedule?.dueMs, WHEN_CHANGED);
    assert.deepEqual(first.log, { level: 'error', message: 'bad .top' });
    const again = decideLocal(first.schedule ?? newSchedule(), { kind: 'invalid', problem: 'bad .top' }, { ...ctx, logEachToken: true });
    assert.equal(again.log, undefined);
    const other = decideLocal(first.schedule ?? newSchedule(), { kind: 'invalid', problem: 'other' }, { ...ctx, logEachToken: true });
    assert.equal(other.log?.message, 'other');
  });

  it('failed: local backoff (seconds, a condor_submit is waiting), counted', () => {
    const d = decideLocal(newSchedule(), { kind: 'failed', problem: 'disk full' }, { ...ctx, logEachToken: true });
    assert.equal(d.schedule?.failures, 1);
    assert.ok((d.schedule?.dueMs ?? 0) > NOW && (d.schedule?.dueMs ?? 0) <= NOW + LOCAL_RETRY.baseMs * 2, String(d.schedule?.dueMs));
    assert.equal(d.log?.level, 'error');
  });

  it('not-local: an OAuth .top is left alone until it changes', () => {
    const d = decideLocal(newSchedule(), { kind: 'not-local' }, { ...ctx, logEachToken: true });
    assert.equal(d.schedule?.dueMs, WHEN_CHANGED);
    assert.equal(d.log?.level, 'debug');
  });
});

describe('decideOAuth', () => {
  it('refreshed: due at the outcome time, logged with rotation, event', () => {
    const d = decideOAuth(failing, { kind: 'refreshed', dueMs: NOW + 1000, rotated: true }, ctx);
    assert.equal(d.schedule?.dueMs, NOW + 1000);
    assert.equal(d.schedule?.failures, 0);
    assert.deepEqual(d.log, { level: 'info', message: 'Successfully refreshed box tokens for user alice', fields: { rotated: true } });
    assert.deepEqual(d.event, { type: 'credential.refreshed', rotated: true });
  });

  it('rejected: no retry until the .top (of that mtime) is replaced by a new login', () => {
    const d = decideOAuth(failing, { kind: 'rejected', problem: 'invalid_grant', topMtimeMs: 42 }, ctx);
    assert.deepEqual(d.schedule, { dueMs: WHEN_CHANGED, failures: 0, problem: 'invalid_grant', rejectedTopMtimeMs: 42 });
    assert.deepEqual(d.event, { type: 'credential.refresh_failed', code: 'ERR_REFRESH_REJECTED' });
    assert.equal(d.log?.level, 'error');
  });

  it('unavailable: provider backoff, or Retry-After when the provider asks for longer; the line says when', () => {
    const plain = decideOAuth(newSchedule(), { kind: 'unavailable', problem: '503', retryAfterMs: undefined }, ctx);
    assert.equal(plain.schedule?.failures, 1);
    assert.ok((plain.schedule?.dueMs ?? 0) - NOW <= PROVIDER_RETRY.baseMs * 2);
    const later = decideOAuth(newSchedule(), { kind: 'unavailable', problem: '503', retryAfterMs: 3_600_000 }, ctx);
    assert.equal(later.schedule?.dueMs, NOW + 3_600_000);
    assert.deepEqual(later.log?.fields, { attempt: 1, retryInS: 3600 });
    assert.deepEqual(later.event, { type: 'credential.refresh_failed', code: 'ERR_REFRESH_UNAVAILABLE' });
  });

  it('superseded: look again at once, keeping what is on disk; stopped: nothing changes', () => {
    assert.equal(decideOAuth(failing, { kind: 'superseded' }, ctx).schedule?.dueMs, 0);
    assert.equal(decideOAuth(failing, { kind: 'superseded' }, ctx).schedule?.failures, 2);
    assert.equal(decideOAuth(failing, { kind: 'stopped' }, ctx).schedule, failing);
  });

  it('gone, still-rejected, no-refresh-token, invalid', () => {
    assert.equal(decideOAuth(failing, { kind: 'gone' }, ctx).schedule, undefined);
    assert.equal(decideOAuth(failing, { kind: 'still-rejected' }, ctx).schedule?.dueMs, WHEN_CHANGED);
    assert.equal(decideOAuth(failing, { kind: 'still-rejected' }, ctx).log, undefined);
    assert.equal(decideOAuth(failing, { kind: 'no-refresh-token' }, ctx).schedule?.dueMs, WHEN_CHANGED);
    const invalid = decideOAuth(failing, { kind: 'invalid', problem: 'old problem' }, ctx);
    assert.equal(invalid.log, undefined, 'the same problem is not logged twice');
  });
});
