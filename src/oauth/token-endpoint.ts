import { RefreshRejected, RefreshUnavailable } from '../shared/errors.js';
import { parseRetryAfter } from './retry-after.js';
import { describeFetchError, oneLine, readCappedText } from './fetch-body.js';
import { postWithFetch, postWithNode, type HttpAnswer } from './http-answer.js';
import { createSecretScrubber } from './scrub-secrets.js';

/**
 * The most a token endpoint may answer, in bytes: past it the body is not read further and the connection is dropped.
 * The whole token response (what `.use` is made of) is held to the same cap, well under what the credential layer
 * reads back (1 MiB), so an accepted answer can always be written and read again.
 */
export const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;
/** The longest access_token or refresh_token accepted, in bytes (large provider JWTs are ~10 KB). */
export const MAX_TOKEN_BYTES = 64 * 1024;
/** RFC 6749 §5.2 error codes are printable ASCII; this client quotes only plain ones. */
const SAFE_ERROR_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface TokenResponse {
  /** The whole response object, as the provider sent it (what `.use` is made of). */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  readonly expiresInS: number | undefined;
}

export interface TokenRequestOptions {
  readonly timeoutMs: number;
  /** Injected for tests; by default Node's own HTTP client (http-answer.ts), not fetch. */
  readonly fetch?: typeof fetch;
  /** Injected clock (epoch ms) for Retry-After dates; defaults to Date.now. */
  readonly now?: () => number;
  /** Exactly this client authentication, with no fallback; unset: in the body, then HTTP Basic after a 401. */
  readonly clientAuth?: ClientAuthMethod;
}

/** RFC 6749 §2.3.1: HTTP Basic with the form-encoded id and secret, or both in the request body. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/**
 * POSTs a token request (RFC 6749 §4.1.3 / §6) and classifies the outcome:
 * - a JSON (or form-encoded) body with `access_token` → TokenResponse;
 * - an OAuth error that a person must fix (invalid_grant, invalid_client, any other 4xx) → RefreshRejected;
 * - timeouts, refused or reset connections, 3xx, 5xx, 429 (with the provider's Retry-After as `retryAfterS`), bodies
 *   that make no sense, bodies over MAX_TOKEN_RESPONSE_BYTES and tokens over MAX_TOKEN_BYTES → RefreshUnavailable.
 * Client authentication goes in the body, as HTCondor's credmon does; if the provider answers 401 invalid_client,
 * the request is retried once with HTTP Basic (client_secret_basic), which is the other common requirement;
 * `options.clientAuth` names one method instead, used alone.
 * Response bodies and tokens never appear in error messages; the provider's error_description is quoted on one line,
 * at most 200 characters, with every encoding of every secret of the request scrubbed out.
 */
export async function requestTokens(
  tokenUrl: string,
  grant: Readonly<Record<string, string>>,
  client: ClientCredentials,
  options: TokenRequestOptions,
): Promise<TokenResponse> {
  if (options.clientAuth !== undefined) {
    const auth = options.clientAuth === 'client_secret_basic' ? 'basic' : 'body';
    return postTokenRequest(tokenUrl, grant, client, auth, options);
  }
  try {
    return await postTokenRequest(tokenUrl, grant, client, 'body', options);
  } catch (error) {
    if (error instanceof RefreshRejected && error.oauthError === 'invalid_client' && error.status === 401) {
      return postTokenRequest(tokenUrl, grant, client, 'basic', options);
    }
    throw error;
  }
}

