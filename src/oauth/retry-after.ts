/** The longest wait a provider's Retry-After may impose on the credmon; longer (or absurd) values are capped here. */
export const MAX_RETRY_AFTER_S = 3600;

/**
 * Reads an HTTP Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as whole seconds from `nowMs`,
 * between 0 and MAX_RETRY_AFTER_S. Anything else (missing, negative, garbage) is undefined: the caller's own backoff
 * applies.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const v = value?.trim() ?? '';
  if (/^\d{1,12}$/.test(v)) return Math.min(Number(v), MAX_RETRY_AFTER_S);
  // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and the obsolete RFC 850 and asctime forms recipients must accept.
  if (!/^[A-Za-z]{3,9},? [0-9A-Za-z :-]{10,40}$/.test(v)) return undefined;
  const atMs = Date.parse(v);
  if (!Number.isFinite(atMs)) return undefined;
  return Math.min(MAX_RETRY_AFTER_S, Math.max(0, Math.ceil((atMs - nowMs) / 1000)));
}
