import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRelease } from '../../../src/credmon/memory-release.js';
import { fullGarbageCollection } from '../../../src/shared/full-gc.js';

describe('MemoryRelease', () => {
  it('collects once, a quiet period after the last bulk work', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let collected = 0;
    const release = new MemoryRelease({ collect: () => collected++, busy: () => false, quietMs: 1000 });
    release.afterBulkWork();
    t.mock.timers.tick(600);
    release.afterBulkWork(); // more bulk work: the quiet period starts again
    t.mock.timers.tick(600);
    assert.equal(collected, 0);
    t.mock.timers.tick(400);
    assert.equal(collected, 1);
    t.mock.timers.tick(10_000);
    assert.equal(collected, 1, 'once per burst, not periodically');
  });

  it('waits while work is still running', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let collected = 0;
    let busy = true;
    const release = new MemoryRelease({ collect: () => collected++, busy: () => busy, quietMs: 1000 });
    release.afterBulkWork();
    t.mock.timers.tick(3000);
    assert.equal(collected, 0);
    busy = false;
    t.mock.timers.tick(1000);
    assert.equal(collected, 1);
  });

  it('does nothing without a collector, or once closed', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    new MemoryRelease({ collect: undefined, busy: () => false, quietMs: 10 }).afterBulkWork();
    let collected = 0;
    const release = new MemoryRelease({ collect: () => collected++, busy: () => false, quietMs: 10 });
    release.afterBulkWork();
    release.close();
    t.mock.timers.tick(100);
    release.afterBulkWork(); // a scan that ends after the stop
    t.mock.timers.tick(100);
    assert.equal(collected, 0);
  });
});

describe('fullGarbageCollection', () => {
  it('is a full collection that frees what nothing refers to', async () => {
    const collect = fullGarbageCollection();
    assert.ok(collect, 'Node 20 and 24 allow --expose-gc at run time');
    let garbage: object | undefined = { big: 'x'.repeat(1_000_000) };
    const ref = new WeakRef(garbage);
    garbage = undefined;
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef target lives to the end of the job
    collect();
    assert.equal(ref.deref(), undefined);
    assert.equal(garbage, undefined);
  });
});
