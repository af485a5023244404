export { buildAuthorizationUrl, type AudienceParameter, type AuthorizationRequest } from './authorization-url.js';
export { backoffDelayMs } from './backoff.js';
export { exchangeAuthorizationCode } from './exchange-code.js';
export { createPkcePair, randomToken } from './pkce.js';
export { refreshAccessToken } from './refresh-access-token.js';
export {
  MAX_TOKEN_BYTES,
  MAX_TOKEN_RESPONSE_BYTES,
  requestTokens,
  type ClientCredentials,
  type TokenRequestOptions,
  type TokenResponse,
} from './token-endpoint.js';
export { createSecretScrubber, REDACTED, scrubSecrets, type SecretScrubber } from './scrub-secrets.js';
export { MAX_RETRY_AFTER_S, parseRetryAfter } from './retry-after.js';
