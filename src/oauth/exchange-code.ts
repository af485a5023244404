import {
  requestTokens,
  type ClientCredentials,
  type TokenRequestOptions,
  type TokenResponse,
} from './token-endpoint.js';

/** The authorization-code grant (RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636 §4.5). */
export function exchangeAuthorizationCode(
  tokenUrl: string,
  code: string,
  redirectUri: string,
  codeVerifier: string,
  client: ClientCredentials,
  options: TokenRequestOptions,
): Promise<TokenResponse> {
  return requestTokens(
    tokenUrl,
    { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier },
    client,
    options,
  );
}
