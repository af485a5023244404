import { RefreshRejected, RefreshUnavailable } from '../shared/errors.js';

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
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

/**
 * POSTs a token request (RFC 6749 §4.1.3 / §6) and classifies the outcome:
 * - a JSON (or form-encoded) body with `access_token` → TokenResponse;
 * - an OAuth error that a person must fix (invalid_grant, invalid_client, any other 4xx) → RefreshRejected;
 * - timeouts, refused connections, 5xx, 429 and bodies that make no sense → RefreshUnavailable (retry later).
 * Client authentication goes in the body, as HTCondor's credmon does; if the provider answers 401 invalid_client,
 * the request is retried once with HTTP Basic (client_secret_basic), which is the other common requirement.
 * Response bodies and tokens never appear in error messages.
 */
export async function requestTokens(
  tokenUrl: string,
  grant: Readonly<Record<string, string>>,
  client: ClientCredentials,
  options: TokenRequestOptions,
): Promise<TokenResponse> {
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
  const doFetch = options.fetch ?? fetch;
  const body = new URLSearchParams(grant);
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'body') {
    body.set('client_id', client.clientId);
    body.set('client_secret', client.clientSecret);
  } else {
    const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
    headers['authorization'] = `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret)}`).toString('base64')}`;
  }
  const host = safeHost(tokenUrl);
  let response: Response;
  try {
    response = await doFetch(tokenUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs), redirect: 'error' });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = timedOut ? `no answer within ${options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new RefreshUnavailable(`token endpoint ${host} unreachable: ${why}`, {}, { cause: error });
  }
  const text = await response.text().catch(() => '');
  const parsed = parseBody(text, response.headers.get('content-type') ?? '');
  if (response.status >= 500 || response.status === 429) {
    throw new RefreshUnavailable(`token endpoint ${host} answered HTTP ${response.status}`, { status: response.status });
  }
  if (!response.ok) {
    const oauthError = typeof parsed?.['error'] === 'string' ? parsed['error'].slice(0, 64) : undefined;
    const rawDescription = typeof parsed?.['error_description'] === 'string' ? parsed['error_description'] : '';
    // Providers sometimes echo what they were sent; no grant value or secret may reach a log line.
    const secrets = [grant['refresh_token'], grant['code'], grant['code_verifier'], client.clientSecret].filter(
      (v): v is string => v !== undefined && v.length >= 4,
    );
    const redacted = secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), rawDescription).slice(0, 200);
    const description = redacted ? `: ${redacted}` : '';
    throw new RefreshRejected(
      `token endpoint ${host} refused the request: HTTP ${response.status} ${oauthError ?? 'without an OAuth error code'}${description}`,
      {
        oauthError,
        status: response.status,
      },
    );
  }
  if (parsed === undefined)
    throw new RefreshUnavailable(`token endpoint ${host} answered HTTP ${response.status} with a body that is neither JSON nor a form`, {
      status: response.status,
    });
  if (typeof parsed['error'] === 'string') {
    throw new RefreshRejected(`token endpoint ${host} answered with OAuth error ${parsed['error']}`, { oauthError: parsed['error'], status: response.status });
  }
  const accessToken = parsed['access_token'];
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new RefreshUnavailable(`token endpoint ${host} answered without an access_token`, { status: response.status });
  }
  const refreshToken = parsed['refresh_token'];
  const expiresRaw = parsed['expires_in'];
  const expiresInS = typeof expiresRaw === 'number' ? expiresRaw : typeof expiresRaw === 'string' && /^\d+$/.test(expiresRaw) ? Number(expiresRaw) : undefined;
  const raw = expiresInS !== undefined ? { ...parsed, expires_in: expiresInS } : parsed;
  return { raw, accessToken, refreshToken: typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : undefined, expiresInS };
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
