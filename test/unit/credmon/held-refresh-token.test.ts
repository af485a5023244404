import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Writable } from 'node:stream';
import { HeldRefreshToken } from '../../../src/credmon/held-refresh-token.js';
import { failedTransiently, holding, newSchedule } from '../../../src/credmon/schedule.js';

const TOKEN = 'rt-held-SECRET-7777';

describe('HeldRefreshToken', () => {
  it('gives the token to whoever asks for it by name, and belongs to one .top (by mtime)', () => {
    const held = new HeldRefreshToken(TOKEN, 1234.5);
    assert.equal(held.reveal(), TOKEN);
    assert.equal(held.belongsTo(1234.5), true);
    assert.equal(held.belongsTo(1234.6), false, 'a new .top (a new login) makes it stale');
    assert.throws(() => new HeldRefreshToken('', 1), RangeError);
  });

  it('never shows the token: JSON, util.inspect, String, a schedule, a pino line', () => {
    const held = new HeldRefreshToken(TOKEN, 1);
    const schedule = holding(
      failedTransiently(newSchedule(), 'disk full', { nowMs: 0, random: () => 0, retry: { baseMs: 1, capMs: 1 } }),
      held,
    );
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logged += chunk.toString();
        callback();
      },
    });
    pino(sink).info({ schedule, held }, 'a schedule');
    for (const text of [
      JSON.stringify(held),
      JSON.stringify(schedule),
      inspect(held),
      inspect(schedule),
      held.toString(),
      logged,
    ]) {
      assert.doesNotMatch(text, /SECRET/, text);
    }
    assert.match(JSON.stringify(held), /held in memory/);
  });
});
