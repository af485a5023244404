export { buildClaims, buildScopes, type SciTokenClaims } from './build-claims.js';
export { ensureSigningKey, type KeySetupOutcome } from './ensure-signing-key.js';
export { GroupMapfile, groupsFor } from './group-mapfile.js';
export { buildDiscoveryDocument, toPublicJwk } from './issuer-documents.js';
export { signToken, verifyToken } from './sign-token.js';
export { LocalIssuer, type IssuedToken, type IssuerWarnings, type LocalIssuerOptions } from './local-issuer.js';
export {
  ScopeExpression,
  classadEvalEvaluator,
  parseClassAdString,
  type ClassAdEvaluator,
} from './scope-expression.js';
export {
  algorithmFor,
  loadPublicKey,
  loadSigningKey,
  parseSigningKey,
  type SigningAlgorithm,
  type SigningKey,
} from './signing-key.js';
