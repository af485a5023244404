import type { Logger } from 'pino';
import type { CredentialDirectory } from '../credentials/index.js';
import type { CredmonObservable } from '../credmon/index.js';
import { describeError } from '../shared/errors.js';
import { formatStatusFile } from './status-file.js';
import { statusOf } from './status-of.js';

export interface StatusWriterOptions {
  readonly directory: CredentialDirectory;
  readonly providerOf: (name: string) => string;
  readonly scanIntervalS: number;
  readonly log: Logger;
  readonly now?: () => number;
  /** At most one write per this long: a SIGHUP storm makes scans, not status files. */
  readonly minIntervalMs?: number;
}

/**
 * Keeps `.credmon-status.json` up to date from the credmon's own table: after a scan completes or a refresh ends
 * (which happens after the scan that started it), at most once per
 * `minIntervalMs` (a write due sooner waits, and the last scan's state is the one written). Writing never delays a
 * token: it happens after the scan, and a failure is said once per distinct reason.
 */
export class StatusWriter {
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  private lastWriteMs = -Infinity;
  private lastScanMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastProblem: string | undefined;

  constructor(
    private readonly source: CredmonObservable,
    private readonly options: StatusWriterOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? 5000;
    source.on('scan.completed', () => {
      this.lastScanMs = this.now();
      this.schedule();
    });
    // Refreshes and client-credentials requests finish after the scan that started them: their outcome is written too.
    for (const event of ['credential.issued', 'credential.refreshed', 'credential.refresh_failed'] as const) {
      source.on(event, () => this.schedule());
    }
  }

  /** Writes now what a pending write would, and waits for it (tests, and a credmon that stops). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write());
    }
    await this.writing;
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer) return;
    // Bounded by the interval, so a clock stepped back cannot put the next write off for hours.
    const waitMs = Math.min(this.minIntervalMs, Math.max(0, this.lastWriteMs + this.minIntervalMs - this.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write());
    }, waitMs);
    this.timer.unref();
  }

  /** Never rejects: a problem is said once per distinct reason, and the next write tries again. */
  private async write(): Promise<void> {
    const { providerOf, scanIntervalS, directory, log } = this.options;
    try {
      const nowMs = this.now();
      this.lastWriteMs = nowMs;
      const credentials = [...this.source.trackedCredentials()].map((entry) => statusOf(entry, nowMs, providerOf));
      const file = { version: 1 as const, pid: process.pid, writtenMs: nowMs, scanIntervalS, credentials };
      await directory.writeStatusFile(formatStatusFile({ ...file, lastScanMs: this.lastScanMs ?? null }));
      this.lastProblem = undefined;
    } catch (error) {
      const problem = describeError(error);
      if (problem !== this.lastProblem) log.warn(`Cannot write the status file for credmon-status: ${problem}`);
      this.lastProblem = problem;
    }
  }
}
