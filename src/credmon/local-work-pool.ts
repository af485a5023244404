import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { LocalIssuerConfig } from '../config/index.js';
import type { SigningKey } from '../issuer/index.js';
import type { LocalJob, LocalJobResult } from './local-renewal.js';

/** What a worker needs to build its own issuer; structured-cloneable (KeyObjects cross threads). */
export interface WorkerSetup {
  readonly root: string;
  /** One per local provider. */
  readonly issuers: ReadonlyArray<
    | {
        readonly provider: string;
        readonly kind: 'key';
        readonly config: LocalIssuerConfig;
        readonly key: SigningKey;
        readonly classadPath: string | undefined;
      }
    | { readonly provider: string; readonly kind: 'error'; readonly message: string }
  >;
  readonly handles: boolean;
  /** CLIENT_CREDMON_PROVIDER_NAMES: their credentials are listed (as `client`), never signed here. */
  readonly clientProviders: readonly string[];
  readonly processStartMs: number;
}

export interface WorkerRequest {
  readonly id: number;
  readonly jobs: readonly LocalJob[];
  readonly nowMs: number;
  /** Each local provider's signing key now (a rotation may have switched it since the worker started). */
  readonly keys: Readonly<Record<string, SigningKey>>;
}

export type WorkerResponse =
  | { readonly type: 'results'; readonly id: number; readonly results: LocalJobResult[] }
  | { readonly type: 'warning'; readonly fields: Record<string, unknown>; readonly message: string };

export interface LocalWorkPoolOptions {
  readonly setup: WorkerSetup;
  /** Worker threads at most (the machine's cores, say). */
  readonly size: number;
  /** Jobs per message: big enough to amortise a message, small enough to spread work over the workers. */
  readonly chunkSize?: number;
  /** Idle workers exit after this long, giving their memory back (~10 MB each). */
  readonly idleMs?: number;
  readonly onWarning?: (fields: Record<string, unknown>, message: string) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  busy: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

interface Chunk {
  readonly request: WorkerRequest;
  resolve(results: LocalJobResult[]): void;
  reject(error: Error): void;
}

/**
 * Runs LocalJobs on worker threads, spawned when bulk work arrives and ended when idle. Several `run` calls share the
 * workers in arrival order. A worker that dies fails only the chunk it held; the next chunk gets a new worker.
 */
export class LocalWorkPool {
  private readonly options: LocalWorkPoolOptions;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Chunk[] = [];
  private readonly pending = new Map<number, { chunk: Chunk; worker: PoolWorker }>();
  private nextId = 1;
  private closed = false;

  constructor(options: LocalWorkPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError('size must be a positive integer');
    this.options = options;
  }

  /**
   * Runs `jobs`; `onResults` receives each chunk's results as soon as a worker returns them (so the caller can act on
   * the first users while the last are still being signed). Resolves when all are done.
   */
  async run(
    jobs: readonly LocalJob[],
    nowMs: number,
    onResults: (results: LocalJobResult[]) => void,
    keys: Readonly<Record<string, SigningKey>> = {},
  ): Promise<void> {
    if (this.closed) throw new Error('the local work pool is closed');
    const size = this.options.chunkSize ?? 250;
    const parts: Array<Promise<void>> = [];
    for (let i = 0; i < jobs.length; i += size) {
      const request: WorkerRequest = { id: this.nextId++, jobs: jobs.slice(i, i + size), nowMs, keys };
      const done = new Promise<LocalJobResult[]>((resolve, reject) => this.queue.push({ request, resolve, reject }));
      parts.push(done.then(onResults));
    }
    this.dispatch();
    await Promise.all(parts);
  }

  /** Ends every worker; chunks still queued or running are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const chunk of this.queue.splice(0)) chunk.reject(new Error('the local work pool closed'));
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker =
        this.workers.find((w) => !w.busy) ?? (this.workers.length < this.options.size ? this.spawn() : undefined);
      if (!worker) return;
      const chunk = this.queue.shift();
      if (!chunk) return;
      worker.busy = true;
      if (worker.idleTimer) clearTimeout(worker.idleTimer);
      this.pending.set(chunk.request.id, { chunk, worker });
      worker.worker.postMessage(chunk.request);
    }
  }

  private spawn(): PoolWorker {
    const worker = startWorker({
      workerData: this.options.setup,
      // Signing makes short-lived garbage only: a small young generation keeps each thread's memory low.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    const entry: PoolWorker = { worker, busy: false, idleTimer: undefined };
    worker.unref();
    worker.on('message', (message: WorkerResponse) => {
      if (message.type === 'warning') {
        this.options.onWarning?.(message.fields, message.message);
        return;
      }
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      entry.busy = false;
      pending.chunk.resolve(message.results);
      this.scheduleIdleExit(entry);
      this.dispatch();
    });
    const fail = (error: Error): void => {
      this.workers.splice(this.workers.indexOf(entry), 1);
      for (const [id, pending] of this.pending) {
        if (pending.worker !== entry) continue;
        this.pending.delete(id);
        pending.chunk.reject(error);
      }
      if (!this.closed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.workers.includes(entry)) fail(new Error(`a signing worker exited with code ${code}`));
    });
    this.workers.push(entry);
    return entry;
  }

  private scheduleIdleExit(entry: PoolWorker): void {
    entry.idleTimer = setTimeout(() => {
      if (entry.busy || this.closed) return;
      this.workers.splice(this.workers.indexOf(entry), 1);
      void entry.worker.terminate();
    }, this.options.idleMs ?? 5_000);
    entry.idleTimer.unref();
  }
}

/**
 * Starts local-worker: the compiled .js, as the image runs it. Under tsx (the tests) the sources are .ts, and on
 * Node 20 a worker thread does not get tsx's loader from `--import tsx` (its .ts entry fails with
 * ERR_UNKNOWN_FILE_EXTENSION, and the pool fell back to this thread unseen), so a bootstrap registers tsx there first.
 */
function startWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./local-worker.js', import.meta.url), options);
  const entry = JSON.stringify(new URL('./local-worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${tsx}).then((api) => { api.register(); return import(${entry}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
