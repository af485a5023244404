import {
  readOAuthCredential,
  storeOAuthRefresh,
  type CredentialDirectory,
  type OAuthCredential,
} from '../credentials/index.js';
import { refreshAccessToken, type TokenResponse } from '../oauth/index.js';
import { RefreshRejected, RefreshUnavailable, describeError } from '../shared/errors.js';
import { HeldRefreshToken } from './held-refresh-token.js';
import type { ProviderGate } from './provider-gate.js';
import {
  UNKNOWN_LIFETIME_RENEW_AFTER_MS,
  lifeAfterWrite,
  renewAfterWriteMs,
  renewAtMs,
  renewalFraction,
  useLifeOf,
  type UseLife,
} from './renewal.js';

export interface OAuthRefreshContext {
  readonly directory: CredentialDirectory;
  readonly gate: ProviderGate;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly fetch?: typeof fetch | undefined;
  /** Checked after waiting for the provider's turn: a credmon that is stopping starts no new request. */
  readonly isStopping: () => boolean;
}

export type OAuthOutcome =
  | { readonly kind: 'gone' }
  | { readonly kind: 'fresh'; readonly dueMs: number; readonly life: UseLife }
  /** A file cannot be used as it is (broken `.meta`, `.top` without refresh token): wait until it changes. */
  | { readonly kind: 'invalid'; readonly problem: string }
  /** The provider gave no refresh token at login: nothing to refresh, ever. */
  | { readonly kind: 'no-refresh-token' }
  /** The provider rejected this very `.top` before; waiting for a new login. */
  | { readonly kind: 'still-rejected' }
  /** `heldWritten`: the refresh token held in memory (after a full disk) is in the `.top` now, or a newer one is. */
  | {
      readonly kind: 'refreshed';
      readonly dueMs: number;
      readonly life: UseLife;
      readonly rotated: boolean;
      readonly heldWritten?: boolean;
    }
  /**
   * The refresh worked but the disk is full: the old `.use` (and `.top`) are kept. `held`: the newest refresh token
   * when the `.top` could not take it (in memory only, until written); undefined when the `.top` holds the newest.
   */
  | { readonly kind: 'disk-full'; readonly problem: string; readonly held: HeldRefreshToken | undefined }
  /** A new login or a deletion happened while the request was out; what is on disk now wins. */
  | { readonly kind: 'superseded' }
  /** `life`, on a failure: the `.use` on disk, still expiring as before. */
  | { readonly kind: 'rejected'; readonly problem: string; readonly topMtimeMs: number; readonly life?: UseLife }
  | {
      readonly kind: 'unavailable';
      readonly problem: string;
      readonly retryAfterMs: number | undefined;
      readonly life?: UseLife;
    }
  | { readonly kind: 'stopped' };

/** The provider key of a token endpoint: its origin (per-provider limits are per origin). */
export function providerOf(tokenUrl: string): string {
  try {
    return new URL(tokenUrl).origin;
  } catch {
    return tokenUrl;
  }
}

/** What the scheduler remembers of a credential's last refresh (see Schedule). */
export interface RefreshMemory {
  readonly rejectedTopMtimeMs: number | undefined;
  readonly held?: HeldRefreshToken | undefined;
}

/**
 * Looks at one OAuth credential and refreshes its `.use` through the provider's gate when it is due. Never throws:
 * every outcome, failures included, is a value the scheduler turns into the next due time. A refresh token held in
 * memory (a full disk kept it out of the `.top`) is used instead of the `.top`'s, and the refresh is made even when
 * the `.use` looks fresh, until the `.top` holds it; it is dropped when a new login has replaced the `.top`.
 */
