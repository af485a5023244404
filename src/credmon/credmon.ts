import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { CredmonConfig } from '../config/index.js';
import type { CredentialDirectory, CredentialRef } from '../credentials/index.js';
import type { LocalIssuer } from '../issuer/index.js';
import { describeError } from '../shared/errors.js';
import { CredentialTable, type Tracked } from './credential-table.js';
import { sweepKeyFiles } from './key-file-sweep.js';
import { runLocalJobs, type LocalJob, type LocalJobResult, type LocalRenewalContext } from './local-renewal.js';
import { runLocal, type LocalRunnerOptions } from './local-runner.js';
import { LocalWorkPool } from './local-work-pool.js';
import { NewUserWatch, pickNewUsers } from './new-users.js';
import { refreshOAuthCredential, type OAuthRefreshContext } from './oauth-refresh.js';
import { oauthRefreshPolicy } from './oauth-policy.js';
import { decideLocal, decideOAuth, type Decision } from './outcomes.js';
import { ProviderGate } from './provider-gate.js';
import { ReportOnce } from './report-once.js';
import { directoryChanged, newSchedule, waitForChange } from './schedule.js';

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

const DEFAULT_BULK_THRESHOLD = 64;
const DEFAULT_MAIN_THREAD_MAX_JOBS = 1000;

/**
 * The credential monitor: a scheduler over the credential directory. Its parts, each in its own module:
 * - credential-table.ts: every credential with its Schedule (schedule.ts: pure transitions);
 * - local-renewal.ts and local-runner.ts: local tokens, signed and written synchronously, small batches on this
 *   thread, bulk on worker threads (local-work-pool.ts);
 * - oauth-refresh.ts: OAuth refreshes in the background, through a per-provider gate (provider-gate.ts), for the
 *   credentials oauth-policy.ts says are ours;
 * - outcomes.ts: what each outcome means (next schedule, log line, event), pure;
 * - new-users.ts: the SIGHUP fast path's new users, served first even while a bulk issuance runs (the credd waits
 *   only 20 s for a new user's `.use`).
 * This class runs the loop: a scan (timer, SIGHUP, or a due time) stats every user directory, reads the changed ones,
 * and starts the work that is due. One credential's failure never affects another's.
 */
