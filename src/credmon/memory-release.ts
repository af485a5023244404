/** How long the credmon must be quiet after bulk work before its heap is collected (the signing threads exit at 5 s). */
const QUIET_MS = 10_000;

export interface MemoryReleaseOptions {
  /** A full garbage collection (src/shared/full-gc.ts); undefined: nothing to do. */
  readonly collect: (() => void) | undefined;
  /** True while work is still running (a scan, refreshes in flight): the collection waits for another quiet period. */
  readonly busy: () => boolean;
  readonly quietMs?: number;
}

/**
 * Gives memory back after bulk work. A 10,000-token issuance or a storm of refreshes leaves the heap at two or three
 * times what the credmon keeps (about 35 MB against 12 MB at 10,000 users), and V8 shrinks it only when its own
 * heuristics find the process allocating again, which an idle credmon does not. So once the credmon has been quiet for
 * `quietMs` after bulk work, one full collection runs (about 10 ms at 10,000 users, once per burst, never per scan).
 */
export class MemoryRelease {
  private readonly options: MemoryReleaseOptions;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: MemoryReleaseOptions) {
    this.options = options;
  }

  /** Bulk work just ran: collect once the credmon has been quiet for a while (later bulk work puts it off). */
  afterBulkWork(): void {
    if (!this.options.collect || this.closed) return;
    this.arm();
  }

  /** No collection from now on (a scan that ends after this does not arm one). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.options.busy()) this.arm();
      else this.options.collect?.();
    }, this.options.quietMs ?? QUIET_MS);
    this.timer.unref?.();
  }
}
