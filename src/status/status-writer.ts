import type { Logger } from 'pino';
import type { CredentialDirectory } from '../credentials/index.js';
import type { CredmonEvents } from '../credmon/events.js';
import { describeError } from '../shared/errors.js';
import { formatStatusFile } from './status-file.js';
import { statusOf, type StatusInput } from './status-of.js';

export interface StatusSource {
  on<K extends keyof CredmonEvents>(event: K, listener: (...args: CredmonEvents[K]) => void): unknown;
  trackedCredentials(): Iterable<StatusInput>;
}

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
    private readonly source: StatusSource,
    private readonly options: StatusWriterOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? 5000;
    source.on('scan.completed', () => {
      this.lastScanMs = this.now();
      this.schedule();
    });
    // Refreshes finish after the scan that started them: their outcome is written too.
    source.on('credential.refreshed', () => this.schedule());
    source.on('credential.refresh_failed', () => this.schedule());
  }

  /** Waits for a write in progress (tests). */
  async settle(): Promise<void> {
    await this.writing;
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer) return;
    const waitMs = Math.max(0, this.lastWriteMs + this.minIntervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write());
    }, waitMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const nowMs = this.now();
    this.lastWriteMs = nowMs;
    const { providerOf, scanIntervalS, directory, log } = this.options;
    const credentials = [...this.source.trackedCredentials()].map((entry) => statusOf(entry, nowMs, providerOf));
    const file = { version: 1 as const, pid: process.pid, writtenMs: nowMs, scanIntervalS, credentials };
    try {
      await directory.writeStatusFile(formatStatusFile({ ...file, lastScanMs: this.lastScanMs ?? null }));
      this.lastProblem = undefined;
    } catch (error) {
      const problem = describeError(error);
      if (problem !== this.lastProblem) log.warn(`Cannot write the status file for credmon-status: ${problem}`);
      this.lastProblem = problem;
    }
  }
}
