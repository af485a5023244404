import {
  requestTokens,
  type ClientCredentials,
  type TokenRequestOptions,
  type TokenResponse,
} from './token-endpoint.js';

/** The refresh-token grant (RFC 6749 §6). No `scope` is sent, so the provider keeps the original grant's scopes. */
export function refreshAccessToken(
  tokenUrl: string,
  refreshToken: string,
  client: ClientCredentials,
  options: TokenRequestOptions,
): Promise<TokenResponse> {
  return requestTokens(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }, client, options);
}