export class Credmon extends EventEmitter<CredmonEvents> {
  private readonly config: CredmonConfig;
  private readonly dir: CredentialDirectory;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly local: LocalRenewalContext;
  private readonly oauth: OAuthRefreshContext;
  private readonly runner: LocalRunnerOptions;
  private readonly pool: LocalWorkPool;
  private readonly table = new CredentialTable();
  private readonly newUsers: NewUserWatch;
  private readonly reports = new ReportOnce();
  private readonly inFlight = new Set<Promise<void>>();
  private wakeRequested = false;
  private stopping = false;
  private wakeSleeper: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: CredmonOptions) {
    super();
    const { config } = options;
    this.config = config;
    this.dir = options.directory;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.newUsers = new NewUserWatch(this.dir);
    const issuers = options.issuers ?? new Map([[config.local.providerName, options.issuer]]);
    this.local = { root: this.dir.root, issuers, handles: config.handles, processStartMs: Date.now() - process.uptime() * 1000 };
    this.oauth = {
      directory: this.dir,
      gate: new ProviderGate({ maxConcurrency: config.refreshConcurrency, now: this.now }),
      timeoutMs: config.refreshTimeoutS * 1000,
      now: this.now,
      fetch: options.fetch,
      isStopping: () => this.stopping,
    };
    this.pool = new LocalWorkPool({
      size: config.signingThreads || Math.min(4, availableParallelism()),
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
    this.runner = {
      local: this.local,
      pool: this.pool,
      table: this.table,
      versionOf: (user) => this.dir.userVersion(user),
      bulkThreshold: options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD,
      mainThreadMaxJobs: options.mainThreadMaxJobs ?? DEFAULT_MAIN_THREAD_MAX_JOBS,
      onPoolError: (error) => this.log.error({ err: describeError(error) }, 'Signing threads failed; signing on the main thread'),
    };
  }

  /** Writes the pid file, clears CREDMON_COMPLETE, removes what a crash left, and starts. Resolves after one scan. */
  async start(pid = process.pid): Promise<void> {
    await this.dir.writePid(pid);
    await this.dir.removeCompleteMarker();
    const removed = await this.dir.removeAbandonedTempFiles(this.local.processStartMs);
    if (removed > 0) this.log.info({ removed }, 'Removed temp files that an interrupted write left in the credential directory');
    this.newUsers.start();
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
    this.newUsers.close();
    this.wakeSleeper?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.pool.close();
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
      this.reports.once(`refused:${name}`, () =>
        this.log.warn({ entry: name }, 'Ignoring a directory in the credential directory whose name is not a valid user name'),
      );
    }
    // A changed directory is read whole; an unchanged one costs a stat, and only its due local credentials are renewed.
    const seen = new Set<string>();
    const jobs: LocalJob[] = [];
    const dueLocal = this.table.dueLocalNamesByUser(this.now());
    for (const { user, version } of users) {
      seen.add(user);
      if (this.table.isInFlight(user)) continue;
      if (this.table.userVersion(user) !== version) jobs.push({ user, version });
      else if (dueLocal.has(user)) jobs.push({ user, names: dueLocal.get(user) });
    }
    for (const user of [...this.table.knownUsers()]) {
      if (!seen.has(user) && !this.table.isInFlight(user)) this.table.forgetUser(user);
    }

    let issued = 0;
    let usersRead = 0;
    let refreshesStarted = 0;
    const logEachToken = jobs.length <= this.runner.bulkThreshold;
    await runLocal(this.runner, jobs, this.now(), (results) => {
      for (const result of results) {
        issued += this.applyLocalResult(result, logEachToken);
        if (result.listing) usersRead++;
      }
      // OAuth credentials found in this chunk start refreshing now, not after the last local token is signed.
      refreshesStarted += this.startDueRefreshes();
    });
    refreshesStarted += this.startDueRefreshes();
    await sweepKeyFiles(this.dir, this.now(), this.config.keyFileLifetimeS * 1000, this.log);
    await this.dir.touchCompleteMarker(new Date(this.now()));
    const summary: ScanSummary = { users: users.length, usersRead, issued, refreshesStarted, durationMs: this.now() - started };
    if (issued > this.runner.bulkThreshold) this.log.info(summary, `Signed ${issued} SciTokens in ${summary.durationMs} ms`);
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
    const earliest = this.table.earliestDueMs() ?? Infinity;
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
   * first submit), read only the new users, sign their tokens on this thread and write them, before any scan.
   */
  private async serveNewUsers(): Promise<void> {
    if (this.stopping) return;
    const candidates = await this.newUsers.takeCandidates();
    const isKnown = (user: string): boolean => this.table.isKnown(user) || this.table.isInFlight(user);
    const jobs: LocalJob[] = [];
    for (const user of pickNewUsers(candidates, isKnown, (u) => this.dir.userChangedMs(u))) {
      const version = this.dir.userVersion(user);
      if (version !== undefined) jobs.push({ user, version }); // else a key file, or gone again
    }
    const versions = new Map(jobs.map((job) => [job.user, job.version]));
    for (const result of runLocalJobs(this.local, jobs, this.now(), (user) => versions.get(user))) {
      this.applyLocalResult(result, true);
    }
  }

  /** Applies what one local job found (the user's credentials) and did; returns how many tokens it issued. */
  private applyLocalResult(result: LocalJobResult, logEachToken: boolean): number {
    const { user, listing } = result;
    if (result.error !== undefined) {
      this.reports.once(`user:${user}:${result.error}`, () =>
        this.log.error({ user, err: result.error }, 'Error while scanning credentials of user; other users continue'),
      );
      return 0;
    }
    if (listing) {
      if (!listing.exists || listing.version === undefined) {
        this.table.forgetUser(user);
        return 0;
      }
      this.table.setUserVersion(user, listing.version);
      if (listing.removedTempFiles > 0) {
        this.log.info({ user, removed: listing.removedTempFiles }, 'Removed temp files of an interrupted write');
      }
      for (const other of listing.others) {
        this.reports.once(`other:${user}/${other.name}:${other.type}`, () =>
          this.log.warn({ user, entry: other.name }, `Skipping ${user}/${other.name}: it is ${other.type}, not a regular file`),
        );
      }
      this.table.retainOnly(user, new Set(listing.credentials.map((c) => c.name)));
      for (const ref of listing.credentials) {
        this.table.upsert(ref, (existing) => (existing ? directoryChanged(existing.schedule, ref.kind) : newSchedule()));
      }
    }
    let issued = 0;
    for (const { name, outcome } of result.local) {
      const entry = this.table.get(user, name);
      if (!entry) continue;
      const decision = decideLocal(entry.schedule, outcome, { user, name, nowMs: this.now(), random: this.random, logEachToken });
      this.apply(entry, decision);
      if (decision.event?.type === 'credential.issued') issued++;
    }
    return issued;
  }

  /** Starts a refresh for every OAuth credential that is due and is this credmon's to refresh. */
  private startDueRefreshes(): number {
    let started = 0;
    for (const entry of this.table.dueOAuth(this.now())) {
      const policy = oauthRefreshPolicy(entry.ref.name, this.config);
      if (!policy.refresh) {
        const { key, level, message } = policy.notice;
        this.reports.once(key, () => this.log[level](message));
        entry.schedule = waitForChange(entry.schedule);
        continue;
      }
      entry.busy = true;
      started++;
      const { user, name } = entry.ref;
      const task = refreshOAuthCredential(this.oauth, user, name, entry.schedule.rejectedTopMtimeMs)
        .then((outcome) => this.apply(entry, decideOAuth(entry.schedule, outcome, { user, name, nowMs: this.now(), random: this.random })))
        .catch((error: unknown) => this.credentialLog(entry.ref).error({ err: describeError(error) }, 'Unexpected error while refreshing'))
        .finally(() => {
          entry.busy = false;
          this.inFlight.delete(task);
        });
      this.inFlight.add(task);
    }
    return started;
  }

  /** Carries out a Decision: the next schedule (or forgetting the credential), its log line and its event. */
  private apply(entry: Tracked, decision: Decision): void {
    if (decision.schedule === undefined) this.table.untrackEntry(entry);
    else entry.schedule = decision.schedule;
    if (decision.log) {
      const { level, message, fields } = decision.log;
      this.credentialLog(entry.ref)[level](fields ?? {}, message);
    }
    const { user, name } = entry.ref;
    const event = decision.event;
    if (event?.type === 'credential.issued') this.emit('credential.issued', { user, name });
    else if (event?.type === 'credential.refreshed') this.emit('credential.refreshed', { user, name, rotated: event.rotated });
    else if (event?.type === 'credential.refresh_failed') this.emit('credential.refresh_failed', { user, name, code: event.code });
  }

  /** The per-credential child logger: every line names the user and the credential. */
  private credentialLog(ref: CredentialRef): Logger {
    return this.log.child({ user: ref.user, credential: ref.name });
  }
}
