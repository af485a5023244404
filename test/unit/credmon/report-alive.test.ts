import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportAlive } from '../../../src/credmon/report-alive.js';
import { createMemoryLogger } from '../../../src/log/index.js';

describe('reportAlive', () => {
  it('sends nothing without CONDOR_INHERIT in the environment it is given', async () => {
    const { logger, lines } = createMemoryLogger('credmon', true);
    assert.equal(await reportAlive('CREDMON_OAUTH', 60, logger, {}, '/nonexistent/python3'), false);
    assert.ok(
      lines.some((l) => l.includes('Not started by condor_master (no CONDOR_INHERIT)')),
      lines.join(''),
    );
  });
});
