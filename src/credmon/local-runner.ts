import type { Logger } from 'pino';
import type { SigningKey } from '../issuer/index.js';
import { describeError } from '../shared/errors.js';
import type { CredentialTable } from './credential-table.js';
import { runLocalJobs, type LocalJob, type LocalJobResult, type LocalRenewalContext } from './local-renewal.js';
import { LocalWorkPool } from './local-work-pool.js';

/** Jobs between two turns of the event loop when this thread works through a batch (~10 ms). */
const MAIN_THREAD_SLICE = 50;

export interface LocalRunnerOptions {
  readonly context: LocalRenewalContext;
  /** Worker threads at most. */
  readonly threads: number;
  /** Local jobs (users) above which work goes to the worker threads; at or below, this thread does it at once. */
  readonly bulkThreshold: number;
  /** Bulk work up to this many jobs stays on this thread, in slices; above, it goes to worker threads. */
  readonly mainThreadMaxJobs: number;
  /** Holds the jobs' users and credentials while bulk work runs, so that a SIGHUP or a scan leaves them alone. */
  readonly table: Pick<CredentialTable, 'hold' | 'release'>;
  /** The user directory's version now. */
  readonly versionOf: (user: string) => string | undefined;
  readonly log: Logger;
}

/**
 * Runs local jobs where they cost least: a few at once on this thread; up to `mainThreadMaxJobs` on this thread
 * too, in slices that let a SIGHUP in between (starting threads would cost more than the work); more on the worker
 * threads (the first slice here while they start), and on this thread again if the threads fail.
 */
export class LocalRunner {
  private readonly options: LocalRunnerOptions;
  private readonly pool: LocalWorkPool;

  constructor(options: LocalRunnerOptions) {
    this.options = options;
    const { context } = options;
    this.pool = new LocalWorkPool({
      size: options.threads,
      setup: {
        root: context.directory.root,
        issuers: [...context.issuers].map(([provider, issuer]) =>
          issuer instanceof Error
            ? { provider, kind: 'error' as const, message: issuer.message }
            : {
                provider,
                kind: 'key' as const,
                config: issuer.config,
                key: issuer.key,
                classadPath: issuer.classadPath,
              },
        ),
        handles: context.handles,
        clientProviders: context.clientProviders,
        processStartMs: context.processStartMs,
      },
      onWarning: (fields, message) => options.log.warn(fields, message),
    });
  }

  /**
   * Runs jobs on this thread at once (the SIGHUP fast path, small batches, slices), as one batch: an issuer's
   * per-user work (LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR) is done for all of them together.
   */
  runNow(jobs: readonly LocalJob[], nowMs: number, versionOf = this.options.versionOf): LocalJobResult[] {
    return runLocalJobs(this.options.context, jobs, nowMs, versionOf);
  }

  /** Runs `jobs`; results go to `apply` as they come. */
  async run(jobs: readonly LocalJob[], nowMs: number, apply: (results: LocalJobResult[]) => void): Promise<void> {
    if (jobs.length === 0) return;
    const runHere = (some: readonly LocalJob[]): LocalJobResult[] => this.runNow(some, nowMs);
    if (jobs.length <= this.options.bulkThreshold) {
      apply(runHere(jobs));
      return;
    }
    const { table } = this.options;
    table.hold(jobs);
    const pending = new Map(jobs.map((job) => [job.user, job]));
    const done = (results: LocalJobResult[]): void => {
      for (const result of results) {
        const job = pending.get(result.user);
        pending.delete(result.user);
        table.release([job ?? { user: result.user }]);
      }
      apply(results);
    };
    try {
      if (jobs.length <= this.options.mainThreadMaxJobs) {
        for (let i = 0; i < jobs.length; i += MAIN_THREAD_SLICE) {
          if (i > 0) await new Promise((resolve) => setImmediate(resolve));
          done(runHere(jobs.slice(i, i + MAIN_THREAD_SLICE)));
        }
      } else {
        // The threads take a few hundred ms to start: this thread does the first slice meanwhile, so the first
        // users' tokens are written, and their OAuth refreshes started, at once.
        const running = this.pool.run(jobs.slice(MAIN_THREAD_SLICE), nowMs, done, this.currentKeys());
        done(runHere(jobs.slice(0, MAIN_THREAD_SLICE)));
        await running;
      }
    } catch (error) {
      this.options.log.error({ err: describeError(error) }, 'Signing threads failed; signing on the main thread');
      apply(runHere([...pending.values()]));
    } finally {
      table.release(jobs);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** The signing key of every local issuer that has one, as the worker threads must use it now. */
  private currentKeys(): Record<string, SigningKey> {
    const keys: Record<string, SigningKey> = {};
    for (const [provider, issuer] of this.options.context.issuers) {
      if (!(issuer instanceof Error)) keys[provider] = issuer.key;
    }
    return keys;
  }
}
