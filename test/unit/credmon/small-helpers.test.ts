import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { sweepKeyFiles } from '../../../src/credmon/key-file-sweep.js';
import { ReportOnce } from '../../../src/shared/report-once.js';
import { WakeableSleep } from '../../../src/credmon/wakeable-sleep.js';

describe('credmon helpers', () => {
  it('ReportOnce reports each key once', () => {
    const reported = new ReportOnce();
    const seen: string[] = [];
    for (const key of ['a', 'b', 'a', 'b', 'c']) reported.once(key, () => seen.push(key));
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  it('WakeableSleep ends early on wake, and on time without one', async () => {
    const sleeper = new WakeableSleep();
    const started = Date.now();
    const sleeping = sleeper.sleep(60_000);
    sleeper.wake();
    await sleeping;
    assert.ok(Date.now() - started < 1000);
    sleeper.wake(); // nothing to wake: no effect
    await sleeper.sleep(1);
  });

  it('sweepKeyFiles removes key files older than the lifetime, naming them by 8 characters', async () => {
    const removed: string[] = [];
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const old = 'a'.repeat(64);
    const young = 'b'.repeat(64);
    const dir = {
      listKeyFiles: () =>
        Promise.resolve([
          { name: old, ctimeMs: 0 },
          { name: young, ctimeMs: 50_001 },
        ]),
      removeKeyFile: (name: string) => {
        removed.push(name);
        return Promise.resolve();
      },
    };
    await sweepKeyFiles(dir, 100_000, 50_000, log);
    assert.deepEqual(removed, [old]);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /Removing stale key file aaaaaaaa…"/);
    assert.ok(!(lines[0] ?? '').includes(old));
  });
});
