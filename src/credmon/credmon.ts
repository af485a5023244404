import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { CredmonConfig } from '../config/index.js';
import { isSafeName, providerOfCredential, type CredentialDirectory, type CredentialRef } from '../credentials/index.js';
import type { LocalIssuer } from '../issuer/index.js';
import { describeError } from '../shared/errors.js';
import { runLocalJobs, type LocalJob, type LocalJobResult, type LocalOutcome, type LocalRenewalContext } from './local-renewal.js';
import { LocalWorkPool } from './local-work-pool.js';
import { refreshOAuthCredential, type OAuthOutcome, type OAuthRefreshContext } from './oauth-refresh.js';
import { ProviderGate } from './provider-gate.js';
import {
  LOCAL_RETRY,
  PROVIDER_RETRY,
  directoryChanged,
  earliestDueMs,
  failedTransiently,
  isDue,
  isNewProblem,
  newSchedule,
  rejected,
  succeeded,
  waitForChange,
  type Schedule,
} from './schedule.js';

export interface CredmonOptions {
  readonly config: CredmonConfig;
  readonly directory: CredentialDirectory;
  /** The local issuer, or why it is unavailable (a missing or bad key): OAuth refreshing goes on without it. */
  readonly issuer: LocalIssuer | Error;
  /** Every local provider's issuer (or why it has none), by provider name; default: `issuer` for config.local. */
  readonly issuers?: ReadonlyMap<string, LocalIssuer | Error>;
  readonly log: Logger;
  /** Clock in epoch milliseconds (injected by tests). */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly random?: () => number;
  /** Local jobs (users) above which work goes to the worker threads; at or below, the main thread does it at once. */
  readonly bulkThreshold?: number;
  /** Bulk work up to this many jobs stays on the main thread, in slices; above, it goes to worker threads. */
  readonly mainThreadMaxJobs?: number;
}

export interface ScanSummary {
  readonly users: number;
  readonly usersRead: number;
  readonly issued: number;
  readonly refreshesStarted: number;
  readonly durationMs: number;
}

export interface CredentialEvent {
  readonly user: string;
  readonly name: string;
}

/** The credmon's typed events. */
export interface CredmonEvents {
  'credential.issued': [CredentialEvent];
  'credential.refreshed': [CredentialEvent & { readonly rotated: boolean }];
  'credential.refresh_failed': [CredentialEvent & { readonly code: 'ERR_REFRESH_REJECTED' | 'ERR_REFRESH_UNAVAILABLE' }];
  'scan.completed': [ScanSummary];
}

interface Tracked {
  readonly ref: CredentialRef;
  schedule: Schedule;
  /** A refresh or local job holds it. */
  busy: boolean;
}

/** A SIGHUP that brings at most this many new user directories is served at once on the main thread. */
const FAST_PATH_MAX_USERS = 32;
const DEFAULT_BULK_THRESHOLD = 64;
const DEFAULT_MAIN_THREAD_MAX_JOBS = 1000;
/** Jobs between two turns of the event loop when this thread works through a batch (~10 ms). */
const MAIN_THREAD_SLICE = 50;

/**
 * The credential monitor: a scheduler over the credential directory.
 * - A scan (timer, SIGHUP, or a due time) stats every user directory; changed ones are read, and each credential in
 *   them gets a Schedule (schedule.ts). Unchanged users cost one stat.
 * - Local credentials (local-renewal.ts) are signed and written synchronously: small batches on the main thread,
 *   bulk on worker threads (local-work-pool.ts).
 * - OAuth credentials (oauth-refresh.ts) refresh in the background, through a per-provider gate (provider-gate.ts).
 * - A SIGHUP that brings a new user directory is served first, on the main thread, even while a bulk issuance runs:
 *   the credd waits only 20 s for that user's `.use`.
 * One credential's failure never affects another's.
 */
