import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { isProcessAlive } from '../../../src/shared/process-alive.js';

test('this process is alive', () => {
  assert.equal(isProcessAlive(process.pid), true);
});

test('a process that has exited is not', () => {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(child.status, 0);
  assert.equal(isProcessAlive(child.pid ?? 0), false);
});

test('a pid that is not a positive integer names no process (never a process group)', () => {
  for (const pid of [0, -1, 1.5, Number.NaN]) assert.equal(isProcessAlive(pid), false, String(pid));
});

test('pid 1 is alive, whether or not we may signal it (EPERM as a user)', () => {
  assert.equal(isProcessAlive(1), true);
});
