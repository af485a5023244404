import { closeSync, createWriteStream, fstatSync, openSync, readdirSync, renameSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** How the daemon log is bounded, as HTCondor's MAX_<SUBSYS>_LOG knobs say (src/config/log-limit.ts reads them). */
export interface RotationPolicy {
  /** Rotate before a write would take the file past this many bytes; 0 = no size bound. */
  readonly maxBytes: number;
  /** Rotate once the file has been written to for this long; 0 = no time bound. */
  readonly maxSeconds: number;
  /** Rotated files kept: at most 1 is `<log>.old`; more are `<log>.<YYYYMMDDTHHMMSS>` with the oldest as `.old`. */
  readonly maxRotated: number;
  readonly truncateOnOpen: boolean;
  /** The knob the bound came from, named in the log's own lines about rotation. */
  readonly knob: string;
}

/** What the file says about itself: one formatted log line per notice (level 30 info, 40 warning). */
export type NoticeFormatter = (level: 30 | 40, message: string) => string;

const RETRY_AFTER_FAILURE_MS = 60_000;
const TIMESTAMP_SUFFIX = /^\d{8}T\d{6}$/;

function timestamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}T${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Opens the log for appending (or truncates it): throws the system's error, so a start-up can exit 44 with it. */
function openLog(path: string, truncate: boolean): { stream: WriteStream; size: number } {
  const fd = openSync(path, truncate ? 'w' : 'a', 0o644);
  try {
    const size = truncate ? 0 : fstatSync(fd).size;
    return { stream: createWriteStream('', { fd, flags: 'a' }), size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * A daemon log file bounded as HTCondor bounds its own (dprintf.cpp, log_rotate.cpp): when the next line would take
 * it past the bound, the file is renamed to `.old` (or a timestamped name when more than one is kept, the oldest
 * becoming `.old`) and a new one begun, whose first line says so. Unlike HTCondor's, the file never exceeds the bound
 * (a single line longer than the bound is cut), and a rotation that fails (a full disk, a directory made read-only)
 * does not stop the daemon: logging goes on in the current file, which says so once, and rotation is tried again a
 * minute later.
 */
export class RotatingLogFile {
  private stream: WriteStream;
  private size: number;
  private startedAt: number;
  private retryAt = 0;
  private failing = false;
  private readonly closing: Array<Promise<void>> = [];

  constructor(
    private readonly path: string,
    private readonly policy: RotationPolicy,
    private readonly notice: NoticeFormatter,
    private readonly now: () => number = Date.now,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    ({ stream: this.stream, size: this.size } = openLog(path, policy.truncateOnOpen));
    this.startedAt = this.now();
    this.watch(this.stream);
  }

  write(text: string): void {
    let line = text;
    let bytes = Buffer.byteLength(line);
    if (this.policy.maxBytes > 0 && bytes > this.policy.maxBytes) {
      line = this.cut(line);
      bytes = Buffer.byteLength(line);
    }
    if (this.isDue(bytes)) {
      const notice = this.rotate();
      // The new file's first line says where the old one went, when it fits beside this line.
      const max = this.policy.maxBytes;
      if (notice !== undefined && (max === 0 || Buffer.byteLength(notice) + bytes <= max)) this.append(notice);
    }
    this.append(line, bytes);
  }

  /** Ends the current file; resolves once it and every file rotated away have been written out and closed. */
  async end(): Promise<void> {
    this.close(this.stream);
    await Promise.all(this.closing);
  }

  private close(stream: WriteStream): void {
    this.closing.push(new Promise<void>((resolve) => stream.end(() => resolve())));
  }

  private watch(stream: WriteStream): void {
    stream.once('error', (error) => this.onError(error));
  }

  private append(text: string, bytes = Buffer.byteLength(text)): void {
    this.stream.write(text);
    this.size += bytes;
  }

  /** A line that alone is longer than the size bound, cut to it, keeping its newline. */
  private cut(text: string): string {
    const max = this.policy.maxBytes;
    const marker = ' [cut: longer than the log bound]\n';
    const room = Math.max(0, max - Buffer.byteLength(marker));
    return (
      Buffer.from(text)
        .subarray(0, room)
        .toString('utf8')
        .replace(/\uFFFD$/, '') + marker.slice(0, max)
    );
  }

  private isDue(bytes: number): boolean {
    const now = this.now();
    if (now < this.retryAt || this.size === 0) return false;
    const { maxBytes, maxSeconds } = this.policy;
    if (maxBytes > 0 && this.size + bytes > maxBytes) return true;
    return maxSeconds > 0 && now - this.startedAt >= maxSeconds * 1000;
  }

  private rotatedName(): string {
    if (this.policy.maxRotated <= 1) return `${this.path}.old`;
    return `${this.path}.${timestamp(new Date(this.now()))}`;
  }

  /** Renames the file away and opens a new one; the notice for its first line, or undefined when rotation failed. */
  private rotate(): string | undefined {
    const rotated = this.rotatedName();
    let next: { stream: WriteStream; size: number };
    try {
      renameSync(this.path, rotated);
      next = openLog(this.path, false);
    } catch (error) {
      this.failed(rotated, error as NodeJS.ErrnoException);
      return undefined;
    }
    this.close(this.stream);
    ({ stream: this.stream, size: this.size } = next);
    this.watch(this.stream);
    this.startedAt = this.now();
    this.retryAt = 0;
    const again = this.failing ? ' (rotation works again)' : '';
    this.failing = false;
    this.keepNewest();
    return this.notice(30, `Now in new log file ${this.path}; the previous one is ${rotated}${again}`);
  }

  /** Says once per incident that rotation failed and logging goes on here; tries again after a minute. */
  private failed(rotated: string, error: NodeJS.ErrnoException): void {
    this.retryAt = this.now() + RETRY_AFTER_FAILURE_MS;
    if (this.failing) return;
    this.failing = true;
    const reason = error.code ?? error.message;
    const text = `Cannot rotate ${this.path} to ${rotated} (${reason}); logging goes on in ${this.path} past ${this.policy.knob}`;
    this.append(this.notice(40, text));
  }

  /** Keeps at most maxRotated rotated files: the oldest timestamped ones become `.old`, replacing it, as HTCondor does. */
  private keepNewest(): void {
    if (this.policy.maxRotated <= 1) return;
    const base = basename(this.path);
    const rotated = (): string[] => {
      let names: string[];
      try {
        names = readdirSync(dirname(this.path));
      } catch {
        return [];
      }
      const suffixes = names.filter((n) => n.startsWith(`${base}.`)).map((n) => n.slice(base.length + 1));
      return suffixes.filter((s) => s === 'old' || TIMESTAMP_SUFFIX.test(s)).sort();
    };
    for (let attempt = 0, found = rotated(); found.length > this.policy.maxRotated && attempt < 10; attempt++) {
      const oldest = found[0]!;
      if (oldest === 'old') break;
      try {
        renameSync(join(dirname(this.path), `${base}.${oldest}`), `${this.path}.old`);
      } catch {
        break;
      }
      found = rotated();
    }
  }
}
