import type { CredentialRef } from '../credentials/index.js';
import type { LocalJob } from './local-renewal.js';
import { directoryChanged, earliestDueMs, isDue, newSchedule, type Schedule } from './schedule.js';

/** A credential the credmon tracks: where it is, when to look at it again, and whether work holds it. */
export interface Tracked {
  readonly ref: CredentialRef;
  schedule: Schedule;
  /** A refresh or local job holds it. */
  busy: boolean;
  /**
   * A local credential's token as the credmon last wrote or verified it (tokenDigest), sent with its next job: a
   * `.use` still holding it is not verified again (local-renewal.ts). Set by the job's result (job-results.ts).
   */
  digest: string | undefined;
}

/**
 * The credentials the credmon tracks, by user, with the version of each user directory as last read and the users
 * whose local jobs are in flight. Knows nothing of files, issuers or providers.
 */
export class CredentialTable {
  private readonly tracked = new Map<string, Tracked>();
  /**
   * The names of each user's tracked credentials (an index into `tracked`). An array, not a Set: a user has one to
   * three, and a Set costs ten times the memory of a short array (at 10,000 users, about 2 MB).
   */
  private readonly namesByUser = new Map<string, string[]>();
  private readonly userVersions = new Map<string, string>();
  private readonly usersInFlight = new Set<string>();

  /** Every tracked credential (for the metrics and the status file: read, never changed). */
  entries(): IterableIterator<Tracked> {
    return this.tracked.values();
  }

  get(user: string, name: string): Tracked | undefined {
    return this.tracked.get(keyOf(user, name));
  }

  /** Whether the user's directory was read and not forgotten since, or is being read. */
  hasUser(user: string): boolean {
    return this.userVersions.has(user) || this.usersInFlight.has(user);
  }

  /**
   * The local work a scan that listed `users` finds: every user whose directory changed since it was read (read it
   * all), and every user with local credentials due at `nowMs`. Users in flight are left to their jobs. Each job
   * carries the digests known for the credentials it may renew.
   */
  localJobs(users: ReadonlyArray<{ readonly user: string; readonly version: string }>, nowMs: number): LocalJob[] {
    const dueLocal = this.dueLocalNamesByUser(nowMs);
    const jobs: LocalJob[] = [];
    for (const { user, version } of users) {
      if (this.usersInFlight.has(user)) continue;
      if (this.userVersions.get(user) !== version) {
        jobs.push(this.withDigests({ user, version }, this.namesByUser.get(user)));
        continue;
      }
      const names = dueLocal.get(user);
      if (names) jobs.push(this.withDigests({ user, names }, names));
    }
    return jobs;
  }

  /** Forgets every user not in `listed` (their directory is gone) unless a job holds them. */
  forgetUsersExcept(listed: ReadonlySet<string>): void {
    for (const user of [...this.userVersions.keys()]) {
      if (!listed.has(user) && !this.usersInFlight.has(user)) this.forgetUser(user);
    }
  }

  /**
   * Records a read of the user's directory: the credentials in it are tracked (a changed one due at once, as
   * directoryChanged says), the ones no longer in it are not.
   */
  updateUser(user: string, version: string, credentials: readonly CredentialRef[]): void {
    this.userVersions.set(user, version);
    const present = new Set(credentials.map((c) => c.name));
    for (const name of [...(this.namesByUser.get(user) ?? [])]) if (!present.has(name)) this.remove(user, name);
    for (const ref of credentials) {
      const entry = this.get(user, ref.name);
      if (entry && entry.ref.kind === ref.kind) entry.schedule = directoryChanged(entry.schedule, ref.kind);
      else this.add({ ref, schedule: newSchedule(), busy: false, digest: undefined });
    }
  }

  /** The user's directory is gone: forgets it and its credentials, except those that work holds. */
  forgetUser(user: string): void {
    this.userVersions.delete(user);
    for (const name of [...(this.namesByUser.get(user) ?? [])])
      if (!this.get(user, name)?.busy) this.remove(user, name);
  }

  /** Stops tracking `entry`, unless the table tracks another entry under its name by now. */
  untrack(entry: Tracked): void {
    if (this.get(entry.ref.user, entry.ref.name) === entry) this.remove(entry.ref.user, entry.ref.name);
  }

  /** Marks the users of `jobs` in flight and the credentials they name busy, until `release`. */
  hold(jobs: readonly LocalJob[]): void {
    for (const job of jobs) this.usersInFlight.add(job.user);
    this.markBusy(jobs, true);
  }

  release(jobs: readonly LocalJob[]): void {
    for (const job of jobs) this.usersInFlight.delete(job.user);
    this.markBusy(jobs, false);
  }

  /** The earliest due time of a credential that no work holds, or undefined. */
  earliestDueMs(): number | undefined {
    return earliestDueMs(this.tracked.values());
  }

  /** The credentials a token endpoint serves (OAuth and client-credentials) due at `nowMs` that no work holds. */
  *dueRemote(nowMs: number): Generator<Tracked> {
    for (const entry of this.tracked.values()) {
      if (entry.ref.kind !== 'local' && !entry.busy && isDue(entry.schedule, nowMs)) yield entry;
    }
  }

  private dueLocalNamesByUser(nowMs: number): Map<string, string[]> {
    const due = new Map<string, string[]>();
    for (const entry of this.tracked.values()) {
      if (entry.ref.kind !== 'local' || entry.busy || !isDue(entry.schedule, nowMs)) continue;
      const names = due.get(entry.ref.user);
      if (names) names.push(entry.ref.name);
      else due.set(entry.ref.user, [entry.ref.name]);
    }
    return due;
  }

  /** `job` with the digests known of its user's credentials `names` (none known: the job as it is, less to clone). */
  private withDigests(job: LocalJob, names: Iterable<string> | undefined): LocalJob {
    const digests = new Map<string, string>();
    for (const name of names ?? []) {
      const digest = this.get(job.user, name)?.digest;
      if (digest !== undefined) digests.set(name, digest);
    }
    return digests.size === 0 ? job : { ...job, digests };
  }

  private markBusy(jobs: readonly LocalJob[], busy: boolean): void {
    for (const job of jobs) {
      for (const name of job.names ?? []) {
        const entry = this.get(job.user, name);
        if (entry) entry.busy = busy;
      }
    }
  }

  private add(entry: Tracked): void {
    const { user, name } = entry.ref;
    this.tracked.set(keyOf(user, name), entry);
    const names = this.namesByUser.get(user);
    if (!names) this.namesByUser.set(user, [name]);
    else if (!names.includes(name)) names.push(name);
  }

  private remove(user: string, name: string): void {
    this.tracked.delete(keyOf(user, name));
    const names = this.namesByUser.get(user)?.filter((n) => n !== name);
    if (names === undefined) return;
    if (names.length === 0) this.namesByUser.delete(user);
    else this.namesByUser.set(user, names);
  }
}

function keyOf(user: string, name: string): string {
  return `${user}/${name}`;
}
