import type { Logger } from 'pino';
import type { CredmonConfig } from '../config/index.js';
import type { CredentialDirectory } from '../credentials/index.js';
import { describeError } from '../shared/errors.js';
import type { Tracked } from './credential-table.js';
import { credentialLogger, writeLogLine } from './log-line.js';
import { decideOAuthRefresh } from './oauth-policy.js';
import { refreshOAuthCredential, type OAuthRefreshContext } from './oauth-refresh.js';
import { stepAfterOAuth, type StepApplier } from './outcomes.js';
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
}

/**
 * Refreshes due OAuth credentials in the background, those of providers this credmon serves (oauth-policy.ts),
 * through a per-provider gate (provider-gate.ts), and keeps the refreshes in flight until they settle.
 */
export class OAuthRefresher {
  private readonly options: OAuthRefresherOptions;
  private readonly context: OAuthRefreshContext;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: OAuthRefresherOptions) {
    this.options = options;
    const { config, now } = options;
    this.context = {
      directory: options.directory,
      gate: new ProviderGate({ maxConcurrency: config.refreshConcurrency, now }),
      timeoutMs: config.refreshTimeoutS * 1000,
      now,
      fetch: options.fetch,
      isStopping: options.isStopping,
    };
  }

  /** Starts refreshing each due OAuth credential of `due` that no work holds; returns how many it started. */
  startDue(due: Iterable<Tracked>): number {
    const { config, log, reported } = this.options;
    let started = 0;
    for (const entry of due) {
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

  /** Waits until no refresh is in flight. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private start(entry: Tracked): void {
    const { log, now, random, apply } = this.options;
    const { user, name } = entry.ref;
    entry.busy = true;
    const task = refreshOAuthCredential(this.context, user, name, entry.schedule)
      .then((outcome) => apply(entry, stepAfterOAuth(outcome, entry.schedule, { user, name, nowMs: now(), random })))
      .catch((error: unknown) =>
        credentialLogger(log, entry.ref).error({ err: describeError(error) }, 'Unexpected error while refreshing'),
      )
      .finally(() => {
        entry.busy = false;
        this.inFlight.delete(task);
      });
    this.inFlight.add(task);
  }
}
