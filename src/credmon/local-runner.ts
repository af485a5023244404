import type { CredentialTable } from './credential-table.js';
import { runLocalJobs, type LocalJob, type LocalJobResult, type LocalRenewalContext } from './local-renewal.js';
import type { LocalWorkPool } from './local-work-pool.js';

export interface LocalRunnerOptions {
  readonly local: LocalRenewalContext;
  /** The worker threads, or undefined to do everything on this thread. */
  readonly pool: LocalWorkPool | undefined;
  readonly table: CredentialTable;
  /** The directory's version now, for jobs that do not carry the scan's. */
  readonly versionOf: (user: string) => string | undefined;
  /** At or below this many jobs, run them at once on this thread. */
  readonly bulkThreshold: number;
  /** Up to this many, run them on this thread in slices; above, on the worker threads. */
  readonly mainThreadMaxJobs: number;
  /** The worker threads failed; the jobs they had not finished run on this thread. */
  readonly onPoolError: (error: unknown) => void;
}

/** Jobs between two turns of the event loop when this thread works through a batch (~10 ms). */
const MAIN_THREAD_SLICE = 50;

/**
 * Runs local jobs where they cost least: a few at once on this thread; up to `mainThreadMaxJobs` on this thread in
 * slices that let a SIGHUP in between (starting threads would cost more than the work); more on the worker threads.
 * While jobs run elsewhere or in slices, their users are held in the table so that no other work touches them.
 * Results reach `apply` as they come.
 */
export async function runLocal(
  options: LocalRunnerOptions,
  jobs: readonly LocalJob[],
  nowMs: number,
  apply: (results: LocalJobResult[]) => void,
): Promise<void> {
  const { local, pool, table, versionOf } = options;
  if (jobs.length === 0) return;
  const runHere = (some: readonly LocalJob[]): void => apply(runLocalJobs(local, some, nowMs, versionOf));
  if (jobs.length <= options.bulkThreshold || !pool) {
    runHere(jobs);
    return;
  }
  table.hold(jobs, true);
  const pending = new Map(jobs.map((job) => [job.user, job]));
  const done = (results: LocalJobResult[]): void => {
    for (const result of results) {
      const job = pending.get(result.user);
      pending.delete(result.user);
      if (job) table.hold([job], false);
    }
    apply(results);
  };
  try {
    if (jobs.length <= options.mainThreadMaxJobs) {
      for (let i = 0; i < jobs.length; i += MAIN_THREAD_SLICE) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        done(runLocalJobs(local, jobs.slice(i, i + MAIN_THREAD_SLICE), nowMs, versionOf));
      }
    } else await pool.run(jobs, nowMs, done);
  } catch (error) {
    options.onPoolError(error);
    runHere([...pending.values()]);
  } finally {
    table.hold(jobs, false);
  }
}
