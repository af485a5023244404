import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { CredmonConfig } from '../config/index.js';
import type { CredentialDirectory } from '../credentials/index.js';
import type { LocalIssuer } from '../issuer/index.js';
import { describeError } from '../shared/errors.js';
import type { ClientProvider } from './client-refresh.js';
import { CredentialTable, type Tracked } from './credential-table.js';
import { DiskSpaceIncident } from './disk-space-incident.js';
import type { CredmonEvents, ScanSummary } from './events.js';
import { sweepKeyFiles } from './key-file-sweep.js';
import { KeySetWatcher } from './key-set-watcher.js';
import { applyJobResult, type JobResultTarget } from './job-results.js';
import type { LocalJob } from './local-renewal.js';
import { LocalRunner } from './local-runner.js';
import { MemoryRelease } from './memory-release.js';
import { credentialLogger, writeLogLine } from './log-line.js';
import { NewUserDirectories, pickFastPathUsers } from './new-users.js';
import { OAuthRefresher } from './oauth-refresher.js';
import type { Step, StepApplier } from './outcomes.js';
import { fullGarbageCollection } from '../shared/full-gc.js';
import { ReportOnce } from '../shared/report-once.js';
import { WakeableSleep } from './wakeable-sleep.js';

export interface CredmonOptions {
  readonly config: CredmonConfig;
  readonly directory: CredentialDirectory;
  /**
   * Every local provider's issuer, by provider name (config.local's among them), or why it has none (a missing or bad
   * key): that provider's credentials fail, and everything else goes on without it.
   */
  readonly issuers: ReadonlyMap<string, LocalIssuer | Error>;
  /**
   * Every client-credentials provider (config.clientProviders) with its secret, by provider name, or why it has none
   * (set-up-client-providers.ts): its credentials fail, and everything else goes on without it.
   */
  readonly clients?: ReadonlyMap<string, ClientProvider | Error>;
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

const DEFAULT_BULK_THRESHOLD = 64;
const DEFAULT_MAIN_THREAD_MAX_JOBS = 1000;

/**
 * The credential monitor: a scheduler over the credential directory.
 * - A scan (timer, SIGHUP, or a due time) stats every user directory; changed ones are read, and each credential in
 *   them is tracked with a Schedule (credential-table.ts, schedule.ts). Unchanged users cost one stat.
 * - Local credentials (local-renewal.ts) are signed and written synchronously, on this thread or on worker threads
 *   (local-runner.ts); OAuth credentials refresh, and client-credentials tokens are obtained, in the background
 *   (oauth-refresher.ts). Every outcome becomes a
 *   Step (outcomes.ts): the next schedule, a line for the credential's logger, an event.
 * - A SIGHUP that brings a new user directory (new-users.ts) is served first, on this thread, even while a bulk
 *   issuance runs: the credd waits only 20 s for that user's `.use`.
 * One credential's failure never affects another's.
 */
export class Credmon extends EventEmitter<CredmonEvents> {
  private readonly config: CredmonConfig;
  private readonly dir: CredentialDirectory;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly bulkThreshold: number;
  private readonly processStartMs = Date.now() - process.uptime() * 1000;
  private readonly table = new CredentialTable();
  private readonly reported = new ReportOnce();
  private readonly diskSpace: DiskSpaceIncident;
  private readonly sleeper = new WakeableSleep();
  private readonly runner: LocalRunner;
  private readonly refresher: OAuthRefresher;
  private readonly results: JobResultTarget;
  private readonly newUsers: NewUserDirectories;
  private readonly keys: KeySetWatcher;
  private readonly memory: MemoryRelease;
  private wakeRequested = false;
  private scanning = false;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(options: CredmonOptions) {
    super();
    const { config, directory: dir, log } = options;
    this.config = config;
    this.dir = dir;
    this.log = log;
    this.now = options.now ?? Date.now;
    this.bulkThreshold = options.bulkThreshold ?? DEFAULT_BULK_THRESHOLD;
    this.diskSpace = new DiskSpaceIncident(dir.root);
    const random = options.random ?? Math.random;
    const { now, table, reported } = this;
    const steps: StepApplier = { now, random, apply: (entry, step) => this.apply(entry, step) };
    const { issuers } = options;
    this.runner = new LocalRunner({
      context: {
        directory: dir,
        issuers,
        handles: config.handles,
        clientProviders: config.clientProviders.map((p) => p.providerName),
        processStartMs: this.processStartMs,
      },
      threads: config.signingThreads || Math.min(4, availableParallelism()),
      bulkThreshold: this.bulkThreshold,
      mainThreadMaxJobs: options.mainThreadMaxJobs ?? DEFAULT_MAIN_THREAD_MAX_JOBS,
      table,
      versionOf: (user) => dir.userVersion(user),
      log,
    });
    const isStopping = (): boolean => this.stopping;
    const { fetch } = options;
    const { clients } = options;
    const refresherOptions = { ...steps, config, directory: dir, log, fetch, isStopping, reported, clients };
    this.refresher = new OAuthRefresher(refresherOptions);
    this.results = { ...steps, table, log, reported };
    this.newUsers = new NewUserDirectories(dir);
    this.keys = new KeySetWatcher(issuers, config.keyRotation, log, reported);
    this.memory = new MemoryRelease({
      collect: fullGarbageCollection(),
      busy: () => this.scanning || this.refresher.busy(),
    });
  }

