import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatStatusFile, parseStatusFile, type StatusFile } from '../../../src/status/status-file.js';

const FILE: StatusFile = {
  version: 1,
  pid: 42,
  writtenMs: 1_000,
  lastScanMs: 900,
  scanIntervalS: 60,
  credentials: [
    {
      user: 'alice',
      provider: 'scitokens',
      handle: '',
      kind: 'local',
      state: 'fresh',
      expiresMs: 2_000,
      renewedMs: 500,
      nextMs: 1_500,
      failures: 0,
      problem: null,
    },
  ],
};

describe('the status file', () => {
  it('reads what it wrote', () => {
    assert.deepEqual(parseStatusFile('s', formatStatusFile(FILE)), FILE);
  });

  it('refuses what is not one, saying what is wrong', () => {
    assert.throws(() => parseStatusFile('s', '{'), /s: is not JSON/);
    assert.throws(() => parseStatusFile('s', '{"version": 2}'), /not a status file of this credmon/);
    assert.throws(() => parseStatusFile('s', JSON.stringify({ ...FILE, pid: -1 })), /no valid pid/);
    const bad = { ...FILE, credentials: [{ ...FILE.credentials[0], state: 'happy' }] };
    assert.throws(() => parseStatusFile('s', JSON.stringify(bad)), /invalid entry at position 0/);
    const noList = { ...FILE, credentials: 'none' };
    assert.throws(() => parseStatusFile('s', JSON.stringify(noList)), /no credentials list/);
  });
});
