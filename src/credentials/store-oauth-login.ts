import type { CredentialDirectory } from './credential-directory.js';
import { CREDENTIAL_FILE } from './credential-kinds.js';
import type { KeyFileRequest } from './key-file.js';
import { formatMetaFile } from './meta-file.js';
import { credentialName } from './names.js';
import { pythonJson } from './top-file.js';
import { formatOAuthUseFile } from './use-file.js';

export interface LoginTokens {
  readonly raw: Readonly<Record<string, unknown>>;
  readonly refreshToken: string | undefined;
}

/**
 * Writes what a completed login gives HTCondor, in `<cred dir>/<LocalUser>/`:
 * `<name>.use` (the token response without the refresh token, one line), `<name>.meta` (what the credmon needs to
 * refresh), and last `<name>.top` (`refresh_token`, plus `scopes`/`audience` **exactly** as the key file carried them,
 * because the credd compares them byte for byte on every submit; upstream strips spaces and breaks resubmission).
 * `.top` is written last because it is what the credd looks for: when it appears, the other two are in place.
 * `.meta` and `.top` are fsynced (they cannot be recreated without the user); `.use` is not (see storeOAuthRefresh).
 * Returns the credential name (`svc` or `svc_handle`).
 */
export async function storeOAuthLogin(
  dir: CredentialDirectory,
  request: KeyFileRequest,
  tokens: LoginTokens,
  nowEpochS: number,
): Promise<string> {
  const name = credentialName(request.provider, request.handle);
  const user = request.localUser;
  await dir.writeUserFile(user, CREDENTIAL_FILE.use(name), formatOAuthUseFile(tokens.raw, nowEpochS), {
    durable: false,
  });
  const meta = formatMetaFile({
    clientId: request.clientId,
    clientSecret: request.clientSecret,
    tokenUrl: request.tokenUrl,
    useRefreshToken: tokens.refreshToken !== undefined,
  });
  await dir.writeUserFile(user, CREDENTIAL_FILE.meta(name), meta);
  const top: Record<string, string> = { refresh_token: tokens.refreshToken ?? '' };
  if (request.scopes !== '') top['scopes'] = request.scopes;
  if (request.audience !== '') top['audience'] = request.audience;
  await dir.writeUserFile(user, CREDENTIAL_FILE.top(name), pythonJson(top));
  return name;
}
