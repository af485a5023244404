import type { LogLine } from './log-line.js';

/**
 * What a step says about writing its credential's files:
 * - `no-space`: a write failed because the file system is full (the old files are kept);
 * - `done`: a write succeeded;
 * - `not-needed`: the credential needs no write now (its token is fresh, it waits for a new login, it is gone).
 */
export type WriteResult = 'no-space' | 'done' | 'not-needed';

/**
 * A full file system under the credential directory, reported once per incident rather than once per token and scan:
 * one line when the first write fails for lack of space, one when writing works again, that is when a write succeeds
 * and no credential whose write failed is still waiting (a file system with a page or two free takes small files and
 * refuses big ones: one success alone does not end the incident). Pure: the caller gives the clock and logs the lines.
 */
export class DiskSpaceIncident {
  private readonly credDir: string;
  /** `user/name` of the credentials whose last write failed for lack of space. */
  private readonly waiting = new Set<string>();
  private open = false;
  private startedMs = 0;
  private failedWrites = 0;

  constructor(credDir: string) {
    this.credDir = credDir;
  }

  /** Whether an incident is open (a write failed for lack of space and writing has not worked again since). */
  get isOpen(): boolean {
    return this.open;
  }

  /** Records one credential's write result; returns the line to log when this opens or closes an incident. */
  observe(credential: string, result: WriteResult, nowMs: number): LogLine | undefined {
    if (result === 'no-space') {
      this.waiting.add(credential);
      this.failedWrites++;
      if (this.open) return undefined;
      this.open = true;
      this.startedMs = nowMs;
      return {
        level: 'error',
        message:
          `Cannot write to the credential directory ${this.credDir}: no space left on its file system. ` +
          'Token files are kept as they were (their tokens may expire) and writes are retried; free space there',
      };
    }
    this.waiting.delete(credential);
    if (!this.open || result !== 'done' || this.waiting.size > 0) return undefined;
    this.open = false;
    const failedWrites = this.failedWrites;
    this.failedWrites = 0;
    const durationS = Math.max(0, Math.round((nowMs - this.startedMs) / 1000));
    return {
      level: 'info',
      fields: { failedWrites, durationS },
      message: `Writing to the credential directory ${this.credDir} works again`,
    };
  }
}