export async function refreshOAuthCredential(
  ctx: OAuthRefreshContext,
  user: string,
  name: string,
  memory: RefreshMemory,
): Promise<OAuthOutcome> {
  let credential;
  try {
    credential = readOAuthCredential(ctx.directory, user, name);
  } catch (error) {
    return { kind: 'invalid', problem: `Cannot refresh ${name} tokens for user ${user}: ${describeError(error)}` };
  }
  if (!credential) return { kind: 'gone' };
  const { meta, use, top } = credential;
  const held = top && memory.held?.belongsTo(top.mtimeMs) ? memory.held : undefined;
  const fraction = renewalFraction(meta.tokenUrl);
  const onDisk = use && 'file' in use ? { life: useLifeOf(use.file, use.info) } : {};
  if (use && 'file' in use && !held) {
    const dueMs = renewAtMs(use.file, use.info, fraction);
    if (dueMs > ctx.now()) return { kind: 'fresh', dueMs, life: useLifeOf(use.file, use.info) };
  }
  if (!meta.useRefreshToken) return { kind: 'no-refresh-token' };
  if (!top)
    return { kind: 'invalid', problem: `Cannot refresh ${name} tokens for user ${user}: ${name}.top is missing` };
  if (memory.rejectedTopMtimeMs === top.mtimeMs && !held) return { kind: 'still-rejected' };

  const provider = providerOf(meta.tokenUrl);
  const refreshToken = held?.reveal() ?? top.refreshToken;
  // The provider's slot is held for the request only: writing the answer is not a request to it.
  const answer = await ctx.gate.run(provider, async (): Promise<OAuthOutcome | TokenResponse> => {
    if (ctx.isStopping()) return { kind: 'stopped' };
    try {
      const response = await refreshAccessToken(meta.tokenUrl, refreshToken, meta, {
        timeoutMs: ctx.timeoutMs,
        ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
      });
      ctx.gate.succeeded(provider);
      return response;
    } catch (error) {
      if (error instanceof RefreshRejected) {
        return {
          kind: 'rejected',
          topMtimeMs: top.mtimeMs,
          ...onDisk,
          problem:
            `Failed to refresh ${name} tokens for user ${user}: ${error.message}. ` +
            `The user must log in again: as ${user}, run "condor_store_cred delete-oauth -s ${name}" ` +
            `and submit again to get a new login URL. No file was changed.`,
        };
      }
      const outcome = { ...unavailableOutcome(error, `Failed to refresh ${name} tokens for user ${user}`), ...onDisk };
      ctx.gate.failed(provider, outcome.retryAfterMs);
      return outcome;
    }
  });
  if ('kind' in answer) return answer;
  try {
    return await storeAnswer(ctx, { user, name, credential, top, held, refreshToken, fraction }, answer);
  } catch (error) {
    // A write that fails otherwise than for space (DiskFull is an outcome of its own): tried again later, as a
    // failure that may pass; the provider, which answered, is not slowed down for it.
    return { ...unavailableOutcome(error, `Cannot store the refreshed ${name} tokens of user ${user}`), ...onDisk };
  }
}

interface AnsweredRefresh {
  readonly user: string;
  readonly name: string;
  readonly credential: OAuthCredential;
  readonly top: NonNullable<OAuthCredential['top']>;
  readonly held: HeldRefreshToken | undefined;
  /** The refresh token the request was made with. */
  readonly refreshToken: string;
  readonly fraction: number;
}

/** Writes a refresh's answer (storeOAuthRefresh) and says what it did. */
async function storeAnswer(
  ctx: OAuthRefreshContext,
  refresh: AnsweredRefresh,
  response: TokenResponse,
): Promise<OAuthOutcome> {
  const { user, name, credential, top, held, fraction } = refresh;
  const nowMs = ctx.now();
  // The newest refresh token: the one sent back, or else the one just used (which may be the held one).
  const newest = response.refreshToken ?? refresh.refreshToken;
  const stored = await storeOAuthRefresh(
    ctx.directory,
    user,
    name,
    credential,
    { response: response.raw, rotatedRefreshToken: newest },
    Math.floor(nowMs / 1000),
  );
  if (stored.kind === 'superseded') return { kind: 'superseded' };
  if (stored.kind === 'disk-full') {
    const keep = !stored.topWritten && newest !== top.refreshToken;
    return {
      kind: 'disk-full',
      held: keep ? new HeldRefreshToken(newest, top.mtimeMs) : undefined,
      problem: `Cannot store the refreshed ${name} tokens of user ${user}: ${describeError(stored.error)}`,
    };
  }
  const lifetimeMs = response.expiresInS !== undefined ? response.expiresInS * 1000 : undefined;
  return {
    kind: 'refreshed',
    dueMs:
      lifetimeMs === undefined
        ? nowMs + UNKNOWN_LIFETIME_RENEW_AFTER_MS
        : renewAfterWriteMs(nowMs, lifetimeMs, fraction),
    life: lifeAfterWrite(nowMs, response.expiresInS),
    rotated: newest !== top.refreshToken,
    ...(held ? { heldWritten: true } : {}),
  };
}

/**
 * A token endpoint that failed in a way that may pass (RefreshUnavailable: its Retry-After kept), or unexpectedly:
 * `what` (temporarily|unexpectedly): the reason. Both grants, refresh and client credentials, say it so.
 */
export function unavailableOutcome(
  error: unknown,
  what: string,
): { readonly kind: 'unavailable'; readonly problem: string; readonly retryAfterMs: number | undefined } {
  const retryAfterMs =
    error instanceof RefreshUnavailable && error.retryAfterS !== undefined ? error.retryAfterS * 1000 : undefined;
  const how = error instanceof RefreshUnavailable ? 'temporarily' : 'unexpectedly';
  return { kind: 'unavailable', retryAfterMs, problem: `${what} (${how}): ${describeError(error)}` };
}
