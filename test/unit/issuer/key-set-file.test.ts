import { KeySetFileInvalid } from '../../../src/shared/errors.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatKeySetFile, isSafeKeyId, parseKeySetFile } from '../../../src/issuer/key-set-file.js';
import { advanceKeySet, beginRotation, createKeySet } from '../../../src/issuer/key-set.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const timing = { leadMs: 900_000, retainMs: 2_400_000 };

describe('key set file', () => {
  it('formats and parses back every state, with readable UTC times', () => {
    const rotating = beginRotation(
      createKeySet({ kid: 'k1', alg: 'ES256' }, T0),
      { kid: 'k2', alg: 'RS256' },
      T0,
      timing,
    );
    const switched = advanceKeySet(rotating, T0 + timing.leadMs, timing);
    for (const set of [createKeySet({ kid: 'local', alg: 'ES384' }, T0), rotating, switched]) {
      const text = formatKeySetFile(set);
      assert.deepEqual(parseKeySetFile(text, 'keyset.json'), set);
    }
    const text = formatKeySetFile(rotating);
    assert.match(text, /"since": "2026-12-03T12:00:00.000Z"/);
    assert.match(text, /"until": "2026-12-03T12:15:00.000Z"/);
    assert.match(text, /"until": null/);
  });

  it('refuses what is not a key set, naming the file', () => {
    for (const [text, why] of [
      ['not json', /keyset\.json: not JSON/],
      ['[]', /expected \{"version": 1, "keys": \[\.\.\.\]\}/],
      ['{"version": 2, "keys": []}', /expected \{"version": 1/],
      ['{"version": 1, "keys": []}', /exactly one active key, found 0/],
    ] as const) {
      assert.throws(
        () => parseKeySetFile(text, '/keys/keyset.json'),
        (e: unknown) => {
          return e instanceof KeySetFileInvalid && e.message.startsWith('/keys/keyset.json: ') && why.test(e.message);
        },
      );
    }
  });

  it('names every bad field of every key at once', () => {
    const doc = {
      version: 1,
      keys: [
        { kid: '../etc/passwd', alg: 'HS256', state: 'old', since: 'yesterday', until: 5 },
        'a string',
        { kid: 'ok', alg: 'ES256', state: 'active', since: '2026-12-03T12:00:00Z', until: null },
      ],
    };
    assert.throws(
      () => parseKeySetFile(JSON.stringify(doc), 'f'),
      (e: unknown) =>
        e instanceof KeySetFileInvalid &&
        e.message ===
          'f: key 1: kid must be 1-64 of A-Z a-z 0-9 . _ -; key 1: alg must be ES256, ES384, RS256; ' +
            'key 1: state must be next, active, retiring; key 1: since must be an ISO 8601 time; ' +
            'key 1: until must be an ISO 8601 time or null; key 2: not an object',
    );
  });

  it('refuses more keys than a rotation can have, and key ids that are not safe file names', () => {
    const many = Array.from({ length: 17 }, (_, i) => ({ kid: `k${i}`, alg: 'ES256', state: 'retiring' }));
    assert.throws(() => parseKeySetFile(JSON.stringify({ version: 1, keys: many }), 'f'), /17 keys; at most 16/);
    for (const kid of ['', '.hidden', 'a/b', 'a b', 'x'.repeat(65), 'é']) assert.equal(isSafeKeyId(kid), false, kid);
    for (const kid of ['local', 'k-2026-12-03', 'a.b_c', 'x'.repeat(64)]) assert.equal(isSafeKeyId(kid), true, kid);
  });
});
