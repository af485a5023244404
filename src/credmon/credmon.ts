import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CredmonConfig } from '../config/index.js';
import {
  formatLocalUseFile,
  formatOAuthTopFile,
  formatOAuthUseFile,
  parseMetaFile,
  parseTopFile,
  parseUseFile,
  type CredentialDirectory,
  type MetaFile,
} from '../credentials/index.js';
import type { LocalIssuer } from '../issuer/index.js';
import { backoffDelayMs, refreshAccessToken } from '../oauth/index.js';
import { CredentialFileInvalid, RefreshRejected, RefreshUnavailable, describeError } from '../shared/errors.js';
import { createLimiter } from './limiter.js';
import { MIN_RENEW_AFTER_MS, UNKNOWN_LIFETIME_RENEW_AFTER_MS, renewAtMs, renewalFraction } from './renewal.js';

export interface CredmonOptions {
  readonly config: CredmonConfig;
  readonly directory: CredentialDirectory;
  /** The local issuer, or why it is unavailable (a missing or bad key): OAuth refreshing goes on without it. */
  readonly issuer: LocalIssuer | Error;
  readonly log: Logger;
  /** Clock in epoch milliseconds (injected by tests). */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly random?: () => number;
  /** Token-endpoint requests in flight at once. */
  readonly refreshConcurrency?: number;
}

export interface ScanSummary {
  readonly users: number;
  readonly usersRead: number;
  readonly issued: number;
  readonly refreshesStarted: number;
  readonly durationMs: number;
}

type Kind = 'local' | 'oauth';

interface CredentialState {
  kind: Kind;
  /** When to look at this credential again (epoch ms); Infinity = only when its directory changes. */
  dueMs: number;
  failures: number;
  /** mtime of the .top whose refresh token the provider rejected: no retry until the .top changes. */
  rejectedTopMtimeMs?: number | undefined;
  /** The last problem logged, so a broken file is reported once, not every scan. */
  problem?: string | undefined;
}

interface UserState {
  version: string;
  credentials: Map<string, CredentialState>;
}

/**
 * The credential monitor. One serial scan loop, woken by a timer or by SIGHUP (`wake()`), that:
 * - signs a local SciToken for every `<user>/<LOCAL_CREDMON_PROVIDER_NAME>.top` that asks for one (raw user name, as
 *   the credd's LOCAL store writes) and lacks a fresh `.use`;
 * - refreshes OAuth `.use` files (those with a `.meta`) before they expire, in the background with a concurrency
 *   limit, so a slow provider never delays the local tokens a waiting condor_submit needs;
 * - removes CHECK_CREDS key files older than the configured lifetime;
 * - touches CREDMON_COMPLETE.
 * A scan re-reads only user directories whose mtime changed and credentials that are due, so a SIGHUP costs one
 * readdir plus one stat per user, however many users there are. One user's bad files never stop the others.
 *
 * Events: `credential.issued` / `credential.refreshed` / `credential.refresh_failed` ({user, name}),
 * `scan.completed` (ScanSummary).
 */
