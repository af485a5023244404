import { RefreshUnavailable } from '../shared/errors.js';
import type { AudienceParameter } from './authorization-url.js';
import { scrubSecrets } from './scrub-secrets.js';
import { requestTokens } from './token-endpoint.js';
import type { ClientAuthMethod, ClientCredentials, TokenRequestOptions } from './token-endpoint.js';

/** The TOKEN_VERSION values that select the WLCG profile, compared as upstream's LocalCredmon.py does. */
const WLCG_PROFILES: ReadonlySet<string> = new Set(['wlcg', 'wlcg:1.0']);
/** The longest token_type quoted in a message. */
const MAX_TOKEN_TYPE_CHARS = 40;

export interface ClientCredentialsScopeInput {
  /** The AUTHZ template scopes, already formatted for the user; one entry may hold several, space-separated. */
  readonly scopes: readonly string[];
  /** TOKEN_VERSION: `wlcg` or `wlcg:1.0` adds the scope `wlcg`. */
  readonly profile: string;
  /** The HTCondor user the token is for, named in the scope `condor.user:<user>`. */
  readonly user: string;
}

export interface ClientCredentialsRequest {
  readonly tokenUrl: string;
  readonly client: ClientCredentials;
  /** How the client authenticates; the provider's registration decides, so there is no fallback. */
  readonly clientAuth: ClientAuthMethod;
  /** The space-separated scope (buildClientCredentialsScope); empty: no `scope` field. */
  readonly scope: string;
  /** TOKEN_AUDIENCE split on whitespace; empty: no audience is sent. */
  readonly audience: readonly string[];
  /** `audience` (upstream's field, the default), `resource` (RFC 8707) or both. */
  readonly audienceParameter?: AudienceParameter;
}

export interface ClientCredentialsToken {
  /** The whole response object, as the provider sent it. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly accessToken: string;
  /** Undefined when the provider did not say: the caller assumes TOKEN_LIFETIME, as upstream does. */
  readonly expiresInS: number | undefined;
  /** `Bearer` (any case) or undefined when the provider sent none. */
  readonly tokenType: string | undefined;
  /** The scope the provider says it granted (RFC 6749 §5.1), when it sent one. */
  readonly grantedScope: string | undefined;
}

/**
 * The `scope` of a client-credentials request as upstream's ClientCredmon.py means it: the AUTHZ template scopes,
 * then `wlcg` for the WLCG profile, then `condor.user:<user>` with the user quoted as Python's urllib.parse.quote
 * does (`/` kept). Space-separated (RFC 6749 §3.3), duplicates dropped, first occurrence kept.
 */
export function buildClientCredentialsScope(input: ClientCredentialsScopeInput): string {
  if (input.user === '') throw new RangeError('a client-credentials token needs a user');
  const words = input.scopes.flatMap((s) => s.split(/\s+/)).filter((s) => s !== '');
  if (WLCG_PROFILES.has(input.profile.trim())) words.push('wlcg');
  words.push(`condor.user:${quoteLikePython(input.user)}`);
  return [...new Set(words)].join(' ');
}

/** Python's urllib.parse.quote(text) (safe `/`): everything but `A-Za-z0-9_.-~/` percent-encoded from UTF-8. */
export function quoteLikePython(text: string): string {
  const hex = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, hex)
    .replace(/%2F/g, '/');
}

/**
 * The client-credentials grant (RFC 6749 §4.4.2): exactly `grant_type=client_credentials`, `scope` when not empty
 * and the audience when set, with client authentication by HTTP Basic or in the body as `request.clientAuth` says.
 * The answer is validated and failures classified as for the refresh grant (requestTokens): 4xx → RefreshRejected;
 * 5xx, 429 (with Retry-After), timeouts, bad or oversized bodies, no access_token → RefreshUnavailable; and also a
 * token_type other than Bearer → RefreshUnavailable. The client secret never reaches a message.
 */
export async function requestClientCredentialsToken(
  request: ClientCredentialsRequest,
  options: Omit<TokenRequestOptions, 'clientAuth'>,
): Promise<ClientCredentialsToken> {
  if (request.client.clientId === '' || request.client.clientSecret === '') {
    throw new RangeError('a client-credentials request needs a client id and a client secret');
  }
  const grant: Record<string, string> = { grant_type: 'client_credentials' };
  const scope = request.scope.trim();
  if (scope !== '') grant['scope'] = scope;
  const audience = request.audience.filter((a) => a !== '').join(' ');
  if (audience !== '') {
    const mode = request.audienceParameter ?? 'audience';
    if (mode === 'audience' || mode === 'both') grant['audience'] = audience;
    if (mode === 'resource' || mode === 'both') grant['resource'] = audience;
  }
  const tokenOptions: TokenRequestOptions = { ...options, clientAuth: request.clientAuth };
  const response = await requestTokens(request.tokenUrl, grant, request.client, tokenOptions);
  const tokenTypeRaw = response.raw['token_type'];
  const tokenType = typeof tokenTypeRaw === 'string' ? tokenTypeRaw : undefined;
  if (tokenTypeRaw !== undefined && tokenType?.toLowerCase() !== 'bearer') {
    const text = typeof tokenTypeRaw === 'string' ? tokenTypeRaw : JSON.stringify(tokenTypeRaw);
    const said = printable(scrubSecrets(text, [request.client.clientSecret]));
    const message = `token endpoint ${safeUrl(request.tokenUrl)} answered token_type ${said}, not Bearer`;
    throw new RefreshUnavailable(message, { status: 200 });
  }
  const granted = response.raw['scope'];
  return {
    raw: response.raw,
    accessToken: response.accessToken,
    expiresInS: response.expiresInS,
    tokenType,
    grantedScope: typeof granted === 'string' ? granted : undefined,
  };
}

/** At most MAX_TOKEN_TYPE_CHARS printable ASCII characters of provider text, quoted. */
function printable(text: string): string {
  const flat = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(flat.length > MAX_TOKEN_TYPE_CHARS ? `${flat.slice(0, MAX_TOKEN_TYPE_CHARS)}…` : flat);
}

/** The URL without query or credentials, as requestTokens names an endpoint. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
