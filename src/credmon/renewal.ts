import type { FileInfo, UseFile } from '../credentials/index.js';

/**
 * The renewal rule, in one place: a token is renewed after `fraction` of its life, never later than a minute (a
 * quarter of its life, for short-lived tokens) before it expires, and never sooner than the floor after it was
 * written: 30 s, or half the life of a token that lives 20 to 60 s (a 60 s token must not be refreshed at every scan,
 * and a provider's expires_in of 0 must not make a loop).
 */
/** Renew after this fraction of a token's life (upstream: 0.5, and 0.95 for Box's single-use refresh tokens). */
export function renewalFraction(tokenUrl: string | undefined): number {
  return tokenUrl !== undefined && /^https:\/\/[^/]*\.box\.com(\/|$)/.test(tokenUrl) ? 0.95 : 0.5;
}

/** What the credmon knows of a `.use` it wrote or read: when it was written, when it expires (undefined: unknown). */
export interface UseLife {
  readonly writtenMs: number;
  readonly expiresMs: number | undefined;
}

/** The life of a `.use` on disk: its JWT `exp`, else `expires_in` after its write (the earlier of ctime, mtime). */
export function useLifeOf(use: UseFile, info: FileInfo): UseLife {
  const writtenMs = Math.min(info.ctimeMs, info.mtimeMs);
  if (use.expEpochS !== undefined) return { writtenMs, expiresMs: use.expEpochS * 1000 };
  return { writtenMs, expiresMs: use.expiresInS === undefined ? undefined : writtenMs + use.expiresInS * 1000 };
}

/** The life of a token written at `writtenMs` that lives `lifetimeS` (undefined: unknown). */
export function lifeAfterWrite(writtenMs: number, lifetimeS: number | undefined): UseLife {
  return { writtenMs, expiresMs: lifetimeS === undefined ? undefined : writtenMs + lifetimeS * 1000 };
}

/** The local issuer renews at half-life, as upstream's LocalCredmon does. */
export const LOCAL_RENEWAL_FRACTION = 0.5;

/** The floor: never renew sooner than this after the last write (a token living 20 to 60 s: half its life). */
export const MIN_RENEW_AFTER_MS = 30_000;
/** The shortest floor, for a 20 s token; a shorter life is not believed (expires_in 0 would loop). */
export const SHORTEST_RENEW_FLOOR_MS = 10_000;
/** Renew at least this long before `exp` (a quarter of the life for tokens shorter than four minutes). */
export const RENEW_BEFORE_EXPIRY_MS = 60_000;

/** How soon after its write a token of `lifetimeMs` may be renewed. */
export function renewFloorMs(lifetimeMs: number): number {
  const half = lifetimeMs / 2;
  return half >= SHORTEST_RENEW_FLOOR_MS && half < MIN_RENEW_AFTER_MS ? half : MIN_RENEW_AFTER_MS;
}

/** When a token whose lifetime nobody told us is treated as due (the provider sent no expires_in and no JWT exp). */
export const UNKNOWN_LIFETIME_RENEW_AFTER_MS = 10 * 60_000;

/** When a token written at `writtenMs` with a lifetime of `lifetimeMs` (undefined: unknown) is due. */
export function renewAfterWriteMs(writtenMs: number, lifetimeMs: number | undefined, fraction: number): number {
  if (lifetimeMs === undefined || !Number.isFinite(lifetimeMs)) return writtenMs + UNKNOWN_LIFETIME_RENEW_AFTER_MS;
  return writtenMs + Math.max(renewFloorMs(lifetimeMs), lifetimeMs * fraction);
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
  const due = renewAfterWriteMs(writtenMs, lifetimeMs, fraction);
  if (use.expEpochS === undefined) return due;
  // Never later than shortly before the token's own expiry, whatever expires_in said; never sooner than the floor.
  const expMs = use.expEpochS * 1000;
  const latest = expMs - Math.min(RENEW_BEFORE_EXPIRY_MS, Math.max(0, expMs - writtenMs) / 4);
  return Math.max(writtenMs + renewFloorMs(expMs - writtenMs), Math.min(due, latest));
}
