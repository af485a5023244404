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
  readonly maxEntries?: number;
}

/**
 * In-memory sessions and single-use OAuth states. A state is bound to the browser session that started the login,
 * to the key file and to the credential; it is deleted on first use, so a replayed or forged callback finds nothing.
 * Memory only: a restart of the web app just means clicking condor_submit's link again.
 */
export class LoginStore {
  private readonly sessions = new Map<string, LoginSession>();
  private readonly pending = new Map<string, PendingLogin>();
  private readonly now: () => number;
  private readonly pendingTtlMs: number;
  private readonly sessionTtlMs: number;
  private readonly maxEntries: number;

  constructor(options: LoginStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.pendingTtlMs = options.pendingTtlMs ?? 15 * 60_000;
    this.sessionTtlMs = options.sessionTtlMs ?? 12 * 3600_000;
    this.maxEntries = options.maxEntries ?? 10_000;
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
    evictOldest(this.sessions, this.maxEntries);
    return session;
  }

  getSession(id: string | undefined): LoginSession | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session && this.now() - session.createdAtMs > this.sessionTtlMs) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  startLogin(session: LoginSession, name: string, provider: string, codeVerifier: string): PendingLogin {
    this.expire();
    const login: PendingLogin = { state: randomToken(), sessionId: session.id, key: session.key, name, provider, codeVerifier, createdAtMs: this.now() };
    this.pending.set(login.state, login);
    evictOldest(this.pending, this.maxEntries);
    return login;
  }

  /**
   * Takes the pending login for `state` (once). Throws OAuthStateMismatch when the state is unknown, used, expired,
   * belongs to another browser session, or came back on another provider's return URL.
   */
  consumeState(state: string | undefined, sessionId: string | undefined, provider: string): PendingLogin {
    const login = state === undefined ? undefined : this.pending.get(state);
    if (state !== undefined) this.pending.delete(state);
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
    for (const [state, login] of this.pending) if (now - login.createdAtMs > this.pendingTtlMs) this.pending.delete(state);
    for (const [id, session] of this.sessions) if (now - session.createdAtMs > this.sessionTtlMs) this.sessions.delete(id);
  }
}

function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const first = map.keys().next();
    if (first.done) return;
    map.delete(first.value);
  }
}
