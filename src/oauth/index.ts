export { buildAuthorizationUrl, type AudienceParameter, type AuthorizationRequest } from './authorization-url.js';
export { backoffDelayMs } from './backoff.js';
export {
  buildClientCredentialsScope,
  quoteLikePython,
  requestClientCredentialsToken,
  type ClientCredentialsRequest,
  type ClientCredentialsScopeInput,
  type ClientCredentialsToken,
} from './client-credentials.js';
export { exchangeAuthorizationCode } from './exchange-code.js';
export { createPkcePair, randomToken } from './pkce.js';
export { refreshAccessToken } from './refresh-access-token.js';
export {
  MAX_TOKEN_BYTES,
  MAX_TOKEN_RESPONSE_BYTES,
  requestTokens,
  type ClientAuthMethod,
  type ClientCredentials,
  type TokenRequestOptions,
  type TokenResponse,
} from './token-endpoint.js';
export { createSecretScrubber, REDACTED, scrubSecrets, type SecretScrubber } from './scrub-secrets.js';
export { MAX_RETRY_AFTER_S, parseRetryAfter } from './retry-after.js';
export {
  createTokenEndpointResolver,
  discoverTokenEndpoint,
  MAX_DISCOVERY_BYTES,
  type ResolvedTokenEndpoint,
  type TokenEndpointResolver,
  type TokenEndpointResolverOptions,
} from './token-endpoint-resolver.js';
