import type { Logger } from 'pino';
import type { CredentialTable } from './credential-table.js';
import type { LocalJobResult } from './local-renewal.js';
import { stepAfterLocal, type StepApplier } from './outcomes.js';
import type { ReportOnce } from '../shared/report-once.js';

/** What applying local job results works on. */
export interface JobResultTarget extends StepApplier {
  readonly table: CredentialTable;
  readonly log: Logger;
  readonly reported: ReportOnce;
}

/**
 * Applies what one local job found and did: a read of the user's directory updates the table (and odd entries in it
 * are reported once), then each local outcome's step and the digest of its token. Returns how many tokens the job
 * issued.
 * `logEachToken` false (a bulk issuance) logs each token at debug only.
 */
export function applyJobResult(target: JobResultTarget, result: LocalJobResult, logEachToken: boolean): number {
  const { table, log, reported } = target;
  const { user, listing, error: err } = result;
  if (err !== undefined) {
    reported.once(`user:${user}:${err}`, () =>
      log.error({ user, err }, 'Error while scanning credentials of user; other users continue'),
    );
    return 0;
  }
  if (listing) {
    if (!listing.exists || listing.version === undefined) {
      table.forgetUser(user);
      return 0;
    }
    table.updateUser(user, listing.version, listing.credentials);
    const removed = listing.removedTempFiles;
    if (removed > 0) log.info({ user, removed }, 'Removed temp files of an interrupted write');
    for (const { name: entry, type } of listing.others) {
      reported.once(`other:${user}/${entry}:${type}`, () =>
        log.warn({ user, entry }, `Skipping ${user}/${entry}: it is ${type}, not a regular file`),
      );
    }
  }
  let issued = 0;
  for (const { name, outcome } of result.local) {
    const entry = table.get(user, name);
    if (!entry) continue;
    const at = { user, name, nowMs: target.now(), random: target.random };
    target.apply(entry, stepAfterLocal(outcome, entry.schedule, at, logEachToken));
    // The token now in the `.use`, so that the next look at it (after our own write changed the directory, say)
    // skips its signature; after any other outcome the `.use` is not known to hold a good token.
    entry.digest = outcome.kind === 'issued' || outcome.kind === 'fresh' ? outcome.digest : undefined;
    if (outcome.kind === 'issued') issued++;
  }
  return issued;
}
