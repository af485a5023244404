import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CredentialKind } from '../credentials/index.js';
import type { CredmonObservable } from '../credmon/index.js';
import { summarize, type CredentialSummary } from './credential-summary.js';
import { exposeRegistry } from './metrics-server.js';

export interface CredmonMetricsOptions {
  readonly scanIntervalS: number;
  /** A credential name's provider label (credential-summary.ts providerLabeller): never a user's own word. */
  readonly providerOf: (name: string) => string;
  readonly now?: () => number;
  /** Node's process_* and nodejs_* metrics (memory, CPU, event loop lag); on by default. */
  readonly processMetrics?: boolean;
}

/** Seconds; a scan of unchanged users takes milliseconds, a 10,000-user issuance a few seconds. */
const SCAN_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];

/**
 * The credmon's Prometheus metrics, in a registry of their own. Counters move on the credmon's events (a cached
 * child per label set: one increment per token); the gauges of credentials by state and of the soonest expiry are
 * computed from the credmon's table when Prometheus scrapes, so the scan loop does no metrics work. No label carries
 * a user name, a handle, a token or a key.
 */
export class CredmonMetrics {
  readonly registry = new Registry();
  private readonly written: Counter<'provider' | 'kind'>;
  private readonly failures: Counter<'provider' | 'class'>;
  private readonly writtenChildren = new Map<string, { inc(): void }>();
  private scrape = 0;

  constructor(
    source: CredmonObservable,
    private readonly options: CredmonMetricsOptions,
  ) {
    const registers = [this.registry];
    const now = options.now ?? Date.now;
    const { providerOf } = options;
    // One pass over the table per scrape, for both gauges: expose() starts a new scrape.
    let cached: { scrape: number; summary: CredentialSummary } | undefined;
    const summary = (): CredentialSummary => {
      if (cached?.scrape !== this.scrape) {
        cached = { scrape: this.scrape, summary: summarize(source.trackedCredentials(), now(), providerOf) };
      }
      return cached.summary;
    };
    new Gauge({
      name: 'credmon_credentials',
      help: 'Credentials the credmon tracks, by provider, kind (local, oauth, client) and state',
      labelNames: ['provider', 'kind', 'state'],
      registers,
      collect() {
        this.reset();
        const { counts } = summary();
        for (const [key, count] of counts) {
          const [provider = '', kind = '', state = ''] = key.split('\t');
          this.set({ provider, kind, state }, count);
        }
      },
    });
    new Gauge({
      name: 'credmon_token_min_remaining_seconds',
      help: 'Least time left before a .use of the provider that the credmon keeps fresh expires (negative: expired)',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        const nowMs = now();
        for (const [provider, expiresMs] of summary().soonestExpiryMs) {
          this.set({ provider }, (expiresMs - nowMs) / 1000);
        }
      },
    });
    this.written = new Counter({
      name: 'credmon_tokens_written_total',
      help: 'Tokens written to .use files: signed (local), refreshed (oauth) or obtained (client)',
      labelNames: ['provider', 'kind'],
      registers,
    });
    this.failures = new Counter({
      name: 'credmon_refresh_failures_total',
      help: 'Failed token-endpoint requests: transient (retried with backoff) or rejected (refused by the provider)',
      labelNames: ['provider', 'class'],
      registers,
    });
    const scans = new Histogram({
      name: 'credmon_scan_duration_seconds',
      help: 'Duration of a scan of the credential directory',
      buckets: SCAN_BUCKETS,
      registers,
    });
    const lastScan = new Gauge({
      name: 'credmon_last_scan_timestamp_seconds',
      help: 'When the last scan completed (unix time)',
      registers,
    });
    new Gauge({
      name: 'credmon_scan_interval_seconds',
      help: 'The configured time between scans (CREDMON_OAUTH_SCAN_INTERVAL)',
      registers,
    }).set(options.scanIntervalS);
    // The event-loop lag timer at 1 s, not prom-client's 10 ms: an idle credmon wakes once a second for it.
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });

    const wrote = ({ name, kind }: { name: string; kind: CredentialKind }): void => this.wrote(name, kind);
    source.on('credential.issued', wrote);
    source.on('credential.refreshed', wrote);
    source.on('credential.refresh_failed', ({ name, code }) => {
      this.failures.inc({
        provider: providerOf(name),
        class: code === 'ERR_REFRESH_REJECTED' ? 'rejected' : 'transient',
      });
    });
    source.on('scan.completed', ({ durationMs }) => {
      scans.observe(durationMs / 1000);
      lastScan.set(now() / 1000);
    });
  }

  /** The exposition text and its content type, for the metrics server. */
  expose(): Promise<{ readonly body: string; readonly contentType: string }> {
    this.scrape++;
    return exposeRegistry(this.registry);
  }

  private wrote(name: string, kind: CredentialKind): void {
    const provider = this.options.providerOf(name);
    const key = `${provider}\t${kind}`;
    let child = this.writtenChildren.get(key);
    if (!child) {
      child = this.written.labels({ provider, kind });
      this.writtenChildren.set(key, child);
    }
    child.inc();
  }
}
