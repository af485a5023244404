import { CredentialFileInvalid } from '../shared/errors.js';

/**
 * A `<name>.top` file. The credd's LOCAL store writes the raw user name (not JSON): that is a request for a locally
 * issued token. The web app (and `condor_store_cred add-oauth`) write a JSON object holding the refresh token and the
 * `scopes`/`audience` the credd compares byte-for-byte on every submit, so those keys must survive every rewrite.
 */
export type TopFile =
  | { readonly kind: 'local-request'; readonly text: string }
  | { readonly kind: 'oauth'; readonly refreshToken: string; readonly fields: Readonly<Record<string, unknown>> };

export function parseTopFile(path: string, content: string): TopFile {
  const trimmed = content.trimStart();
  if (!trimmed.startsWith('{')) return { kind: 'local-request', text: content };
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    throw new CredentialFileInvalid(path, 'starts like JSON but is not valid JSON', { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CredentialFileInvalid(path, 'is JSON but not an object');
  }
  const fields = parsed as Record<string, unknown>;
  const refreshToken = fields['refresh_token'] ?? '';
  if (typeof refreshToken !== 'string') throw new CredentialFileInvalid(path, '"refresh_token" is not a string');
  return { kind: 'oauth', refreshToken, fields };
}

/**
 * Serialises an OAuth `.top` the way HTCondor's Python web app does (`json.dump`: ", " and ": " separators),
 * keeping every key of `fields` and replacing only `refresh_token`.
 */
export function formatOAuthTopFile(fields: Readonly<Record<string, unknown>>, refreshToken: string): string {
  return pythonJson({ ...fields, refresh_token: refreshToken });
}

/** One-line JSON with Python's default separators, so files look like the ones HTCondor's own tools write. */
export function pythonJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`).join(', ')}}`;
}
