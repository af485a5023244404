import { RefreshUnavailable } from '../shared/errors.js';
import { describeFetchError, readCappedText } from './fetch-body.js';
import { answerOfResponse, type HttpAnswer } from './http-answer.js';
import { parseRetryAfter } from './retry-after.js';

/** The most a discovery document may be, in bytes (real ones are a few KB). */
export const MAX_DISCOVERY_BYTES = 256 * 1024;
/** Upstream's TOKEN_ENDPOINT_LIFETIME jitter: `randint(0, 60)` seconds, drawn once. */
const DEFAULT_JITTER_S = 60;
/** After a failed discovery, the last good endpoint is used this long before discovery is tried again. */
const DEFAULT_FAILURE_RETRY_S = 60;
/** How much provider text (an issuer value) a message may quote. */
const MAX_QUOTED_CHARS = 200;

export interface TokenEndpointResolverOptions {
  /** TOKEN_URL: when set (not empty) it is the endpoint and discovery never runs. */
  readonly tokenUrl?: string | undefined;
  /** ISSUER: discovery reads `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4). */
  readonly issuer: string;
  /** TOKEN_ENDPOINT_LIFETIME (upstream's default 3600): how long a discovered endpoint is used. */
  readonly lifetimeS: number;
  /** Added to lifetimeS once, `0..jitterS` whole seconds, as upstream does (default 60). */
  readonly jitterS?: number;
  /** After a failed discovery, how long the last good endpoint is used before asking again (default 60 s). */
  readonly failureRetryS?: number;
  readonly timeoutMs: number;
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Injected clock (epoch ms); defaults to Date.now. */
  readonly now?: () => number;
  /** Injected for the jitter; defaults to Math.random. */
  readonly random?: () => number;
}

type DiscoveryOptions = Pick<TokenEndpointResolverOptions, 'timeoutMs' | 'fetch' | 'now'>;
interface FailureDetails {
  readonly status?: number;
  readonly retryAfterS?: number | undefined;
}

export interface ResolvedTokenEndpoint {
  readonly tokenUrl: string;
  /**
   * `configured`: TOKEN_URL; `discovered`: fetched now; `cached`: from a discovery within the lifetime; `stale`: the
   * last good endpoint, because discovery failed (`problem` says why, for a log line).
   */
  readonly source: 'configured' | 'discovered' | 'cached' | 'stale';
  readonly problem?: RefreshUnavailable;
}

export interface TokenEndpointResolver {
  /** The endpoint to use now; rejects with RefreshUnavailable (naming the issuer) only when none is known yet. */
  resolve(): Promise<ResolvedTokenEndpoint>;
}

/**
 * Resolves a provider's token endpoint as upstream's ClientCredmon.py does: TOKEN_URL when set, else OIDC discovery
 * from the issuer, cached for lifetimeS plus a jitter; a failed discovery keeps the last good endpoint (and is tried
 * again after failureRetryS), the first failure is an error. Unlike upstream, the document's `issuer` must be the
 * configured issuer (a trailing `/` aside) and `token_endpoint` an http(s) URL. Concurrent calls share one request.
 */
