import type { FileInfo, UseFile } from '../credentials/index.js';

/**
 * The renewal rule, in one place: a token is renewed after `fraction` of its life, never sooner than 30 s after it
 * was written and never later than a minute before it expires.
 */

/** Renew after this fraction of a token's life (upstream: 0.5, and 0.95 for Box's single-use refresh tokens). */
export function renewalFraction(tokenUrl: string | undefined): number {
  return tokenUrl !== undefined && /^https:\/\/[^/]*\.box\.com(\/|$)/.test(tokenUrl) ? 0.95 : 0.5;
}

/** The local issuer renews at half-life, as upstream's LocalCredmon does. */
export const LOCAL_RENEWAL_FRACTION = 0.5;

/** Never renew sooner than this after the last write, whatever a provider says (expires_in of 0 would loop). */
export const MIN_RENEW_AFTER_MS = 30_000;

/** When a token whose lifetime nobody told us is treated as due (the provider sent no expires_in and no JWT exp). */
export const UNKNOWN_LIFETIME_RENEW_AFTER_MS = 10 * 60_000;

/** When a token written at `writtenMs` with a lifetime of `lifetimeMs` (undefined: unknown) is due. */
export function renewAfterWriteMs(writtenMs: number, lifetimeMs: number | undefined, fraction: number): number {
  if (lifetimeMs === undefined || !Number.isFinite(lifetimeMs)) return writtenMs + UNKNOWN_LIFETIME_RENEW_AFTER_MS;
  return writtenMs + Math.max(MIN_RENEW_AFTER_MS, lifetimeMs * fraction);
}

/**
 * When a `.use` on disk should be renewed, in epoch milliseconds: `written + fraction × lifetime`, where `written` is
 * the earlier of the file's ctime (what upstream uses) and mtime, and the lifetime comes from `expires_in`, or else
 * from the JWT `exp` (bare `.use` files, which upstream re-signs on every scan: bug B4), or else a fixed ten minutes
 * (upstream crashes: bug B3).
 */
export function renewAtMs(use: UseFile, info: FileInfo, fraction: number): number {
  const writtenMs = Math.min(info.ctimeMs, info.mtimeMs);
  let lifetimeMs: number | undefined;
  if (use.expiresInS !== undefined) lifetimeMs = use.expiresInS * 1000;
  else if (use.expEpochS !== undefined) lifetimeMs = use.expEpochS * 1000 - writtenMs;
  let due = renewAfterWriteMs(writtenMs, lifetimeMs, fraction);
  // Never later than the token's own expiry minus a minute, whatever expires_in said.
  if (use.expEpochS !== undefined) due = Math.min(due, use.expEpochS * 1000 - 60_000);
  return due;
}