async function postTokenRequest(
  tokenUrl: string,
  grant: Readonly<Record<string, string>>,
  client: ClientCredentials,
  auth: 'body' | 'basic',
  options: TokenRequestOptions,
): Promise<TokenResponse> {
  const post = options.fetch ? postWithFetch(options.fetch) : postWithNode;
  const body = new URLSearchParams(grant);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (auth === 'body') {
    body.set('client_id', client.clientId);
    body.set('client_secret', client.clientSecret);
  } else {
    const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
    headers['authorization'] =
      `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret)}`).toString('base64')}`;
  }
  // Providers sometimes echo what they were sent, in any encoding: no grant value or secret may reach a message.
  const scrub = createSecretScrubber([
    grant['refresh_token'],
    grant['code'],
    grant['code_verifier'],
    client.clientSecret,
  ]);
  const unavailable = (
    message: string,
    details: { status?: number; retryAfterS?: number | undefined },
    cause?: unknown,
  ): RefreshUnavailable => new RefreshUnavailable(scrub(message), details, cause === undefined ? undefined : { cause });
  const host = safeHost(tokenUrl);
  let response: HttpAnswer;
  try {
    response = await post(tokenUrl, { headers, body: body.toString(), signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (error) {
    throw unavailable(`token endpoint ${host} unreachable: ${describeFetchError(error, options.timeoutMs)}`, {}, error);
  }
  const status = response.status;
  if (status >= 500 || status === 429) {
    response.discard();
    const retryAfterS = parseRetryAfter(response.header('retry-after'), (options.now ?? Date.now)());
    const after = retryAfterS !== undefined ? ` (Retry-After: ${retryAfterS} s)` : '';
    throw unavailable(`token endpoint ${host} answered HTTP ${status}${after}`, { status, retryAfterS });
  }
  if (status >= 300 && status < 400) {
    response.discard();
    throw unavailable(`token endpoint ${host} answered HTTP ${status} (redirects are not followed)`, { status });
  }
  const text = await readCappedBody(response, host, options.timeoutMs, unavailable);
  const parsed = parseBody(text, response.header('content-type') ?? '');
  const oauthError =
    typeof parsed?.['error'] === 'string' && SAFE_ERROR_CODE.test(parsed['error']) ? parsed['error'] : undefined;
  const errorText =
    parsed?.['error'] === undefined
      ? 'without an OAuth error code'
      : oauthError !== undefined
        ? oauthError
        : 'with a malformed OAuth error code';
  const description =
    typeof parsed?.['error_description'] === 'string' ? oneLine(scrub(parsed['error_description'])) : '';
  const said = description !== '' ? `: ${description}` : '';
  if (status < 200 || status >= 300) {
    throw new RefreshRejected(scrub(`token endpoint ${host} refused the request: HTTP ${status} ${errorText}${said}`), {
      oauthError,
      status,
    });
  }
  if (parsed === undefined)
    throw unavailable(`token endpoint ${host} answered HTTP ${status} with a body that is neither JSON nor a form`, {
      status,
    });
  if (parsed['error'] !== undefined) {
    throw new RefreshRejected(scrub(`token endpoint ${host} answered with OAuth error ${errorText}${said}`), {
      oauthError,
      status,
    });
  }
  const accessToken = parsed['access_token'];
  if (typeof accessToken !== 'string' || accessToken === '')
    throw unavailable(`token endpoint ${host} answered without an access_token`, { status });
  const refreshToken = parsed['refresh_token'];
  for (const [name, value] of [
    ['access_token', accessToken],
    ['refresh_token', refreshToken],
  ] as const) {
    const bytes = typeof value === 'string' ? Buffer.byteLength(value) : 0;
    if (bytes > MAX_TOKEN_BYTES) {
      throw unavailable(
        `token endpoint ${host} answered ${name === 'access_token' ? 'an' : 'a'} ${name} of ${bytes} bytes, more than the ${MAX_TOKEN_BYTES} this client accepts`,
        { status },
      );
    }
  }
  const expiresRaw = parsed['expires_in'];
  const expiresInS =
    typeof expiresRaw === 'number'
      ? expiresRaw
      : typeof expiresRaw === 'string' && /^\d+$/.test(expiresRaw)
        ? Number(expiresRaw)
        : undefined;
  const raw = expiresInS !== undefined ? { ...parsed, expires_in: expiresInS } : parsed;
  const rawBytes = Buffer.byteLength(JSON.stringify(raw));
  if (rawBytes > MAX_TOKEN_RESPONSE_BYTES) {
    throw unavailable(
      `token endpoint ${host} answered ${rawBytes} bytes of tokens, more than the ${MAX_TOKEN_RESPONSE_BYTES} this client accepts`,
      { status },
    );
  }
  return {
    raw,
    accessToken,
    refreshToken: typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : undefined,
    expiresInS,
  };
}

/**
 * Reads at most MAX_TOKEN_RESPONSE_BYTES of the body (readCappedText), each failure a RefreshUnavailable naming the host.
 */
function readCappedBody(
  response: HttpAnswer,
  host: string,
  timeoutMs: number,
  unavailable: (message: string, details: { status?: number }, cause?: unknown) => RefreshUnavailable,
): Promise<string> {
  const status = response.status;
  return readCappedText(
    response,
    MAX_TOKEN_RESPONSE_BYTES,
    () => unavailable(`token endpoint ${host} answered more than ${MAX_TOKEN_RESPONSE_BYTES} bytes`, { status }),
    (error, total) =>
      unavailable(
        `token endpoint ${host} broke off its answer (HTTP ${status}) after ${total} bytes: ${describeFetchError(error, timeoutMs)}`,
        { status },
        error,
      ),
  );
}

function parseBody(text: string, contentType: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const v: unknown = JSON.parse(trimmed);
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (contentType.includes('application/x-www-form-urlencoded') && trimmed !== '') {
    return Object.fromEntries(new URLSearchParams(trimmed));
  }
  return undefined;
}

function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
