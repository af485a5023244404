import {
  CREDENTIAL_FILE,
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
import { tokenDigest, type LocalIssuer } from '../issuer/index.js';
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

/**
 * What renewal found or did. `digest` (issued, fresh): the tokenDigest of the token now in the `.use`, which the
 * credential table keeps and sends with the next job; undefined for the empty token of a refused user, which has no
 * signature to verify.
 */
export type LocalOutcome =
  | { readonly kind: 'issued'; readonly dueMs: number; readonly life: UseLife; readonly digest: string | undefined }
  | { readonly kind: 'fresh'; readonly dueMs: number; readonly life: UseLife; readonly digest: string | undefined }
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

/** What the caller already knows of a local credential, to spare work. */
export interface KnownLocal {
  /** False: the listing showed no `.use`, so it is not read (default true). */
  readonly hasUse?: boolean;
  /** The user directory was just checked to be a real one (default false: the write checks it). */
  readonly directoryChecked?: boolean;
  /** The digest of the token the credmon last wrote or verified for it: that token is not verified again. */
  readonly digest?: string | undefined;
}

/**
 * Looks at one local credential and signs a new token when its `.use` is missing, unreadable, due, or not what this
 * issuer would sign now (another key, issuer, audience or subject). Synchronous; never throws.
 */
export function renewLocalCredential(
  ctx: LocalRenewalContext,
  user: string,
  name: string,
  nowMs: number,
  known: KnownLocal = {},
): LocalOutcome {
  let files;
  try {
    files = readLocalCredentialSync(ctx.directory, user, name, { readUse: known.hasUse ?? true });
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
      if (dueMs > nowMs && issuer.isCurrent(use.accessToken, user, known.digest)) {
        return { kind: 'fresh', dueMs, life: useLifeOf(use, files.use), digest: digestOf(use.accessToken) };
      }
    } catch {
      // An unreadable .use (a crash, a power loss, a hand edit) is simply replaced.
    }
  }
  try {
    if (issuer instanceof Error) throw issuer;
    const token = issuer.issue(user, Math.floor(nowMs / 1000));
    const content = formatLocalUseFile(token.jwt, token.lifetimeS, issuer.config.useJson);
    writeUseFileSync(ctx.directory, user, name, content, { directoryChecked: known.directoryChecked ?? false });
    const dueMs = renewAfterWriteMs(nowMs, token.lifetimeS * 1000, LOCAL_RENEWAL_FRACTION);
    return { kind: 'issued', dueMs, life: lifeAfterWrite(nowMs, token.lifetimeS), digest: digestOf(token.jwt) };
  } catch (error) {
    const problem = `Failed to renew SciToken for user: ${user}: ${describeError(error)}`;
    return { kind: error instanceof DiskFull ? 'disk-full' : 'failed', problem };
  }
}

/** The empty token of a refused user has nothing to verify, so nothing to remember. */
function digestOf(jwt: string): string | undefined {
  return jwt === '' ? undefined : tokenDigest(jwt);
}

/**
 * One unit of local work: a user whose directory changed (read it all), or named credentials that are due.
 * Plain data and a Map, as jobs cross to the worker threads by structured clone.
 */
export interface LocalJob {
  readonly user: string;
  /** undefined: read the user's directory, report every credential in it and renew its local ones. */
  readonly names?: readonly string[] | undefined;
  /** The directory's version as the scan saw it (taken before the directory is read, so a later change shows). */
  readonly version?: string | undefined;
  /** The digest of each local token the credential table knows for the user, by credential name (KnownLocal). */
  readonly digests?: ReadonlyMap<string, string> | undefined;
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
  const renew = (name: string, listed?: Pick<KnownLocal, 'hasUse' | 'directoryChecked'>): LocalOutcome =>
    renewLocalCredential(ctx, job.user, name, nowMs, { ...listed, digest: job.digests?.get(name) });
  try {
    if (job.names) return { user: job.user, local: job.names.map((name) => ({ name, outcome: renew(name) })) };
    const version = versionOf(job.user);
    const listing = ctx.directory.readUserDirectorySync(job.user, ctx.processStartMs);
    const credentials = listing.exists
      ? classifyCredentials(job.user, listing.files, [...ctx.issuers.keys()], ctx.handles, ctx.clientProviders)
      : [];
    // The listing just checked the directory and shows which `.use` files exist: a new user's absent `.use` is not
    // opened, and the directory is not checked again before the write (two system calls fewer per new token).
    const files = new Set(listing.files);
    const local = credentials
      .filter((c) => c.kind === 'local')
      .map((c) => ({
        name: c.name,
        outcome: renew(c.name, { hasUse: files.has(CREDENTIAL_FILE.use(c.name)), directoryChecked: true }),
      }));
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
