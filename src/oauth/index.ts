export { backoffDelayMs } from './backoff.js';
export { refreshAccessToken } from './refresh-access-token.js';
export { requestTokens, type ClientCredentials, type TokenRequestOptions, type TokenResponse } from './token-endpoint.js';
