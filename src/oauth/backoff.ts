/**
 * Capped exponential backoff with full jitter for transient token-endpoint failures:
 * attempt 1 → up to 30 s, 2 → 60 s, ... capped at 30 minutes. `random` is injected for tests.
 */
export function backoffDelayMs(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 30_000,
  capMs = 30 * 60_000,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError('attempt starts at 1');
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 20));
  return Math.max(1_000, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
