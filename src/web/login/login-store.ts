import { OAuthStateMismatch } from '../../shared/errors.js';
import { randomToken } from '../../oauth/index.js';

/** What the browser is doing for one key file: which credentials it has completed. */
export interface LoginSession {
  readonly id: string;
  readonly key: string;
  readonly localUser: string;
  /** Credential names (`svc` or `svc_handle`) the key file asks for, in its order. */
  readonly names: readonly string[];
  /** What each credential asks for, kept to show progress after the key file is gone (no secrets here). */
  readonly requested: ReadonlyMap<string, RequestSummary>;
  /** Completed credentials, with what the provider reported (shown to the user). */
  readonly done: Map<string, { readonly scope: string | undefined; readonly subject: string | undefined }>;
  createdAtMs: number;
}

export interface RequestSummary {
  readonly provider: string;
  readonly handle: string;
  readonly scopes: string;
  readonly audience: string;
}

/** A login in flight: created when the browser is sent to the provider, consumed once by the callback. */
export interface PendingLogin {
  readonly state: string;
  readonly sessionId: string;
  readonly key: string;
  readonly name: string;
  readonly provider: string;
  readonly codeVerifier: string;
  readonly createdAtMs: number;
}

export interface LoginStoreOptions {
  readonly now?: () => number;
  /** How long a started login may take at the provider. */
  readonly pendingTtlMs?: number;
  /** How long a browser session lives. */
  readonly sessionTtlMs?: number;
  /** Sessions in all (memory bound); beyond it, the local user holding the most sessions loses one. */
  readonly maxEntries?: number;
  /** Browser sessions per key file: opening one link again and again only ever evicts that link's own sessions. */
  readonly maxSessionsPerKey?: number;
  /** Browser sessions per local user, across key files (one user's many condor_submit links). */
  readonly maxSessionsPerUser?: number;
  /** Logins in flight per browser session: clicking "Log in" again and again only evicts that browser's own states. */
  readonly maxPendingPerSession?: number;
}

/**
 * In-memory sessions and single-use OAuth states. A state is bound to the browser session that started the login,
 * to the key file and to the credential; it is deleted on first use, so a replayed or forged callback finds nothing.
 * Memory only: a restart of the web app just means clicking condor_submit's link again.
 *
 * Bounded so that a flood costs the flooder: sessions are capped per key file and per local user, states per browser
 * session, and when a cap is reached the victim is an idle session (one that never started a login) of the same key
 * file, user or session before any other. Expired entries go first, oldest first.
 */
export class LoginStore {
  private readonly sessions = new Map<string, LoginSession>();
  private readonly pending = new Map<string, PendingLogin>();
  private readonly sessionsByKey = new Map<string, Set<string>>();
  private readonly sessionsByUser = new Map<string, Set<string>>();
  private readonly pendingBySession = new Map<string, Set<string>>();
  /** Sessions that started at least one login (kept in preference to idle ones). */
  private readonly active = new Set<string>();
  private readonly now: () => number;
  private readonly pendingTtlMs: number;
  private readonly sessionTtlMs: number;
  private readonly maxEntries: number;
  private readonly maxSessionsPerKey: number;
  private readonly maxSessionsPerUser: number;
  private readonly maxPendingPerSession: number;

