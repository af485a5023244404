export { buildClaims, buildScopes, type SciTokenClaims } from './build-claims.js';
export { ensureSigningKey, type KeySetupOutcome } from './ensure-signing-key.js';
export { GroupMapfile, groupsFor } from './group-mapfile.js';
export { buildDiscoveryDocument, toPublicJwk } from './issuer-documents.js';
export { decodeToken, signToken, verifyToken, type DecodedToken } from './sign-token.js';
export { tokenDigest } from './token-digest.js';
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
export {
  advanceKeySet,
  beginRotation,
  checkKeySet,
  createKeySet,
  isRotating,
  nextTransitionMs,
  publishedKeysOf,
  signingKeyOf,
  switchNow,
  type KeySet,
  type KeySetEntry,
  type KeyState,
  type NewKey,
  type RotationTiming,
} from './key-set.js';
export { formatKeySetFile, isSafeKeyId, parseKeySetFile } from './key-set-file.js';
export {
  KEY_SET_FILE,
  keySetDirectoryFor,
  loadActiveKey,
  loadKeySetKeys,
  readKeySet,
  readPublicPems,
  type LoadedKeySet,
} from './key-set-store.js';
export {
  advanceKeys,
  ensureKeySet,
  keySetTargetFor,
  rotateKeys,
  type KeySetTarget,
  type RotationMode,
  type RotationResult,
} from './rotate-keys.js';
