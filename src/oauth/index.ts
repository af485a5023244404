export { buildAuthorizationUrl, type AudienceParameter, type AuthorizationRequest } from './authorization-url.js';
export { backoffDelayMs } from './backoff.js';
export { exchangeAuthorizationCode } from './exchange-code.js';
export { createPkcePair, randomToken } from './pkce.js';
export { refreshAccessToken } from './refresh-access-token.js';
export { requestTokens, type ClientCredentials, type TokenRequestOptions, type TokenResponse } from './token-endpoint.js';