export class Credmon extends EventEmitter<CredmonEvents> {
  private readonly config: CredmonConfig;
  private readonly dir: CredentialDirectory;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly bulkThreshold: number;
  private readonly mainThreadMaxJobs: number;
  private readonly local: LocalRenewalContext;
  private readonly oauth: OAuthRefreshContext;
  private readonly pool: LocalWorkPool | undefined;
  private readonly tracked = new Map<string, Tracked>();
  /** The names of each user's tracked credentials (an index into `tracked`). */
  private readonly namesByUser = new Map<string, Set<string>>();
  private readonly userVersions = new Map<string, string>();
  private readonly usersInFlight = new Set<string>();
  private readonly reported = new Set<string>();
  /** Warnings given once per provider (a provider left alone). */
  private readonly warned = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private lastRootVersion: string | undefined;
  /** Entries created in the root since the last SIGHUP, from inotify; undefined: not watching (list instead). */
  private newRootEntries: Set<string> | undefined;
  private rootWatcher: { close(): void } | undefined;
  private wakeRequested = false;
  private stopping = false;
  private wakeSleeper: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: CredmonOptions) {
    super();
    this.config = options.config;
    this.dir = options.directory;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.bulkThreshold = options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
    this.mainThreadMaxJobs = options.mainThreadMaxJobs ?? DEFAULT_MAIN_THREAD_MAX_JOBS;
    const issuers = options.issuers ?? new Map([[this.config.local.providerName, options.issuer]]);
    this.local = {
      root: this.dir.root,
      issuers,
      handles: this.config.handles,
      processStartMs: Date.now() - process.uptime() * 1000,
    };
    this.oauth = {
      directory: this.dir,
      gate: new ProviderGate({ maxConcurrency: this.config.refreshConcurrency, now: this.now }),
      timeoutMs: this.config.refreshTimeoutS * 1000,
      now: this.now,
      fetch: options.fetch,
      isStopping: () => this.stopping,
    };
    const threads = this.config.signingThreads || Math.min(4, availableParallelism());
    this.pool = new LocalWorkPool({
      size: threads,
      setup: {
        root: this.dir.root,
        issuers: [...issuers].map(([provider, issuer]) =>
          issuer instanceof Error
            ? { provider, kind: 'error' as const, message: issuer.message }
            : { provider, kind: 'key' as const, config: issuer.config, key: issuer.key },
        ),
        handles: this.local.handles,
        processStartMs: this.local.processStartMs,
      },
      onWarning: (fields, message) => this.log.warn(fields, message),
    });
  }

  /** Writes the pid file, clears CREDMON_COMPLETE, removes what a crash left, and starts. Resolves after one scan. */
  async start(pid = process.pid): Promise<void> {
    await this.dir.writePid(pid);
    await this.dir.removeCompleteMarker();
    const removed = await this.dir.removeAbandonedTempFiles(this.local.processStartMs);
    if (removed > 0) this.log.info({ removed }, 'Removed temp files that an interrupted write left in the credential directory');
    this.watchRoot();
    const first = new Promise<void>((resolve) => this.once('scan.completed', () => resolve()));
    this.loop = this.run();
    await Promise.race([first, this.loop]);
  }

  /** SIGHUP: serves new users at once, then asks for a scan. Several requests during one scan give one more scan. */
  wake(): void {
    this.wakeRequested = true;
    this.serveNewUsers().catch((error: unknown) => this.log.error({ err: describeError(error) }, 'Error while serving new users'));
    this.wakeSleeper?.();
  }

  /** Stops after the current scan and waits for refreshes in flight (each bounded by the HTTP timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.rootWatcher?.close();
    this.wakeSleeper?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.pool?.close();
  }

  /** Waits for background refreshes started so far (tests and benchmarks use it). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** One full pass. Public for tests; the loop calls it. */
  async scanOnce(): Promise<ScanSummary> {
    const started = this.now();
    const { users, refused } = await this.dir.listUserDirectories();
    for (const name of refused) {
      this.reportOnce(`refused:${name}`, () =>
        this.log.warn({ entry: name }, 'Ignoring a directory in the credential directory whose name is not a valid user name'),
      );
    }
    const seen = new Set<string>();
    const jobs: LocalJob[] = [];
    const dueLocal = this.dueLocalNamesByUser();
    for (const { user, version } of users) {
      seen.add(user);
      if (this.usersInFlight.has(user)) continue;
      if (this.userVersions.get(user) !== version) jobs.push({ user, version });
      else {
        const names = dueLocal.get(user);
        if (names) jobs.push({ user, names });
      }
    }
    for (const user of [...this.userVersions.keys()]) if (!seen.has(user) && !this.usersInFlight.has(user)) this.forgetUser(user);

    let issued = 0;
    let usersRead = 0;
    let refreshesStarted = 0;
    const logEachToken = jobs.length <= this.bulkThreshold;
    await this.runLocalJobs(jobs, (results) => {
      for (const result of results) {
        issued += this.applyJobResult(result, logEachToken);
        if (result.listing) usersRead++;
      }
      // OAuth credentials found in this chunk start refreshing now, not after the last local token is signed.
      refreshesStarted += this.startDueRefreshes();
    });
    refreshesStarted += this.startDueRefreshes();
    await this.sweepKeyFiles();
    await this.dir.touchCompleteMarker(new Date(this.now()));
    const summary: ScanSummary = {
      users: users.length,
      usersRead,
      issued,
      refreshesStarted,
      durationMs: this.now() - started,
    };
    if (issued > this.bulkThreshold) this.log.info(summary, `Signed ${issued} SciTokens in ${summary.durationMs} ms`);
    this.log.debug(summary, 'Scan complete');
    this.emit('scan.completed', summary);
    return summary;
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
    const earliest = earliestDueMs(this.tracked.values()) ?? Infinity;
    return Math.max(1000, Math.min(this.config.scanIntervalS * 1000, earliest - this.now()));
  }

  private sleep(ms: number): Promise<void> {
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

  /**
   * The SIGHUP fast path: when the credential directory itself changed (the credd created a user directory for a
   * first submit), read only the new users, sign their tokens on the main thread and write them, before any scan.
   */
  private async serveNewUsers(): Promise<void> {
    if (this.stopping) return;
    let candidates: string[];
    if (this.newRootEntries) {
      candidates = [...this.newRootEntries];
      this.newRootEntries.clear();
    } else {
      const version = this.dir.rootVersion();
      if (version === this.lastRootVersion) return;
      this.lastRootVersion = version;
      candidates = (await this.dir.listUserNames()).users;
      if (this.rootWatcher) this.newRootEntries = new Set(); // listed once after a flood: back to the hint
    }
    let fresh = candidates.filter((u) => !this.userVersions.has(u) && !this.usersInFlight.has(u) && isSafeName(u));
    if (fresh.length > FAST_PATH_MAX_USERS) {
      // Many new directories at once (a burst of first submits, a restore): the scan signs them in bulk; the ones
      // that changed last are the likeliest to have a condor_submit waiting, so they go first.
      const changed = new Map(fresh.map((u) => [u, this.dir.userChangedMs(u) ?? 0]));
      fresh = fresh.sort((a, b) => (changed.get(b) ?? 0) - (changed.get(a) ?? 0)).slice(0, FAST_PATH_MAX_USERS);
    }
    const jobs: LocalJob[] = [];
    for (const user of fresh) {
      const version = this.dir.userVersion(user);
      if (version !== undefined) jobs.push({ user, version }); // else a key file, or gone again
    }
    const versions = new Map(jobs.map((job) => [job.user, job.version]));
    for (const result of runLocalJobs(this.local, jobs, this.now(), (user) => versions.get(user))) {
      this.applyJobResult(result, true);
    }
  }

  /** Starts watching the root for new user directories (the fast path's hint); lists instead when that fails. */
  private watchRoot(): void {
    this.rootWatcher = this.dir.watchRootEntries(
      (name) => {
        const entries = this.newRootEntries;
        if (!entries) return;
        // A flood of entries (a restore, a mass creation) is the scan's job: drop the hint, list at the next SIGHUP.
        if (entries.size >= 10 * FAST_PATH_MAX_USERS) this.newRootEntries = undefined;
        else entries.add(name);
      },
      () => {
        this.rootWatcher = undefined;
        this.newRootEntries = undefined;
      },
    );
    if (this.rootWatcher) this.newRootEntries = new Set();
  }

  /**
   * Runs local jobs; results go to `apply` as they come. A few run at once on this thread; up to
   * `mainThreadMaxJobs` run on this thread too, in slices that let a SIGHUP in between (starting threads would cost
   * more than the work); more go to the worker threads.
   */
  private async runLocalJobs(jobs: readonly LocalJob[], apply: (results: LocalJobResult[]) => void): Promise<void> {
    if (jobs.length === 0) return;
    const nowMs = this.now();
    const versionOf = (user: string): string | undefined => this.dir.userVersion(user);
    const runHere = (some: readonly LocalJob[]): void => apply(runLocalJobs(this.local, some, nowMs, versionOf));
    if (jobs.length <= this.bulkThreshold || !this.pool) {
      runHere(jobs);
      return;
    }
    for (const job of jobs) this.usersInFlight.add(job.user);
    this.markBusy(jobs, true);
    const pending = new Map(jobs.map((job) => [job.user, job]));
    const done = (results: LocalJobResult[]): void => {
      for (const result of results) {
        const job = pending.get(result.user);
        pending.delete(result.user);
        this.usersInFlight.delete(result.user);
        if (job) this.markBusy([job], false);
      }
      apply(results);
    };
    try {
      if (jobs.length <= this.mainThreadMaxJobs) {
        for (let i = 0; i < jobs.length; i += MAIN_THREAD_SLICE) {
          if (i > 0) await new Promise((resolve) => setImmediate(resolve));
          done(runLocalJobs(this.local, jobs.slice(i, i + MAIN_THREAD_SLICE), nowMs, versionOf));
        }
      } else await this.pool.run(jobs, nowMs, done);
    } catch (error) {
      this.log.error({ err: describeError(error) }, 'Signing threads failed; signing on the main thread');
      runHere([...pending.values()]);
    } finally {
      for (const job of jobs) this.usersInFlight.delete(job.user);
      this.markBusy(jobs, false);
    }
  }

  private markBusy(jobs: readonly LocalJob[], busy: boolean): void {
    for (const job of jobs)
      for (const name of job.names ?? []) {
        const entry = this.tracked.get(keyOf(job.user, name));
        if (entry) entry.busy = busy;
      }
  }

  /** Applies what one local job found and did; returns how many tokens it issued. */
  private applyJobResult(result: LocalJobResult, logEachToken: boolean): number {
    const { user } = result;
    if (result.error !== undefined) {
      this.reportOnce(`user:${user}:${result.error}`, () =>
        this.log.error({ user, err: result.error }, 'Error while scanning credentials of user; other users continue'),
      );
      return 0;
    }
    if (result.listing) {
      const { listing } = result;
      if (!listing.exists || listing.version === undefined) {
        this.forgetUser(user);
        return 0;
      }
      this.userVersions.set(user, listing.version);
      if (listing.removedTempFiles > 0) this.log.info({ user, removed: listing.removedTempFiles }, 'Removed temp files of an interrupted write');
      for (const other of listing.others) {
        this.reportOnce(`other:${user}/${other.name}:${other.type}`, () =>
          this.log.warn({ user, entry: other.name }, `Skipping ${user}/${other.name}: it is ${other.type}, not a regular file`),
        );
      }
      const present = new Set(listing.credentials.map((c) => c.name));
      for (const name of [...(this.namesByUser.get(user) ?? [])]) if (!present.has(name)) this.untrack(user, name);
      for (const ref of listing.credentials) {
        const key = keyOf(user, ref.name);
        const entry = this.tracked.get(key);
        if (entry && entry.ref.kind === ref.kind) entry.schedule = directoryChanged(entry.schedule, ref.kind);
        else this.track({ ref, schedule: newSchedule(), busy: false });
      }
    }
    let issued = 0;
    for (const { name, outcome } of result.local) {
      const entry = this.tracked.get(keyOf(user, name));
      if (!entry) continue;
      if (this.applyLocalOutcome(entry, outcome, logEachToken)) issued++;
    }
    return issued;
  }

  private applyLocalOutcome(entry: Tracked, outcome: LocalOutcome, logEachToken: boolean): boolean {
    const { user, name } = entry.ref;
    const log = this.credentialLog(entry.ref);
    switch (outcome.kind) {
      case 'issued':
        entry.schedule = succeeded(outcome.dueMs);
        if (logEachToken) log.info(`Successfully renewed SciToken for user: ${user}`);
        else log.debug(`Successfully renewed SciToken for user: ${user}`);
        this.emit('credential.issued', { user, name });
        return true;
      case 'fresh':
        entry.schedule = succeeded(outcome.dueMs);
        return false;
      case 'gone':
        this.untrack(user, name);
        return false;
      case 'not-local':
        log.debug('Leaving an OAuth credential alone (its .top holds a refresh token)');
        entry.schedule = waitForChange(entry.schedule);
        return false;
      case 'invalid':
        if (isNewProblem(entry.schedule, outcome.problem)) log.error(outcome.problem);
        entry.schedule = waitForChange(entry.schedule, outcome.problem);
        return false;
      case 'failed':
        if (isNewProblem(entry.schedule, outcome.problem)) log.error(outcome.problem);
        entry.schedule = failedTransiently(entry.schedule, outcome.problem, { nowMs: this.now(), random: this.random, retry: LOCAL_RETRY });
        return false;
    }
  }

  /**
   * Whether this credmon refreshes OAuth credential `name`, as upstream's OAuthCredmon.check_access_token decides: its
   * provider (the name up to the first `_` with 25.x rules) is in OAUTH2_CREDMON_PROVIDER_NAMES (or that is `*`), and
   * `<provider>_CLIENT_ID` is configured. Others are left alone; a provider without a client is logged once.
   */
  private refreshesOAuth(name: string): boolean {
    const provider = providerOfCredential(name, this.config.handles);
    if (provider === undefined) {
      this.warnOnce(`trailing:${name}`, 'warn', `Skipping credential ${name} with a trailing underscore`);
      return false;
    }
    const listed = this.config.oauthProviders;
    if (!listed.includes('*') && !listed.includes(provider)) {
      this.warnOnce(`unlisted:${provider}`, 'info', `Leaving ${provider} tokens alone: ${provider} is not in OAUTH2_CREDMON_PROVIDER_NAMES`);
      return false;
    }
    if (!this.config.isOAuthClientConfigured(provider)) {
      this.warnOnce(`client:${provider}`, 'warn', `Ignoring ${provider} tokens, ${provider}_CLIENT_ID not set in config`);
      return false;
    }
    return true;
  }

  private warnOnce(key: string, level: 'info' | 'warn', message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log[level](message);
  }

  private startDueRefreshes(): number {
    let started = 0;
    const nowMs = this.now();
    for (const entry of this.tracked.values()) {
      if (entry.ref.kind !== 'oauth' || entry.busy || !isDue(entry.schedule, nowMs)) continue;
      if (!this.refreshesOAuth(entry.ref.name)) {
        entry.schedule = waitForChange(entry.schedule);
        continue;
      }
      entry.busy = true;
      started++;
      const task = refreshOAuthCredential(this.oauth, entry.ref.user, entry.ref.name, entry.schedule.rejectedTopMtimeMs)
        .then((outcome) => this.applyOAuthOutcome(entry, outcome))
        .catch((error: unknown) => this.credentialLog(entry.ref).error({ err: describeError(error) }, 'Unexpected error while refreshing'))
        .finally(() => {
          entry.busy = false;
          this.inFlight.delete(task);
        });
      this.inFlight.add(task);
    }
    return started;
  }

  private applyOAuthOutcome(entry: Tracked, outcome: OAuthOutcome): void {
    const { user, name } = entry.ref;
    const log = this.credentialLog(entry.ref);
    switch (outcome.kind) {
      case 'gone':
        if (this.tracked.get(keyOf(user, name)) === entry) this.untrack(user, name);
        return;
      case 'fresh':
        entry.schedule = succeeded(outcome.dueMs);
        return;
      case 'invalid':
        if (isNewProblem(entry.schedule, outcome.problem)) log.error(outcome.problem);
        entry.schedule = waitForChange(entry.schedule, outcome.problem);
        return;
      case 'no-refresh-token':
        log.debug('The provider issued no refresh token; nothing to refresh');
        entry.schedule = waitForChange(entry.schedule);
        return;
      case 'still-rejected':
        entry.schedule = waitForChange(entry.schedule);
        return;
      case 'refreshed':
        entry.schedule = succeeded(outcome.dueMs);
        log.info({ rotated: outcome.rotated }, `Successfully refreshed ${name} tokens for user ${user}`);
        this.emit('credential.refreshed', { user, name, rotated: outcome.rotated });
        return;
      case 'superseded':
        log.warn(`${name} changed or was removed during the refresh; keeping what is on disk now`);
        entry.schedule = { ...entry.schedule, dueMs: 0 };
        return;
      case 'rejected':
        log.error(outcome.problem);
        entry.schedule = rejected(outcome.problem, outcome.topMtimeMs);
        this.emit('credential.refresh_failed', { user, name, code: 'ERR_REFRESH_REJECTED' });
        return;
      case 'unavailable': {
        const nowMs = this.now();
        entry.schedule = failedTransiently(entry.schedule, outcome.problem, { nowMs, random: this.random, retry: PROVIDER_RETRY }, outcome.retryAfterMs);
        const retryInS = Math.round((entry.schedule.dueMs - nowMs) / 1000);
        log.warn({ attempt: entry.schedule.failures, retryInS }, outcome.problem);
        this.emit('credential.refresh_failed', { user, name, code: 'ERR_REFRESH_UNAVAILABLE' });
        return;
      }
      case 'stopped':
        return;
    }
  }

  private dueLocalNamesByUser(): Map<string, string[]> {
    const nowMs = this.now();
    const due = new Map<string, string[]>();
    for (const entry of this.tracked.values()) {
      if (entry.ref.kind !== 'local' || entry.busy || !isDue(entry.schedule, nowMs)) continue;
      const names = due.get(entry.ref.user);
      if (names) names.push(entry.ref.name);
      else due.set(entry.ref.user, [entry.ref.name]);
    }
    return due;
  }

  private forgetUser(user: string): void {
    this.userVersions.delete(user);
    for (const name of [...(this.namesByUser.get(user) ?? [])]) if (!this.tracked.get(keyOf(user, name))?.busy) this.untrack(user, name);
  }

  private track(entry: Tracked): void {
    const { user, name } = entry.ref;
    this.tracked.set(keyOf(user, name), entry);
    const names = this.namesByUser.get(user);
    if (names) names.add(name);
    else this.namesByUser.set(user, new Set([name]));
  }

  private untrack(user: string, name: string): void {
    this.tracked.delete(keyOf(user, name));
    const names = this.namesByUser.get(user);
    names?.delete(name);
    if (names?.size === 0) this.namesByUser.delete(user);
  }

  private credentialLog(ref: CredentialRef): Logger {
    return this.log.child({ user: ref.user, credential: ref.name });
  }

  /** Logs a condition once for as long as this process lives (a broken entry is not reported on every scan). */
  private reportOnce(key: string, report: () => void): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    report();
  }

  /** Removes CHECK_CREDS key files older than CREDMON_OAUTH_KEY_FILE_LIFETIME. */
  private async sweepKeyFiles(): Promise<void> {
    const nowMs = this.now();
    const maxAgeMs = this.config.keyFileLifetimeS * 1000;
    for (const key of await this.dir.listKeyFiles()) {
      if (nowMs - key.ctimeMs <= maxAgeMs) continue;
      await this.dir.removeKeyFile(key.name);
      this.log.info(`Removing stale key file ${key.name.slice(0, 8)}…`);
    }
  }
}

function keyOf(user: string, name: string): string {
  return `${user}/${name}`;
}
