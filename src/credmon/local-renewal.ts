import {
  classifyCredentials,
  formatLocalUseFile,
  parseTopFile,
  parseUseFile,
  providerOfCredential,
  readLocalCredentialSync,
  writeUseFileSync,
  type CredentialDirectory,
  type CredentialRef,
} from '../credentials/index.js';
import type { LocalIssuer } from '../issuer/index.js';
import { DiskFull, describeError } from '../shared/errors.js';
import {
  LOCAL_RENEWAL_FRACTION,
  lifeAfterWrite,
  renewAfterWriteMs,
  renewAtMs,
  useLifeOf,
  type UseLife,
} from './renewal.js';

/**
 * What local renewal needs. A worker thread builds its own (local-worker.ts): a CredentialDirectory on the same root
 * and issuers from the same configuration and keys.
 */
export interface LocalRenewalContext {
  readonly directory: CredentialDirectory;
  /** The issuer, or why there is none (a missing or bad key): then local credentials fail and OAuth goes on. */
  readonly issuers: ReadonlyMap<string, LocalIssuer | Error>;
  /** Credential names are `<provider>_<handle>` (25.x rules) rather than whole provider names (23.9). */
  readonly handles: boolean;
  /** The client-credentials providers: a listing reports their credentials (kind `client`) for the refresher. */
  readonly clientProviders: readonly string[];
  /** When this credmon started (epoch ms): temp files older than it with our pid are a predecessor's. */
  readonly processStartMs: number;
}

export type LocalOutcome =
  | { readonly kind: 'issued'; readonly dueMs: number; readonly life: UseLife }
  | { readonly kind: 'fresh'; readonly dueMs: number; readonly life: UseLife }
  /** The `.top` is gone: the credential was deleted. */
  | { readonly kind: 'gone' }
  /** The `.top` holds a refresh token: an OAuth credential that the local issuer must never touch. */
  | { readonly kind: 'not-local' }
  /** A file cannot be used as it is: nothing to do until it changes. */
  | { readonly kind: 'invalid'; readonly problem: string }
  /** Signing or writing failed: retry soon. */
  | { readonly kind: 'failed'; readonly problem: string }
  /** No space for the new `.use` (the old one is kept): retry soon; reported once per incident, not per token. */
  | { readonly kind: 'disk-full'; readonly problem: string };

/**
 * Looks at one local credential and signs a new token when its `.use` is missing, unreadable, due, or not what this
 * issuer would sign now (another key, issuer, audience or subject). Synchronous; never throws.
 */
export function renewLocalCredential(
  ctx: LocalRenewalContext,
  user: string,
  name: string,
  nowMs: number,
  known: { readonly hasUse: boolean; readonly directoryChecked: boolean } = { hasUse: true, directoryChecked: false },
): LocalOutcome {
  let files;
  try {
    files = readLocalCredentialSync(ctx.directory, user, name, { readUse: known.hasUse });
  } catch (error) {
    return { kind: 'invalid', problem: `Cannot use ${user}/${name}: ${describeError(error)}` };
  }
  if (!files.top) return { kind: 'gone' };
  const issuer =
    ctx.issuers.get(providerOfCredential(name, ctx.handles) ?? '') ?? new Error(`${name} belongs to no local provider`);
  try {
    if (parseTopFile(`${user}/${name}.top`, files.top.content).kind === 'oauth') return { kind: 'not-local' };
  } catch (error) {
    return { kind: 'invalid', problem: `Cannot use ${user}/${name}.top, leaving it as it is: ${describeError(error)}` };
  }
  if (files.use && !(files.use instanceof Error) && !(issuer instanceof Error)) {
    try {
      const use = parseUseFile(`${user}/${name}.use`, files.use.content, { allowEmptyToken: true });
      const dueMs = renewAtMs(use, files.use, LOCAL_RENEWAL_FRACTION);
      if (dueMs > nowMs && issuer.isCurrent(use.accessToken, user)) {
        return { kind: 'fresh', dueMs, life: useLifeOf(use, files.use) };
      }
    } catch {
      // An unreadable .use (a crash, a power loss, a hand edit) is simply replaced.
    }
  }
  try {
    if (issuer instanceof Error) throw issuer;
    const token = issuer.issue(user, Math.floor(nowMs / 1000));
    const content = formatLocalUseFile(token.jwt, token.lifetimeS, issuer.config.useJson);
    writeUseFileSync(ctx.directory, user, name, content, { directoryChecked: known.directoryChecked });
    const dueMs = renewAfterWriteMs(nowMs, token.lifetimeS * 1000, LOCAL_RENEWAL_FRACTION);
    return { kind: 'issued', dueMs, life: lifeAfterWrite(nowMs, token.lifetimeS) };
  } catch (error) {
    const problem = `Failed to renew SciToken for user: ${user}: ${describeError(error)}`;
    return { kind: error instanceof DiskFull ? 'disk-full' : 'failed', problem };
  }
}

