export { writeFileAtomically } from './atomic-write.js';
export { CredentialDirectory, type FileInfo, type TextFile, type UserDirectory } from './credential-directory.js';
export { parseKeyFile, type KeyFileRequest } from './key-file.js';
export { storeOAuthLogin, type LoginTokens } from './store-oauth-login.js';
export { formatMetaFile, parseMetaFile, type MetaFile } from './meta-file.js';
export { KEY_FILE_NAME, assertSafeName, credentialName, isSafeName } from './names.js';
export { formatOAuthTopFile, parseTopFile, pythonJson, type TopFile } from './top-file.js';
export { formatLocalUseFile, formatOAuthUseFile, parseUseFile, type UseFile } from './use-file.js';
