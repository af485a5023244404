import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ProviderGate } from '../../../src/credmon/provider-gate.js';

/** Runs `count` tasks of `ms` each through the gate for `provider`; returns the most that ran at once. */
async function peak(gate: ProviderGate, provider: string, count: number, ms = 10): Promise<number> {
  let active = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: count }, () =>
      gate.run(provider, async () => {
        active++;
        most = Math.max(most, active);
        await delay(ms);
        active--;
      }),
    ),
  );
  return most;
}

describe('ProviderGate', () => {
  it('runs at most maxConcurrency requests at once per provider, and all of them in the end', async () => {
    const gate = new ProviderGate({ maxConcurrency: 4 });
    assert.equal(await peak(gate, 'https://a.example', 20), 4);
  });

  it('providers do not share a cap', async () => {
    const gate = new ProviderGate({ maxConcurrency: 3 });
    const [a, b] = await Promise.all([peak(gate, 'https://a.example', 9), peak(gate, 'https://b.example', 9)]);
    assert.equal(a, 3);
    assert.equal(b, 3);
  });

  it('a failure halves the cap of that provider only; successes raise it again', async () => {
    const gate = new ProviderGate({ maxConcurrency: 8 });
    gate.failed('https://a.example');
    gate.failed('https://a.example');
    assert.equal(gate.status('https://a.example').limit, 2);
    assert.equal(await peak(gate, 'https://a.example', 10), 2);
    assert.equal(gate.status('https://b.example').limit, 8);
    gate.succeeded('https://a.example');
    assert.equal(gate.status('https://a.example').limit, 3);
  });

  it('pauses a provider for its Retry-After: nothing starts before it ends', async () => {
    let nowMs = 0;
    const gate = new ProviderGate({ maxConcurrency: 2, now: () => nowMs });
    gate.failed('https://a.example', 50);
    let started = false;
    const task = gate.run('https://a.example', () => {
      started = true;
      return Promise.resolve();
    });
    await delay(20);
    assert.equal(started, false);
    nowMs = 100;
    await delay(60);
    await task;
    assert.equal(started, true);
  });
});
