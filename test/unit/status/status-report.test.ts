import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CredentialStatus, StatusFile } from '../../../src/status/status-file.js';
import { formatDuration, formatStatusTable, isStale, sortForAttention } from '../../../src/status/status-report.js';

const NOW = 10_000_000;
const base: CredentialStatus = {
  user: 'alice',
  provider: 'scitokens',
  handle: '',
  kind: 'local',
  state: 'fresh',
  expiresMs: NOW + 600_000,
  renewedMs: NOW - 60_000,
  nextMs: NOW + 540_000,
  failures: 0,
  problem: null,
};
const failing: CredentialStatus = {
  ...base,
  user: 'bob',
  provider: 'cern',
  handle: 'job1',
  kind: 'oauth',
  state: 'failing',
  expiresMs: NOW - 5_000,
  nextMs: NOW + 30_000,
  failures: 3,
  problem: 'Failed to refresh cern_job1 tokens for user bob (temporarily): HTTP 503',
};
const rejected: CredentialStatus = {
  ...base,
  user: 'carol',
  state: 'rejected',
  nextMs: null,
  problem: 'invalid_grant',
};
const file = (credentials: CredentialStatus[], writtenMs = NOW - 2_000): StatusFile => ({
  version: 1,
  pid: 7,
  writtenMs,
  lastScanMs: NOW - 3_000,
  scanIntervalS: 60,
  credentials,
});

describe('credmon-status report', () => {
  it('puts what needs attention first: rejected, failing, broken, due, fresh; then the soonest expiry', () => {
    const soon = { ...base, user: 'dave', expiresMs: NOW + 1_000 };
    const sorted = sortForAttention([base, failing, soon, rejected]);
    assert.deepEqual(
      sorted.map((c) => c.user),
      ['carol', 'bob', 'dave', 'alice'],
    );
  });

  it('prints a table: the credmon line, headers, one line per credential with times relative to now', () => {
    const out = formatStatusTable(
      file(sortForAttention([base, failing])),
      sortForAttention([base, failing]),
      NOW,
      true,
    );
    const lines = out.trimEnd().split('\n');
    assert.equal(lines[0], 'credmon pid 7 (running), status written 2s ago, last scan 3s ago');
    assert.match(lines[1] ?? '', /^USER +PROVIDER +HANDLE +KIND +STATE +EXPIRES IN +RENEWED +NEXT +PROBLEM$/);
    assert.match(lines[2] ?? '', /^bob +cern +job1 +oauth +failing +expired +1m 0s ago +in 30s +3 failures: Failed to/);
    assert.match(lines[3] ?? '', /^alice +scitokens +- +local +fresh +10m 0s +1m 0s ago +in 9m 0s$/);
  });

  it('warns when the status is old or the credmon is not running', () => {
    assert.equal(isStale(file([]), NOW, true), false);
    assert.equal(isStale(file([]), NOW, false), true);
    assert.equal(isStale(file([], NOW - 191_000), NOW, true), true);
    const out = formatStatusTable(file([], NOW - 200_000), [], NOW, false);
    assert.match(out, /\(NOT running\)/);
    assert.match(out, /^Warning: this status is old/m);
    assert.match(out, /^No credentials\.$/m);
  });

  it('formats durations for people', () => {
    assert.equal(formatDuration(999), '0s');
    assert.equal(formatDuration(65_000), '1m 5s');
    assert.equal(formatDuration(3_720_000), '1h 2m');
    assert.equal(formatDuration(90_000_000), '1d 1h');
    assert.equal(formatDuration(-65_000), '-1m 5s');
  });
});
