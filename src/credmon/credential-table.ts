import type { CredentialRef } from '../credentials/index.js';
import { earliestDueMs, isDue, type Schedule } from './schedule.js';

/** One credential the credmon knows about: what it is, when to look again, and whether work on it is in flight. */
export interface Tracked {
  readonly ref: CredentialRef;
  schedule: Schedule;
  /** A refresh or local job holds it. */
  busy: boolean;
}

/**
 * What the credmon knows about the credential directory: every credential with its schedule, indexed by user, each
 * user directory's version as last read, and the users whose local work is on a worker thread. No I/O, no clock.
 */
export class CredentialTable {
  private readonly byKey = new Map<string, Tracked>();
  private readonly namesByUser = new Map<string, Set<string>>();
  private readonly versions = new Map<string, string>();
  private readonly inFlight = new Set<string>();

  get(user: string, name: string): Tracked | undefined {
    return this.byKey.get(keyOf(user, name));
  }

  /** Starts tracking `ref` with `schedule`, or keeps the entry and its schedule when the kind is unchanged. */
  upsert(ref: CredentialRef, schedule: (existing: Tracked | undefined) => Schedule): Tracked {
    const existing = this.get(ref.user, ref.name);
    if (existing && existing.ref.kind === ref.kind) {
      existing.schedule = schedule(existing);
      return existing;
    }
    const entry: Tracked = { ref, schedule: schedule(undefined), busy: false };
    this.byKey.set(keyOf(ref.user, ref.name), entry);
    const names = this.namesByUser.get(ref.user);
    if (names) names.add(ref.name);
    else this.namesByUser.set(ref.user, new Set([ref.name]));
    return entry;
  }

  untrack(user: string, name: string): void {
    this.byKey.delete(keyOf(user, name));
    const names = this.namesByUser.get(user);
    names?.delete(name);
    if (names?.size === 0) this.namesByUser.delete(user);
  }

  /** Untracks `entry` unless a newer entry took its place meanwhile (a refresh that ends after a new login). */
  untrackEntry(entry: Tracked): void {
    if (this.get(entry.ref.user, entry.ref.name) === entry) this.untrack(entry.ref.user, entry.ref.name);
  }

  /** Keeps only the credentials of `user` named in `present`. */
  retainOnly(user: string, present: ReadonlySet<string>): void {
    for (const name of [...(this.namesByUser.get(user) ?? [])]) if (!present.has(name)) this.untrack(user, name);
  }

  /** The user directory is gone: forget its version and every credential not held by work in flight. */
  forgetUser(user: string): void {
    this.versions.delete(user);
    for (const name of [...(this.namesByUser.get(user) ?? [])]) if (!this.get(user, name)?.busy) this.untrack(user, name);
  }

  userVersion(user: string): string | undefined {
    return this.versions.get(user);
  }

  setUserVersion(user: string, version: string): void {
    this.versions.set(user, version);
  }

  /** Users whose directory was read at least once. */
  knownUsers(): IterableIterator<string> {
    return this.versions.keys();
  }

  isKnown(user: string): boolean {
    return this.versions.has(user);
  }

  isInFlight(user: string): boolean {
    return this.inFlight.has(user);
  }

  /** Marks the users of `jobs` (and their named credentials) as held by local work, or releases them. */
  hold(jobs: ReadonlyArray<{ readonly user: string; readonly names?: readonly string[] | undefined }>, held: boolean): void {
    for (const job of jobs) {
      if (held) this.inFlight.add(job.user);
      else this.inFlight.delete(job.user);
      for (const name of job.names ?? []) {
        const entry = this.get(job.user, name);
        if (entry) entry.busy = held;
      }
    }
  }

  /** Local credentials due at `nowMs` and not busy, by user. */
  dueLocalNamesByUser(nowMs: number): Map<string, string[]> {
    const due = new Map<string, string[]>();
    for (const entry of this.byKey.values()) {
      if (entry.ref.kind !== 'local' || entry.busy || !isDue(entry.schedule, nowMs)) continue;
      const names = due.get(entry.ref.user);
      if (names) names.push(entry.ref.name);
      else due.set(entry.ref.user, [entry.ref.name]);
    }
    return due;
  }

  /** OAuth credentials due at `nowMs` and not busy. */
  *dueOAuth(nowMs: number): Generator<Tracked> {
    for (const entry of this.byKey.values()) {
      if (entry.ref.kind === 'oauth' && !entry.busy && isDue(entry.schedule, nowMs)) yield entry;
    }
  }

  /** The earliest due time of any credential that is not busy, or undefined. */
  earliestDueMs(): number | undefined {
    return earliestDueMs(this.byKey.values());
  }
}

function keyOf(user: string, name: string): string {
  return `${user}/${name}`;
}