  /** Writes the pid file, clears CREDMON_COMPLETE, removes what a crash left, and starts. Resolves after one scan. */
  async start(pid = process.pid): Promise<void> {
    await this.dir.writePid(pid);
    await this.dir.removeCompleteMarker();
    const removed = await this.dir.removeAbandonedTempFiles(this.processStartMs);
    if (removed > 0) {
      this.log.info({ removed }, 'Removed temp files that an interrupted write left in the credential directory');
    }
    // Before any token is signed, also on the SIGHUP fast path: the key set's active key, not the single key.
    await this.keys.sync(this.now());
    this.newUsers.watch();
    const first = new Promise<void>((resolve) => this.once('scan.completed', () => resolve()));
    this.loop = this.run();
    await Promise.race([first, this.loop]);
  }

  /** SIGHUP: serves new users at once, then asks for a scan. Several requests during one scan give one more scan. */
  wake(): void {
    this.wakeRequested = true;
    this.serveNewUsers().catch((error: unknown) =>
      this.log.error({ err: describeError(error) }, 'Error while serving new users'),
    );
    this.sleeper.wake();
  }

  /** Stops after the current scan and waits for refreshes in flight (each bounded by the HTTP timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.newUsers.close();
    this.memory.close();
    this.sleeper.wake();
    await this.loop;
    await this.refresher.settle();
    await this.runner.close();
  }

  /** The credentials tracked now, for the metrics and the status file (read, never changed). */
  trackedCredentials(): IterableIterator<Tracked> {
    return this.table.entries();
  }

  /** Waits for background refreshes started so far (tests and benchmarks use it). */
  async settle(): Promise<void> {
    await this.refresher.settle();
  }

  /** One full pass. Public for tests; the loop calls it. */
  async scanOnce(): Promise<ScanSummary> {
    const started = this.now();
    // A key rotation's due steps and credmon-key's changes; after a revocation every token is looked at again now.
    if (await this.keys.sync(started)) this.table.forgetUsersExcept(new Set());
    const { users, refused } = await this.dir.listUserDirectories();
    for (const entry of refused) {
      this.reported.once(`refused:${entry}`, () =>
        this.log.warn(
          { entry },
          'Ignoring a directory in the credential directory whose name is not a valid user name',
        ),
      );
    }
    const jobs = this.table.localJobs(users, this.now());
    this.table.forgetUsersExcept(new Set(users.map((u) => u.user)));
    let issued = 0;
    let usersRead = 0;
    let refreshesStarted = 0;
    const logEachToken = jobs.length <= this.bulkThreshold;
    await this.runner.run(jobs, this.now(), (results) => {
      for (const result of results) {
        issued += applyJobResult(this.results, result, logEachToken);
        if (result.listing) usersRead++;
      }
      // OAuth credentials found in this chunk start refreshing now, not after the last local token is signed.
      refreshesStarted += this.refresher.startDue(this.table.dueRemote(this.now()));
    });
    refreshesStarted += this.refresher.startDue(this.table.dueRemote(this.now()));
    await sweepKeyFiles(this.dir, this.now(), this.config.keyFileLifetimeS * 1000, this.log);
    await this.dir.touchCompleteMarker(new Date(this.now()));
    const durationMs = this.now() - started;
    const summary: ScanSummary = { users: users.length, usersRead, issued, refreshesStarted, durationMs };
    if (issued > this.bulkThreshold) this.log.info(summary, `Signed ${issued} SciTokens in ${durationMs} ms`);
    if (Math.max(usersRead, refreshesStarted) > this.bulkThreshold) this.memory.afterBulkWork();
    this.log.debug(summary, 'Scan complete');
    this.emit('scan.completed', summary);
    return summary;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.wakeRequested = false;
      this.scanning = true;
      try {
        await this.scanOnce();
      } catch (error) {
        this.log.error({ err: describeError(error) }, 'Fatal error while scanning for tokens; will retry');
      } finally {
        this.scanning = false;
      }
      if (this.stopping) break;
      if (this.wakeRequested) continue;
      const earliestMs = Math.min(this.table.earliestDueMs() ?? Infinity, this.keys.nextDueMs() ?? Infinity);
      await this.sleeper.sleep(Math.max(1000, Math.min(this.config.scanIntervalS * 1000, earliestMs - this.now())));
    }
  }

  /**
   * The SIGHUP fast path: when the credential directory itself changed (the credd created a user directory for a
   * first submit), read only the new users, sign their tokens on this thread and write them, before any scan.
   */
  private async serveNewUsers(): Promise<void> {
    if (this.stopping) return;
    const candidates = await this.newUsers.take();
    const isKnown = (user: string): boolean => this.table.hasUser(user);
    const jobs: LocalJob[] = [];
    for (const user of pickFastPathUsers(candidates, isKnown, (u) => this.dir.userChangedMs(u))) {
      const version = this.dir.userVersion(user);
      if (version !== undefined) jobs.push({ user, version }); // else a key file, or gone again
    }
    const versions = new Map(jobs.map((job) => [job.user, job.version]));
    for (const result of this.runner.runNow(jobs, this.now(), (user) => versions.get(user))) {
      applyJobResult(this.results, result, true);
    }
  }

  /**
   * Applies one Step to a tracked credential: its next schedule (or untracking), its log line, its event, and what
   * it says about writing (a full disk is logged once per incident, on the root logger, naming the directory).
   */
  private apply(entry: Tracked, step: Step): void {
    if (step.schedule) entry.schedule = step.schedule;
    else this.table.untrack(entry);
    const line = step.log;
    if (line && this.log.isLevelEnabled(line.level)) writeLogLine(credentialLogger(this.log, entry.ref), line);
    const write = step.write ?? (step.schedule ? undefined : 'not-needed');
    if (write) {
      const incident = this.diskSpace.observe(`${entry.ref.user}/${entry.ref.name}`, write, this.now());
      if (incident) writeLogLine(this.log, incident);
    }
    if (step.event) this.emit(step.event.name, step.event.payload);
  }
}
