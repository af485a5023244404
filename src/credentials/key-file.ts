import { CredentialFileInvalid } from '../shared/errors.js';
import { isSafeName } from './names.js';

/** One request ad of a CHECK_CREDS key file: a provider (and handle) the user must log in to. */
export interface KeyFileRequest {
  readonly provider: string;
  readonly handle: string;
  readonly scopes: string;
  readonly audience: string;
  readonly localUser: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly returnUrl: string;
}

const REQUIRED = [
  'Provider',
  'LocalUser',
  'ClientId',
  'ClientSecret',
  'AuthorizationUrl',
  'TokenUrl',
  'ReturnUrl',
] as const;
type Optional = 'Handle' | 'Scopes' | 'Audience';
const LINE = /^([A-Za-z_][A-Za-z0-9_]*) = "(.*)"$/;

/**
 * Parses the credd's key file strictly (HTCondor 23.9 `sPrintAdWithSecrets`): ads separated by one empty line, one
 * `Name = "value"` per line, only `"` escaped. Attribute names are case-insensitive. Every ad must name the same
 * local user; provider and handle must be safe file names. Anything else is CredentialFileInvalid.
 */
export function parseKeyFile(path: string, content: string): KeyFileRequest[] {
  const blocks = content
    .split(/\n[ \t]*\n/)
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (blocks.length === 0) throw new CredentialFileInvalid(path, 'holds no request');
  const requests = blocks.map((block, index) => parseAd(path, block, index + 1));
  const users = new Set(requests.map((r) => r.localUser));
  if (users.size !== 1) throw new CredentialFileInvalid(path, 'names more than one LocalUser');
  const names = new Set<string>();
  for (const r of requests) {
    const key = `${r.provider}\u0000${r.handle}`;
    if (names.has(key))
      throw new CredentialFileInvalid(path, `requests ${r.provider}${r.handle ? ` (handle ${r.handle})` : ''} twice`);
    names.add(key);
  }
  return requests;
}

function parseAd(path: string, block: string, number: number): KeyFileRequest {
  const attrs = new Map<string, string>();
  for (const [index, line] of block.split('\n').entries()) {
    const match = LINE.exec(line.trimEnd());
    if (!match?.[1] || match[2] === undefined) {
      // Name the line, never quote it: a malformed line may hold the client secret.
      const attribute = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(line)?.[1];
      throw new CredentialFileInvalid(
        path,
        `request ${number}, line ${index + 1}${attribute ? ` (${attribute})` : ''}: not Name = "value"`,
      );
    }
    const name = match[1].toLowerCase();
    if (attrs.has(name)) throw new CredentialFileInvalid(path, `request ${number}: ${match[1]} appears twice`);
    attrs.set(name, match[2].replace(/\\"/g, '"'));
  }
  for (const name of REQUIRED) {
    if (!attrs.get(name.toLowerCase()))
      throw new CredentialFileInvalid(path, `request ${number}: ${name} is missing or empty`);
  }
  const get = (name: (typeof REQUIRED)[number] | Optional): string => attrs.get(name.toLowerCase()) ?? '';
  const request: KeyFileRequest = {
    provider: get('Provider'),
    handle: get('Handle'),
    scopes: get('Scopes'),
    audience: get('Audience'),
    localUser: get('LocalUser'),
    clientId: get('ClientId'),
    clientSecret: get('ClientSecret'),
    authorizationUrl: get('AuthorizationUrl'),
    tokenUrl: get('TokenUrl'),
    returnUrl: get('ReturnUrl'),
  };
  if (!isSafeName(request.provider))
    throw new CredentialFileInvalid(
      path,
      `request ${number}: Provider ${JSON.stringify(request.provider)} is not a safe name`,
    );
  if (request.handle !== '' && !isSafeName(request.handle))
    throw new CredentialFileInvalid(
      path,
      `request ${number}: Handle ${JSON.stringify(request.handle)} is not a safe name`,
    );
  if (!isSafeName(request.localUser))
    throw new CredentialFileInvalid(
      path,
      `request ${number}: LocalUser ${JSON.stringify(request.localUser)} is not a safe name`,
    );
  for (const [name, value] of [
    ['AuthorizationUrl', request.authorizationUrl],
    ['TokenUrl', request.tokenUrl],
    ['ReturnUrl', request.returnUrl],
  ] as const) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new CredentialFileInvalid(path, `request ${number}: ${name} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new CredentialFileInvalid(path, `request ${number}: ${name} is not an http(s) URL`);
  }
  return request;
}