export class Credmon extends EventEmitter {
  private readonly config: CredmonConfig;
  private readonly dir: CredentialDirectory;
  private readonly issuer: LocalIssuer | Error;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly random: () => number;
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly users = new Map<string, UserState>();
  private readonly refusedLogged = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Refreshes in flight by `user/name`: survives a re-read of the user's directory, so one credential never has two. */
  private readonly refreshing = new Map<string, Promise<void>>();
  private wakeRequested = false;
  private stopping = false;
  private wakeSleeper: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: CredmonOptions) {
    super();
    this.config = options.config;
    this.dir = options.directory;
    this.issuer = options.issuer;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.fetchImpl = options.fetch;
    this.random = options.random ?? Math.random;
    this.limit = createLimiter(options.refreshConcurrency ?? 8);
  }

  /** Writes the pid file, clears CREDMON_COMPLETE and starts the loop. Resolves after the first scan. */
  async start(pid = process.pid): Promise<void> {
    await this.dir.writePid(pid);
    await this.dir.removeCompleteMarker();
    const first = new Promise<void>((resolve) => this.once('scan.completed', () => resolve()));
    this.loop = this.run();
    await Promise.race([first, this.loop]);
  }

  /** Asks for a scan now (SIGHUP). Several requests during one scan give one more scan, not many. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeSleeper?.();
  }

  /** Stops after the current scan and waits for refreshes in flight (each bounded by the HTTP timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSleeper?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Waits for background refreshes started so far (tests and benchmarks use it). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.wakeRequested = false;
      try {
        await this.scanOnce();
      } catch (error) {
        this.log.error({ err: describeError(error) }, 'Fatal error while scanning for tokens; will retry');
      }
      if (this.stopping) break;
      if (!this.wakeRequested) await this.sleep(this.nextSleepMs());
    }
  }

  private nextSleepMs(): number {
    const intervalMs = this.config.scanIntervalS * 1000;
    let earliest = Infinity;
    for (const [user, u] of this.users)
      for (const [name, c] of u.credentials) if (!this.refreshing.has(`${user}/${name}`)) earliest = Math.min(earliest, c.dueMs);
    return Math.max(1000, Math.min(intervalMs, earliest - this.now()));
  }

  private sleep(ms: number): Promise<void> {
    this.log.debug(`Sleeping for ${Math.round(ms / 1000)} seconds`);
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = () => {
        this.wakeSleeper = undefined;
        done();
      };
    });
  }

  /** One full pass. Public for tests; the loop calls it. */
  async scanOnce(): Promise<ScanSummary> {
    const started = this.now();
    let usersRead = 0;
    let issued = 0;
    let refreshesStarted = 0;
    const { users, refused } = await this.dir.listUserDirectories();
    for (const name of refused) {
      if (this.refusedLogged.has(name)) continue;
      this.refusedLogged.add(name);
      this.log.warn({ entry: name }, 'Ignoring a directory in the credential directory whose name is not a valid user name');
    }
    const seen = new Set<string>();
    for (const { user, version } of users) {
      seen.add(user);
      try {
        let state = this.users.get(user);
        if (!state || state.version !== version) {
          state = await this.readUser(user, version, state);
          this.users.set(user, state);
          usersRead++;
        }
        for (const [name, cred] of state.credentials) {
          if (this.refreshing.has(`${user}/${name}`) || cred.dueMs > this.now()) continue;
          try {
            const outcome = cred.kind === 'local' ? await this.checkLocal(user, name, cred) : await this.checkOAuth(user, name, cred);
            if (outcome === 'issued') issued++;
            if (outcome === 'refreshing') refreshesStarted++;
            if (outcome === 'gone') state.credentials.delete(name);
          } catch (error) {
            // One unreadable file (a symlink, a huge file, EACCES) holds back only its own credential.
            cred.failures++;
            this.retryLocalLater(cred);
            this.reportProblem(cred, user, name, `Cannot process ${user}/${name}: ${describeError(error)}`);
          }
        }
      } catch (error) {
        this.log.error({ user, err: describeError(error) }, 'Error while scanning credentials of user; other users continue');
        this.users.delete(user);
      }
    }
    for (const user of this.users.keys()) if (!seen.has(user)) this.users.delete(user);
    await this.cleanupKeyFiles();
    await this.dir.touchCompleteMarker(new Date(this.now()));
    const summary: ScanSummary = { users: users.length, usersRead, issued, refreshesStarted, durationMs: this.now() - started };
    this.log.debug(summary, 'Scan complete');
    this.emit('scan.completed', summary);
    return summary;
  }

  private async readUser(user: string, version: string, previous: UserState | undefined): Promise<UserState> {
    const files = new Set(await this.dir.listUserFiles(user));
    const credentials = new Map<string, CredentialState>();
    const names = new Set<string>();
    for (const f of files) {
      const m = /^(.+)\.(top|use|meta)$/.exec(f);
      if (m?.[1]) names.add(m[1]);
    }
    for (const name of names) {
      const hasMeta = files.has(`${name}.meta`);
      let kind: Kind | undefined;
      if (hasMeta && (files.has(`${name}.use`) || files.has(`${name}.top`))) kind = 'oauth';
      else if (name === this.config.local.providerName && files.has(`${name}.top`)) kind = 'local';
      if (!kind) continue;
      const old = previous?.credentials.get(name);
      if (old && old.kind === kind) {
        // Keep backoff, rejection and in-flight state; look again now unless a backoff is running.
        if (old.failures === 0) old.dueMs = 0;
        credentials.set(name, old);
      } else {
        credentials.set(name, { kind, dueMs: 0, failures: 0 });
      }
    }
    return { version, credentials };
  }

  private reportProblem(cred: CredentialState, user: string, name: string, problem: string, level: 'warn' | 'error' = 'error'): void {
    if (cred.problem === problem) return;
    cred.problem = problem;
    this.log[level]({ user, credential: name }, problem);
  }

  private async checkLocal(user: string, name: string, cred: CredentialState): Promise<'issued' | 'fresh' | 'gone' | 'skipped'> {
    const topFile = await this.dir.readUserFile(user, `${name}.top`);
    if (!topFile) return 'gone';
    try {
      const top = parseTopFile(`${user}/${name}.top`, topFile.content);
      if (top.kind === 'oauth') {
        this.log.debug({ user, credential: name }, 'Leaving an OAuth credential alone (its .top holds a refresh token)');
        cred.dueMs = Infinity;
        return 'skipped';
      }
    } catch (error) {
      this.reportProblem(cred, user, name, `Cannot use ${user}/${name}.top, leaving it as it is: ${describeError(error)}`);
      cred.dueMs = Infinity;
      return 'skipped';
    }
    const useFile = await this.dir.readUserFile(user, `${name}.use`);
    if (useFile) {
      try {
        const use = parseUseFile(`${user}/${name}.use`, useFile.content);
        const due = renewAtMs(use, useFile, 0.5);
        if (due > this.now() && (await this.isCurrent(use.accessToken, user))) {
          cred.dueMs = due;
          return 'fresh';
        }
      } catch (error) {
        this.log.warn({ user, credential: name, err: describeError(error) }, 'Replacing an unreadable .use file');
      }
    }
    this.log.info({ user, credential: name }, `Found ${user}/${name}.top, acquiring SciToken and .use file`);
    try {
      if (this.issuer instanceof Error) throw this.issuer;
      const nowMs = this.now();
      const token = await this.issuer.issue(user, Math.floor(nowMs / 1000));
      const content = formatLocalUseFile(token.jwt, token.lifetimeS, this.config.local.useJson);
      await this.dir.writeUserFile(user, `${name}.use`, content, 0o400, { createDirectory: false });
      cred.dueMs = nowMs + token.lifetimeS * 500;
      cred.failures = 0;
      cred.problem = undefined;
      this.log.info({ user, credential: name }, `Successfully renewed SciToken for user: ${user}`);
      this.emit('credential.issued', { user, name });
      return 'issued';
    } catch (error) {
      cred.failures++;
      this.retryLocalLater(cred);
      this.reportProblem(cred, user, name, `Failed to renew SciToken for user: ${user}: ${describeError(error)}`);
      return 'skipped';
    }
  }

  /** Local work that failed (signing, an unreadable file) is retried soon: the credd waits only 20 s after a submit. */
  private retryLocalLater(cred: CredentialState): void {
    cred.dueMs = this.now() + backoffDelayMs(cred.failures, this.random, 5_000, 5 * 60_000);
  }

  /** A local token is current when today's key verifies it and it names today's issuer, audience and this user. */
  private async isCurrent(token: string, user: string): Promise<boolean> {
    return !(this.issuer instanceof Error) && (await this.issuer.isCurrent(token, user));
  }

  private async checkOAuth(user: string, name: string, cred: CredentialState): Promise<'refreshing' | 'fresh' | 'gone' | 'skipped'> {
    const metaFile = await this.dir.readUserFile(user, `${name}.meta`);
    if (!metaFile) return 'gone';
    let meta: MetaFile;
    try {
      meta = parseMetaFile(`${user}/${name}.meta`, metaFile.content);
    } catch (error) {
      this.reportProblem(cred, user, name, `Cannot refresh ${name} tokens for user ${user}: ${describeError(error)}`);
      cred.dueMs = Infinity;
      return 'skipped';
    }
    const fraction = renewalFraction(meta.tokenUrl);
    const useFile = await this.dir.readUserFile(user, `${name}.use`);
    if (useFile) {
      try {
        const due = renewAtMs(parseUseFile(`${user}/${name}.use`, useFile.content), useFile, fraction);
        if (due > this.now()) {
          cred.dueMs = due;
          return 'fresh';
        }
      } catch (error) {
        this.log.warn({ user, credential: name, err: describeError(error) }, 'The .use file is unreadable; refreshing it');
      }
    }
    if (!meta.useRefreshToken) {
      this.log.debug({ user, credential: name }, 'The provider issued no refresh token; nothing to refresh');
      cred.dueMs = Infinity;
      return 'skipped';
    }
    const topFile = await this.dir.readUserFile(user, `${name}.top`);
    if (!topFile) {
      this.reportProblem(cred, user, name, `Cannot refresh ${name} tokens for user ${user}: ${name}.top is missing`);
      cred.dueMs = Infinity;
      return 'skipped';
    }
    if (cred.rejectedTopMtimeMs === topFile.mtimeMs) {
      cred.dueMs = Infinity;
      return 'skipped';
    }
    let top;
    try {
      top = parseTopFile(`${user}/${name}.top`, topFile.content);
      if (top.kind !== 'oauth' || top.refreshToken === '') throw new CredentialFileInvalid(`${user}/${name}.top`, 'holds no refresh token');
    } catch (error) {
      this.reportProblem(cred, user, name, `Cannot refresh ${name} tokens for user ${user}: ${describeError(error)}`);
      cred.dueMs = Infinity;
      return 'skipped';
    }
    const refreshToken = top.refreshToken;
    const fields = top.fields;
    const key = `${user}/${name}`;
    const guard = { topMtimeMs: topFile.mtimeMs, useMtimeMs: useFile?.mtimeMs };
    const task = this.limit(() => this.refresh(user, name, cred, meta, refreshToken, fields, guard, fraction));
    this.refreshing.set(key, task);
    this.inFlight.add(task);
    const done = (): void => {
      this.refreshing.delete(key);
      this.inFlight.delete(task);
    };
    task.then(done, done);
    return 'refreshing';
  }

  private async refresh(
    user: string,
    name: string,
    cred: CredentialState,
    meta: MetaFile,
    refreshToken: string,
    topFields: Readonly<Record<string, unknown>>,
    guard: { readonly topMtimeMs: number; readonly useMtimeMs: number | undefined },
    fraction: number,
  ): Promise<void> {
    if (this.stopping) return; // queued behind the concurrency limit when SIGTERM came: do not start
    const topMtimeMs = guard.topMtimeMs;
    this.log.info({ user, credential: name }, `Refreshing ${name} tokens for user ${user}`);
    try {
      const response = await refreshAccessToken(meta.tokenUrl, refreshToken, meta, {
        timeoutMs: this.config.refreshTimeoutS * 1000,
        ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}),
      });
      const nowMs = this.now();
      const newRefreshToken = response.refreshToken ?? refreshToken;
      // While the request was out, the user may have logged in again (new .use/.meta/.top) or the credential may have
      // been deleted (condor_store_cred delete-oauth, the credd's sweep): then the answer belongs to nothing any more.
      const [topNow, useNow] = await Promise.all([this.dir.statUserFile(user, `${name}.top`), this.dir.statUserFile(user, `${name}.use`)]);
      if (!topNow || topNow.mtimeMs !== topMtimeMs || useNow?.mtimeMs !== guard.useMtimeMs) {
        this.log.warn({ user, credential: name }, `${name} changed or was removed during the refresh; keeping what is on disk now`);
        cred.dueMs = 0;
        return;
      }
      // .top first: once the provider has rotated the refresh token, the new one must be on disk before anything else
      // can fail. A crash after this leaves a valid refresh token and a stale .use, which the next scan refreshes.
      if (newRefreshToken !== refreshToken) {
        await this.dir.writeUserFile(user, `${name}.top`, formatOAuthTopFile(topFields, newRefreshToken), 0o400, { createDirectory: false });
      }
      await this.dir.writeUserFile(user, `${name}.use`, formatOAuthUseFile(response.raw, Math.floor(nowMs / 1000)), 0o400, { createDirectory: false });
      cred.failures = 0;
      cred.problem = undefined;
      cred.rejectedTopMtimeMs = undefined;
      cred.dueMs =
        response.expiresInS !== undefined
          ? nowMs + Math.max(MIN_RENEW_AFTER_MS, response.expiresInS * 1000 * fraction)
          : nowMs + UNKNOWN_LIFETIME_RENEW_AFTER_MS;
      this.log.info({ user, credential: name, rotated: newRefreshToken !== refreshToken }, `Successfully refreshed ${name} tokens for user ${user}`);
      this.emit('credential.refreshed', { user, name });
    } catch (error) {
      this.emit('credential.refresh_failed', { user, name, code: (error as { code?: string }).code });
      if (error instanceof RefreshRejected) {
        cred.rejectedTopMtimeMs = topMtimeMs;
        cred.dueMs = Infinity;
        cred.problem = undefined;
        this.reportProblem(
          cred,
          user,
          name,
          `Failed to refresh ${name} tokens for user ${user}: ${error.message}. The user must log in again: as ${user}, run ` +
            `"condor_store_cred delete-oauth -s ${name}" and submit again to get a new login URL. No file was changed.`,
        );
        return;
      }
      cred.failures++;
      const delayMs = backoffDelayMs(cred.failures, this.random);
      cred.dueMs = this.now() + delayMs;
      const kind = error instanceof RefreshUnavailable ? 'temporarily' : 'unexpectedly';
      this.log.warn(
        { user, credential: name, attempt: cred.failures, retryInS: Math.round(delayMs / 1000) },
        `Failed to refresh ${name} tokens for user ${user} (${kind}): ${describeError(error)}`,
      );
    }
  }

  private async cleanupKeyFiles(): Promise<void> {
    const maxAgeMs = this.config.keyFileLifetimeS * 1000;
    for (const key of await this.dir.listKeyFiles()) {
      if (this.now() - key.ctimeMs <= maxAgeMs) continue;
      await this.dir.removeKeyFile(key.name);
      this.log.info(`Removing stale key file ${key.name.slice(0, 8)}…`);
    }
  }
}
