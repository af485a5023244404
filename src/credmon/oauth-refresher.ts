import type { Logger } from 'pino';
import type { CredmonConfig } from '../config/index.js';
import type { CredentialDirectory } from '../credentials/index.js';
import { describeError } from '../shared/errors.js';
import { GroupMapfile } from '../issuer/index.js';
import { createTokenEndpointResolver } from '../oauth/index.js';
import { refreshClientCredential, type ClientEndpoint, type ClientProvider } from './client-refresh.js';
import type { ClientRefreshContext } from './client-refresh.js';
import type { Tracked } from './credential-table.js';
import { credentialLogger, writeLogLine } from './log-line.js';
import { decideOAuthRefresh } from './oauth-policy.js';
import { refreshOAuthCredential, type OAuthRefreshContext } from './oauth-refresh.js';
import { stepAfterClient, stepAfterOAuth, type Step, type StepApplier } from './outcomes.js';
import { ProviderGate } from './provider-gate.js';
import type { ReportOnce } from '../shared/report-once.js';
import { waitForChange } from './schedule.js';

export interface OAuthRefresherOptions extends StepApplier {
  readonly config: CredmonConfig;
  readonly directory: CredentialDirectory;
  readonly log: Logger;
  readonly fetch?: typeof fetch | undefined;
  /** A credmon that is stopping starts no new request. */
  readonly isStopping: () => boolean;
  /** Where the notices of providers left alone go, once each. */
  readonly reported: ReportOnce;
  /** The client-credentials providers (CLIENT_CREDMON_PROVIDER_NAMES) by name, or why one cannot be used. */
  readonly clients?: ReadonlyMap<string, ClientProvider | Error> | undefined;
}

/**
 * Asks token endpoints in the background: refreshes due OAuth credentials of the providers this credmon serves
 * (oauth-policy.ts), and gets due client-credentials tokens (client-refresh.ts), through one per-provider gate
 * (provider-gate.ts: a provider is its token endpoint's origin, whichever grant), and keeps the requests in flight
 * until they settle.
 */
export class OAuthRefresher {
  private readonly options: OAuthRefresherOptions;
  private readonly context: OAuthRefreshContext;
  private readonly clientContext: ClientRefreshContext;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: OAuthRefresherOptions) {
    this.options = options;
    const { config, now, log, reported } = options;
    this.context = {
      directory: options.directory,
      gate: new ProviderGate({ maxConcurrency: config.refreshConcurrency, now }),
      timeoutMs: config.refreshTimeoutS * 1000,
      now,
      fetch: options.fetch,
      isStopping: options.isStopping,
    };
    this.clientContext = {
      ...this.context,
      handles: config.handles,
      clients: this.clientEndpoints(options.clients ?? new Map()),
      warn: (onceKey, message) => reported.once(onceKey, () => log.warn(message)),
    };
  }

  /** Starts refreshing each due OAuth credential of `due` that no work holds; returns how many it started. */
  startDue(due: Iterable<Tracked>): number {
    const { config, log, reported } = this.options;
    let started = 0;
    for (const entry of due) {
      if (entry.ref.kind === 'client') {
        this.startClient(entry);
        started++;
        continue;
      }
      const decision = decideOAuthRefresh(entry.ref.name, config);
      if (decision.refresh) {
        this.start(entry);
        started++;
      } else {
        reported.once(decision.onceKey, () => writeLogLine(log, decision.notice));
        entry.schedule = waitForChange(entry.schedule);
      }
    }
    return started;
  }

  /** Whether refreshes are in flight. */
  busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Waits until no refresh is in flight. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private start(entry: Tracked): void {
    const { now, random } = this.options;
    const { user, name } = entry.ref;
    this.track(entry, async () => {
      const outcome = await refreshOAuthCredential(this.context, user, name, entry.schedule);
      return stepAfterOAuth(outcome, entry.schedule, { user, name, nowMs: now(), random });
    });
  }

  private startClient(entry: Tracked): void {
    const { now, random } = this.options;
    const { user, name } = entry.ref;
    this.track(entry, async () => {
      const outcome = await refreshClientCredential(this.clientContext, user, name);
      return stepAfterClient(outcome, entry.schedule, { user, name, nowMs: now(), random });
    });
  }

  /** Holds `entry` while `work` runs, applies the step it ends with, and keeps it in flight until then. */
  private track(entry: Tracked, work: () => Promise<Step>): void {
    const { log, apply } = this.options;
    entry.busy = true;
    const task = work()
      .then((step) => apply(entry, step))
      .catch((error: unknown) =>
        credentialLogger(log, entry.ref).error({ err: describeError(error) }, 'Unexpected error at the token endpoint'),
      )
      .finally(() => {
        entry.busy = false;
        this.inFlight.delete(task);
      });
    this.inFlight.add(task);
  }

  /** Each client provider with its endpoint resolver (TOKEN_URL, or discovery cached as upstream does). */
  private clientEndpoints(
    clients: ReadonlyMap<string, ClientProvider | Error>,
  ): ReadonlyMap<string, ClientEndpoint | Error> {
    const { now, random, fetch } = this.options;
    const endpoints = new Map<string, ClientEndpoint | Error>();
    for (const [name, client] of clients) {
      if (client instanceof Error) {
        endpoints.set(name, client);
        continue;
      }
      const { config } = client;
      const resolver = createTokenEndpointResolver({
        tokenUrl: config.tokenUrl,
        issuer: config.issuer,
        lifetimeS: config.tokenEndpointLifetimeS,
        timeoutMs: this.context.timeoutMs,
        now,
        random,
        ...(fetch ? { fetch } : {}),
      });
      const mapfile = config.authzGroupMapfile === undefined ? undefined : new GroupMapfile(config.authzGroupMapfile);
      endpoints.set(name, { ...client, resolver, mapfile });
    }
    return endpoints;
  }
}
