import { decodeJwt } from 'jose';
import { CredentialFileInvalid } from '../shared/errors.js';
import { pythonJson } from './top-file.js';

/** What a `<name>.use` file holds: the access token jobs receive, and when it stops being useful. */
export interface UseFile {
  readonly accessToken: string;
  /** `expires_in` of a JSON `.use` (seconds from when the file was written). */
  readonly expiresInS: number | undefined;
  /** `exp` of the token when it is a JWT (absolute, epoch seconds). */
  readonly expEpochS: number | undefined;
}

/**
 * Parses a `.use` the way HTCondor's consumers do: a first line starting with "{" is one-line JSON that must carry a
 * string `access_token`; anything else is a bare token on the first line. `allowEmptyToken`: `"access_token": ""` is
 * read as it is (the local issuer writes it for a user LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT refuses, as upstream).
 */
export function parseUseFile(
  path: string,
  content: string,
  options: { readonly allowEmptyToken?: boolean } = {},
): UseFile {
  const firstLine = content.split('\n', 1)[0]?.trim() ?? '';
  if (firstLine === '') throw new CredentialFileInvalid(path, 'is empty');
  if (firstLine.startsWith('{') || firstLine.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(firstLine);
    } catch (error) {
      throw new CredentialFileInvalid(path, 'starts like JSON but its first line is not valid JSON', { cause: error });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new CredentialFileInvalid(path, 'is JSON but not an object');
    const obj = parsed as Record<string, unknown>;
    const accessToken = obj['access_token'];
    if (typeof accessToken !== 'string' || (accessToken === '' && !options.allowEmptyToken)) {
      throw new CredentialFileInvalid(path, 'has no string "access_token"');
    }
    const expiresIn = obj['expires_in'];
    return {
      accessToken,
      expiresInS: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : undefined,
      expEpochS: jwtExpiry(accessToken),
    };
  }
  return { accessToken: firstLine, expiresInS: undefined, expEpochS: jwtExpiry(firstLine) };
}

/** A compact JWS: three base64url parts (an opaque token is not decoded, which would throw, slowly). */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

function jwtExpiry(token: string): number | undefined {
  if (!JWT_SHAPE.test(token)) return undefined;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** The local issuer's `.use`: exactly upstream's `{"access_token": "<jwt>", "expires_in": N}`, or `<jwt>\n`. */
export function formatLocalUseFile(jwt: string, lifetimeS: number, useJson: boolean): string {
  return useJson ? pythonJson({ access_token: jwt, expires_in: lifetimeS }) : `${jwt}\n`;
}

/**
 * An OAuth `.use`: the token response without `refresh_token`, on one line, with `expires_at` added as upstream's
 * oauthlib does, and `scope` kept as the provider sent it.
 */
export function formatOAuthUseFile(response: Readonly<Record<string, unknown>>, nowEpochS: number): string {
  const rest: Record<string, unknown> = { ...response };
  delete rest['refresh_token'];
  const expiresIn = rest['expires_in'];
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn)) rest['expires_at'] = nowEpochS + expiresIn;
  return pythonJson(rest);
}
