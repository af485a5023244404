import { CredentialFileInvalid } from '../shared/errors.js';
import { pythonJson } from './top-file.js';

/** `<name>.meta`: what the credmon needs to refresh an OAuth token (written by the web app, condor 0400). */
export interface MetaFile {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenUrl: string;
  readonly useRefreshToken: boolean;
}

export function parseMetaFile(path: string, content: string): MetaFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    throw new CredentialFileInvalid(path, 'is not valid JSON', { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new CredentialFileInvalid(path, 'is JSON but not an object');
  const o = parsed as Record<string, unknown>;
  const str = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string') throw new CredentialFileInvalid(path, `"${key}" is missing or not a string`);
    return v;
  };
  const tokenUrl = str('token_url');
  try {
    new URL(tokenUrl);
  } catch (error) {
    throw new CredentialFileInvalid(path, '"token_url" is not a URL', { cause: error });
  }
  const use = o['use_refresh_token'];
  return {
    clientId: str('client_id'),
    clientSecret: str('client_secret'),
    tokenUrl,
    useRefreshToken: use === undefined ? true : use === true,
  };
}

export function formatMetaFile(meta: MetaFile): string {
  return pythonJson({
    client_id: meta.clientId,
    client_secret: meta.clientSecret,
    token_url: meta.tokenUrl,
    use_refresh_token: meta.useRefreshToken,
  });
}