/** One unit of local work: a user whose directory changed (read it all), or named credentials that are due. */
export interface LocalJob {
  readonly user: string;
  /** undefined: read the user's directory, report every credential in it and renew its local ones. */
  readonly names?: readonly string[] | undefined;
  /** The directory's version as the scan saw it (taken before the directory is read, so a later change shows). */
  readonly version?: string | undefined;
}

export interface LocalJobResult {
  readonly user: string;
  /** Present when the directory was read. */
  readonly listing?: {
    readonly exists: boolean;
    readonly version: string | undefined;
    readonly credentials: readonly CredentialRef[];
    readonly others: ReadonlyArray<{ readonly name: string; readonly type: string }>;
    readonly removedTempFiles: number;
  };
  readonly local: ReadonlyArray<{ readonly name: string; readonly outcome: LocalOutcome }>;
  /** The directory could not be read at all. */
  readonly error?: string;
}

/**
 * Runs a batch of LocalJobs in order. Each issuer first evaluates what it needs for all their users at once
 * (LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: one classad_eval for the batch instead of one per user).
 */
export function runLocalJobs(
  ctx: LocalRenewalContext,
  jobs: readonly LocalJob[],
  nowMs: number,
  versionOf: (user: string) => string | undefined,
): LocalJobResult[] {
  const users = jobs.map((job) => job.user);
  for (const issuer of ctx.issuers.values()) if (!(issuer instanceof Error)) issuer.prepare(users);
  return jobs.map((job) => runLocalJob(ctx, job, nowMs, versionOf));
}

/** Runs one LocalJob. `versionOf` gives the directory's version when the job does not carry the scan's. */
export function runLocalJob(
  ctx: LocalRenewalContext,
  job: LocalJob,
  nowMs: number,
  versionOf: (user: string) => string | undefined,
): LocalJobResult {
  try {
    if (job.names) {
      return {
        user: job.user,
        local: job.names.map((name) => ({ name, outcome: renewLocalCredential(ctx, job.user, name, nowMs) })),
      };
    }
    const version = versionOf(job.user);
    const listing = ctx.directory.readUserDirectorySync(job.user, ctx.processStartMs);
    const credentials = listing.exists
      ? classifyCredentials(job.user, listing.files, [...ctx.issuers.keys()], ctx.handles, ctx.clientProviders)
      : [];
    const local = credentials
      .filter((c) => c.kind === 'local')
      .map((c) => ({ name: c.name, outcome: renewLocalCredential(ctx, job.user, c.name, nowMs) }));
    return {
      user: job.user,
      listing: {
        exists: listing.exists,
        version,
        credentials,
        others: listing.others,
        removedTempFiles: listing.removedTempFiles,
      },
      local,
    };
  } catch (error) {
    return { user: job.user, local: [], error: describeError(error) };
  }
}
