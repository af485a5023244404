import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { exposeRegistry } from './metrics-server.js';

/** How a login that came back from a provider ended. */
export type LoginOutcome = 'completed' | 'denied' | 'failed' | 'invalid_state';

/** What the web app reports; its routes call these (build-app.ts, login-routes.ts). */
export interface WebAppMetrics {
  /** A browser was sent to `provider` to log in. */
  loginStarted(provider: string): void;
  /** A provider's redirect back was handled; `provider` undefined when the state named no login of ours. */
  loginFinished(provider: string | undefined, outcome: LoginOutcome): void;
  /** A request was answered; `route` is the route's pattern (`/key/:key`), never the URL, which carries keys. */
  requestDone(method: string, route: string | undefined, statusCode: number, seconds: number): void;
}

const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 20];
/** Label values a counter takes at most per label; past it, `other` (a cap, whatever the inputs). */
const MAX_VALUES = 64;

/** Keeps a label's values bounded: the first MAX_VALUES seen, then `other`. */
function bounded(): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= MAX_VALUES) return 'other';
    seen.add(value);
    return value;
  };
}

/** The web app's Prometheus metrics, in a registry of their own; no label carries a user, a key or a URL. */
export class WebMetrics implements WebAppMetrics {
  readonly registry = new Registry();
  private readonly started: Counter<'provider'>;
  private readonly logins: Counter<'provider' | 'outcome'>;
  private readonly requests: Histogram<'method' | 'route' | 'status_code'>;
  private readonly provider = bounded();
  private readonly route = bounded();
  private readonly method = bounded();

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.started = new Counter({
      name: 'credmon_web_logins_started_total',
      help: 'Browsers sent to a provider to log in',
      labelNames: ['provider'],
      registers,
    });
    this.logins = new Counter({
      name: 'credmon_web_logins_total',
      help: 'Logins back from a provider: completed (tokens stored), denied, failed, or invalid_state (forged, old)',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    this.requests = new Histogram({
      name: 'credmon_web_request_duration_seconds',
      help: 'Time to answer a request, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }

  loginStarted(provider: string): void {
    this.started.inc({ provider: this.provider(provider) });
  }

  loginFinished(provider: string | undefined, outcome: LoginOutcome): void {
    this.logins.inc({ provider: provider === undefined ? 'unknown' : this.provider(provider), outcome });
  }

  requestDone(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    const labels = { method: this.method(method), route: this.route(route ?? 'unmatched'), status_code: statusCode };
    this.requests.observe(labels, seconds);
  }

  expose(): Promise<{ readonly body: string; readonly contentType: string }> {
    return exposeRegistry(this.registry);
  }
}
