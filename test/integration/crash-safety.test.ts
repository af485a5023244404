/**
 * Crash safety, scaled down for CI (the full run: `npm run reliability:crash`, docs/reliability.md): the real credmon
 * process, killed with SIGKILL at random moments during refresh storms, loses nothing and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCrashSafety } from '../reliability/crash-safety.js';

describe('credmon crash safety', () => {
  it('after 15 kill -9 during refresh storms with 200 users: whole files, no temp files, no lost refresh token', async () => {
    const report = await runCrashSafety({ users: 200, kills: 15, maxRunMs: 1_500 });
    assert.ok(report.refreshes > 0, 'refresh storms happened');
    assert.deepEqual(report.badFiles, [], 'no partial, empty or unparsable file');
    assert.deepEqual(report.tempFilesLeft, [], 'no temp file left behind');
    assert.deepEqual(report.lostRefreshTokens, [], 'every .top holds a refresh token the provider accepts');
    assert.deepEqual(report.invalidUseFiles, [], 'every .use valid after the last start');
    assert.equal(report.rejectedRefreshTokens, 0);
    assert.ok(report.allValidAfterMs < 15_000, `all valid ${report.allValidAfterMs} ms after the last start`);
  });
});
