import { KeySetFileInvalid } from '../shared/errors.js';
import type { KeySet, KeySetEntry, KeyState } from './key-set.js';
import { MAX_KEYS, checkKeySet } from './key-set.js';
import type { SigningAlgorithm } from './signing-key.js';

/**
 * The key set's own file (`keyset.json` beside the private keys, one `<kid>.pem` each): which keys exist, their
 * states and times. No key material: the PEM files hold that. Times are ISO 8601 UTC, so an admin can read them.
 * `parseKeySetFile` and `formatKeySetFile` are each other's inverse for every set `checkKeySet` accepts.
 */
export const KEY_SET_FILE_VERSION = 1;
/** Key ids become file names: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const KID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'ES384', 'RS256'];
const STATES: readonly KeyState[] = ['next', 'active', 'retiring'];

/** True for a key id that is safe as a file name (`<kid>.pem`). */
export function isSafeKeyId(kid: string): boolean {
  return KID.test(kid);
}

export function formatKeySetFile(set: KeySet): string {
  const keys = set.keys.map((k) => ({
    kid: k.kid,
    alg: k.alg,
    state: k.state,
    since: new Date(k.sinceMs).toISOString(),
    until: k.untilMs === undefined ? null : new Date(k.untilMs).toISOString(),
  }));
  return `${JSON.stringify({ version: KEY_SET_FILE_VERSION, keys }, null, 2)}\n`;
}

/** Parses `text` (the file at `source`); every problem is named in one KeySetFileInvalid. */
export function parseKeySetFile(text: string, source: string): KeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new KeySetFileInvalid(`${source}: not JSON`);
  }
  const problems: string[] = [];
  if (!isRecord(doc) || doc['version'] !== KEY_SET_FILE_VERSION || !Array.isArray(doc['keys'])) {
    throw new KeySetFileInvalid(`${source}: expected {"version": ${KEY_SET_FILE_VERSION}, "keys": [...]}`);
  }
  const raw = doc['keys'] as unknown[];
  if (raw.length > MAX_KEYS) throw new KeySetFileInvalid(`${source}: ${raw.length} keys; at most ${MAX_KEYS}`);
  const keys = raw.flatMap((entry, i) => parseEntry(entry, `key ${i + 1}`, problems));
  const set: KeySet = Object.freeze({ keys: Object.freeze(keys) });
  if (problems.length === 0) problems.push(...checkKeySet(set));
  if (problems.length > 0) throw new KeySetFileInvalid(`${source}: ${problems.join('; ')}`);
  return set;
}

function parseEntry(entry: unknown, where: string, problems: string[]): KeySetEntry[] {
  if (!isRecord(entry)) {
    problems.push(`${where}: not an object`);
    return [];
  }
  const { kid, alg, state } = entry;
  const before = problems.length;
  if (typeof kid !== 'string' || !isSafeKeyId(kid)) problems.push(`${where}: kid must be 1-64 of A-Z a-z 0-9 . _ -`);
  if (!ALGORITHMS.includes(alg as SigningAlgorithm)) problems.push(`${where}: alg must be ${ALGORITHMS.join(', ')}`);
  if (!STATES.includes(state as KeyState)) problems.push(`${where}: state must be ${STATES.join(', ')}`);
  const sinceMs = parseTime(entry['since']);
  if (sinceMs === undefined) problems.push(`${where}: since must be an ISO 8601 time`);
  const until = entry['until'];
  const untilMs = until === null || until === undefined ? undefined : parseTime(until);
  if (until !== null && until !== undefined && untilMs === undefined) {
    problems.push(`${where}: until must be an ISO 8601 time or null`);
  }
  if (problems.length > before) return [];
  return [
    Object.freeze({
      kid: kid as string,
      alg: alg as SigningAlgorithm,
      state: state as KeyState,
      sinceMs: sinceMs as number,
      untilMs,
    }),
  ];
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
