/**
 * Per-provider admission for token-endpoint requests. Each provider (a token endpoint origin) has its own cap on
 * requests in flight, which adapts like TCP's congestion window: a transient failure halves it (down to 1) and pauses
 * the provider for its Retry-After, each success raises it by one (up to the configured cap). A healthy provider gets
 * the full concurrency; a struggling one gets one request at a time, however many credentials are due.
 */
export interface ProviderGateOptions {
  /** Requests in flight per provider when it is healthy. */
  readonly maxConcurrency: number;
  readonly now?: () => number;
}

interface ProviderState {
  limit: number;
  active: number;
  pausedUntilMs: number;
  readonly waiting: Array<() => void>;
  timer: NodeJS.Timeout | undefined;
}

export class ProviderGate {
  private readonly max: number;
  private readonly now: () => number;
  private readonly providers = new Map<string, ProviderState>();

  constructor(options: ProviderGateOptions) {
    if (!Number.isInteger(options.maxConcurrency) || options.maxConcurrency < 1)
      throw new RangeError('maxConcurrency must be a positive integer');
    this.max = options.maxConcurrency;
    this.now = options.now ?? Date.now;
  }

  /** Runs `task` when `provider` admits it; waiting tasks start in arrival order. */
  async run<T>(provider: string, task: () => Promise<T>): Promise<T> {
    const state = this.stateOf(provider);
    if (this.hasRoom(state) && state.waiting.length === 0) state.active++;
    else {
      // pump() takes the slot for us (active++) before it resolves this promise.
      const granted = new Promise<void>((resolve) => state.waiting.push(resolve));
      this.pump(provider, state);
      await granted;
    }
    try {
      return await task();
    } finally {
      state.active--;
      this.pump(provider, state);
    }
  }

  succeeded(provider: string): void {
    const state = this.stateOf(provider);
    state.limit = Math.min(this.max, state.limit + 1);
  }

  /** A transient failure: halve the provider's concurrency and pause it for `retryAfterMs` if it asked. */
  failed(provider: string, retryAfterMs?: number): void {
    const state = this.stateOf(provider);
    state.limit = Math.max(1, Math.floor(state.limit / 2));
    if (retryAfterMs !== undefined && retryAfterMs > 0)
      state.pausedUntilMs = Math.max(state.pausedUntilMs, this.now() + retryAfterMs);
  }

  /** Requests in flight and the current cap of `provider` (for logs, tests and benchmarks). */
  status(provider: string): { readonly active: number; readonly limit: number; readonly waiting: number } {
    const state = this.stateOf(provider);
    return { active: state.active, limit: state.limit, waiting: state.waiting.length };
  }

  private stateOf(provider: string): ProviderState {
    let state = this.providers.get(provider);
    if (!state) {
      state = { limit: this.max, active: 0, pausedUntilMs: 0, waiting: [], timer: undefined };
      this.providers.set(provider, state);
    }
    return state;
  }

  private hasRoom(state: ProviderState): boolean {
    return state.active < state.limit && this.now() >= state.pausedUntilMs;
  }

  /** Starts waiting tasks while there is room; while the provider is paused, comes back when the pause ends. */
  private pump(provider: string, state: ProviderState): void {
    while (state.waiting.length > 0 && this.hasRoom(state)) {
      state.active++;
      state.waiting.shift()?.();
    }
    const pauseMs = state.pausedUntilMs - this.now();
    if (state.waiting.length > 0 && pauseMs > 0 && !state.timer) {
      state.timer = setTimeout(() => {
        state.timer = undefined;
        this.pump(provider, state);
      }, pauseMs);
      state.timer.unref();
    }
    if (state.active === 0 && state.waiting.length === 0 && state.limit === this.max && pauseMs <= 0)
      this.providers.delete(provider);
  }
}