  constructor(options: LoginStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.pendingTtlMs = options.pendingTtlMs ?? 15 * 60_000;
    this.sessionTtlMs = options.sessionTtlMs ?? 12 * 3600_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxSessionsPerKey = options.maxSessionsPerKey ?? 16;
    this.maxSessionsPerUser = options.maxSessionsPerUser ?? 64;
    this.maxPendingPerSession = options.maxPendingPerSession ?? 8;
    for (const [name, value] of Object.entries({
      maxEntries: this.maxEntries,
      maxSessionsPerKey: this.maxSessionsPerKey,
      maxSessionsPerUser: this.maxSessionsPerUser,
      maxPendingPerSession: this.maxPendingPerSession,
    })) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new RangeError(`LoginStore ${name} must be a positive integer`);
    }
  }

  /** Sessions and pending logins held now (for tests and the log). */
  get size(): { readonly sessions: number; readonly pending: number } {
    return { sessions: this.sessions.size, pending: this.pending.size };
  }

  createSession(key: string, localUser: string, requested: ReadonlyMap<string, RequestSummary>): LoginSession {
    this.expire();
    const session: LoginSession = {
      id: randomToken(),
      key,
      localUser,
      names: [...requested.keys()],
      requested: new Map(requested),
      done: new Map(),
      createdAtMs: this.now(),
    };
    this.sessions.set(session.id, session);
    const ofKey = addTo(this.sessionsByKey, key, session.id);
    const ofUser = addTo(this.sessionsByUser, localUser, session.id);
    if (ofKey.size > this.maxSessionsPerKey) this.removeSession(this.victimAmong(ofKey));
    if (ofUser.size > this.maxSessionsPerUser) this.removeSession(this.victimAmong(ofUser));
    if (this.sessions.size > this.maxEntries) this.removeSession(this.victimAmong(this.largestUser()));
    return session;
  }

  getSession(id: string | undefined): LoginSession | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session && this.now() - session.createdAtMs > this.sessionTtlMs) {
      this.removeSession(id);
      return undefined;
    }
    return session;
  }

  startLogin(session: LoginSession, name: string, provider: string, codeVerifier: string): PendingLogin {
    this.expire();
    const login: PendingLogin = {
      state: randomToken(),
      sessionId: session.id,
      key: session.key,
      name,
      provider,
      codeVerifier,
      createdAtMs: this.now(),
    };
    this.pending.set(login.state, login);
    this.active.add(session.id);
    const ofSession = addTo(this.pendingBySession, session.id, login.state);
    if (ofSession.size > this.maxPendingPerSession) {
      const oldest = ofSession.values().next();
      if (!oldest.done) this.removePending(oldest.value);
    }
    return login;
  }

  /**
   * Takes the pending login for `state` (once). Throws OAuthStateMismatch when the state is unknown, used, expired,
   * belongs to another browser session, or came back on another provider's return URL.
   */
  consumeState(state: string | undefined, sessionId: string | undefined, provider: string): PendingLogin {
    const login = state === undefined ? undefined : this.pending.get(state);
    if (state !== undefined) this.removePending(state);
    const problem =
      login === undefined
        ? 'it was not started here, or it was already used'
        : this.now() - login.createdAtMs > this.pendingTtlMs
          ? 'it took too long'
          : login.sessionId !== sessionId
            ? 'it was started in another browser (or the browser lost its session cookie)'
            : login.provider !== provider
              ? `it belongs to provider ${login.provider}, not ${provider}`
              : undefined;
    if (problem !== undefined || login === undefined) {
      throw new OAuthStateMismatch(
        `This login response cannot be accepted: ${problem ?? 'unknown state'}. Open the link condor_submit printed and log in again.`,
      );
    }
    return login;
  }

  private expire(): void {
    const now = this.now();
    // Maps iterate in insertion order, which is creation order: stop at the first entry still alive.
    for (const [state, login] of this.pending) {
      if (now - login.createdAtMs <= this.pendingTtlMs) break;
      this.removePending(state);
    }
    for (const [id, session] of this.sessions) {
      if (now - session.createdAtMs <= this.sessionTtlMs) break;
      this.removeSession(id);
    }
  }

  /** The oldest idle session among `ids` (one that never started a login), else the oldest. */
  private victimAmong(ids: ReadonlySet<string>): string | undefined {
    let oldest: string | undefined;
    for (const id of ids) {
      oldest ??= id;
      if (!this.active.has(id)) return id;
    }
    return oldest;
  }

  private largestUser(): ReadonlySet<string> {
    let largest: ReadonlySet<string> = new Set();
    for (const ids of this.sessionsByUser.values()) if (ids.size > largest.size) largest = ids;
    return largest;
  }

  private removeSession(id: string | undefined): void {
    if (id === undefined) return;
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.active.delete(id);
    removeFrom(this.sessionsByKey, session.key, id);
    removeFrom(this.sessionsByUser, session.localUser, id);
    for (const state of this.pendingBySession.get(id) ?? []) this.pending.delete(state);
    this.pendingBySession.delete(id);
  }

  private removePending(state: string): void {
    const login = this.pending.get(state);
    if (!login) return;
    this.pending.delete(state);
    removeFrom(this.pendingBySession, login.sessionId, state);
  }
}

function addTo(index: Map<string, Set<string>>, name: string, id: string): Set<string> {
  let ids = index.get(name);
  if (!ids) index.set(name, (ids = new Set()));
  ids.add(id);
  return ids;
}

function removeFrom(index: Map<string, Set<string>>, name: string, id: string): void {
  const ids = index.get(name);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(name);
}
