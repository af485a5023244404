export { writeFileAtomically } from './atomic-write.js';
export {
  CredentialDirectory,
  MAX_CREDENTIAL_BYTES,
  type FileInfo,
  type TextFile,
  type UserDirectory,
  type UserFileWriteOptions,
} from './credential-directory.js';
export { classifyCredentials, type CredentialKind, type CredentialRef } from './credential-kinds.js';
export { parseKeyFile, type KeyFileRequest } from './key-file.js';
export { readLocalCredentialSync, writeUseFileSync, type LocalCredentialFiles } from './local-credential.js';
export { formatMetaFile, parseMetaFile, type MetaFile } from './meta-file.js';
export { KEY_FILE_NAME, assertSafeName, credentialName, isSafeName, providerOfCredential } from './names.js';
export { readOAuthCredential, storeOAuthRefresh } from './oauth-credential.js';
export type { OAuthCredential, OAuthRefreshResult, OAuthStoreOutcome } from './oauth-credential.js';
export { storeOAuthLogin, type LoginTokens } from './store-oauth-login.js';
export { formatOAuthTopFile, parseTopFile, pythonJson, type TopFile } from './top-file.js';
export { formatLocalUseFile, formatOAuthUseFile, parseUseFile, type UseFile } from './use-file.js';
export { readUserDirectorySync, type UserDirectoryListing } from './user-files.js';