export function createTokenEndpointResolver(options: TokenEndpointResolverOptions): TokenEndpointResolver {
  const configured = options.tokenUrl?.trim() ?? '';
  if (configured !== '') {
    const fixed: ResolvedTokenEndpoint = { tokenUrl: configured, source: 'configured' };
    return { resolve: () => Promise.resolve(fixed) };
  }
  if (!Number.isFinite(options.lifetimeS) || options.lifetimeS < 0) throw new RangeError('lifetimeS must be >= 0');
  const now = options.now ?? Date.now;
  const jitterS = Math.floor((options.random ?? Math.random)() * ((options.jitterS ?? DEFAULT_JITTER_S) + 1));
  const lifetimeMs = (options.lifetimeS + jitterS) * 1000;
  const failureRetryMs = (options.failureRetryS ?? DEFAULT_FAILURE_RETRY_S) * 1000;
  let last: string | undefined;
  let validUntilMs = 0;
  let lastProblem: RefreshUnavailable | undefined;
  let inFlight: Promise<ResolvedTokenEndpoint> | undefined;

  const refresh = async (): Promise<ResolvedTokenEndpoint> => {
    try {
      last = await discoverTokenEndpoint(options.issuer, options);
      validUntilMs = now() + lifetimeMs;
      lastProblem = undefined;
      return { tokenUrl: last, source: 'discovered' };
    } catch (error) {
      if (!(error instanceof RefreshUnavailable) || last === undefined) throw error;
      const waitMs = Math.max(failureRetryMs, (error.retryAfterS ?? 0) * 1000);
      validUntilMs = now() + waitMs;
      lastProblem = error;
      return { tokenUrl: last, source: 'stale', problem: error };
    }
  };
  return {
    resolve(): Promise<ResolvedTokenEndpoint> {
      if (last !== undefined && now() < validUntilMs) {
        if (lastProblem === undefined) return Promise.resolve({ tokenUrl: last, source: 'cached' });
        return Promise.resolve({ tokenUrl: last, source: 'stale', problem: lastProblem });
      }
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}

/**
 * One OIDC discovery (OpenID Connect Discovery 1.0 §4): GET `<issuer>/.well-known/openid-configuration` and return
 * its `token_endpoint`. Every failure is a RefreshUnavailable naming the issuer.
 */
export async function discoverTokenEndpoint(issuer: string, options: DiscoveryOptions): Promise<string> {
  const base = issuer.trim().replace(/\/+$/, '');
  const url = `${base}/.well-known/openid-configuration`;
  function fail(why: string, details: FailureDetails = {}, cause?: unknown): RefreshUnavailable {
    const message = `OIDC discovery for issuer ${base} (${url}) failed: ${why}`;
    return new RefreshUnavailable(message, details, cause === undefined ? undefined : { cause });
  }
  let response: Response;
  try {
    const signal = AbortSignal.timeout(options.timeoutMs);
    response = await (options.fetch ?? fetch)(url, { headers: { accept: 'application/json' }, signal });
  } catch (error) {
    throw fail(`unreachable: ${describeFetchError(error, options.timeoutMs)}`, {}, error);
  }
  const status = response.status;
  if (status !== 200) {
    void response.body?.cancel().catch(() => undefined);
    const retryAfterS = parseRetryAfter(response.headers.get('retry-after'), (options.now ?? Date.now)());
    throw fail(`HTTP ${status}`, { status, retryAfterS });
  }
  let text: string;
  try {
    text = await readCapped(answerOfResponse(response));
  } catch (error) {
    if (error instanceof RangeError) throw fail(error.message, { status }, error);
    throw fail(`the answer broke off: ${describeFetchError(error, options.timeoutMs)}`, { status }, error);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw fail('the answer is not JSON', { status });
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw fail('the answer is not a JSON object', { status });
  }
  const fields = document as Record<string, unknown>;
  const named = fields['issuer'];
  if (typeof named !== 'string' || named.replace(/\/+$/, '') !== base) {
    throw fail(`the document names issuer ${quote(named)}, not ${base}`, { status });
  }
  const endpoint = fields['token_endpoint'];
  if (endpoint === undefined) throw fail('the document has no token_endpoint', { status });
  if (typeof endpoint !== 'string' || !isHttpUrl(endpoint)) {
    throw fail(`token_endpoint ${quote(endpoint)} is not an http(s) URL`, { status });
  }
  return endpoint;
}

/** The body as text, at most MAX_DISCOVERY_BYTES (RangeError past it, the connection dropped). */
function readCapped(response: HttpAnswer): Promise<string> {
  return readCappedText(
    response,
    MAX_DISCOVERY_BYTES,
    () => new RangeError(`the answer is larger than ${MAX_DISCOVERY_BYTES} bytes`),
  );
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Provider text quoted on one line, without control characters, at most MAX_QUOTED_CHARS. */
function quote(value: unknown): string {
  if (value === undefined) return '(none)';
  const raw = typeof value === 'string' ? value : JSON.stringify(value);
  const text = raw.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ');
  const chars = [...text];
  return JSON.stringify(chars.length > MAX_QUOTED_CHARS ? `${chars.slice(0, MAX_QUOTED_CHARS).join('')}…` : text);
}
