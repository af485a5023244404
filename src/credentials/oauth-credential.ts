import { CredentialFileInvalid, DiskFull } from '../shared/errors.js';
import type { CredentialDirectory } from './credential-directory.js';
import { CREDENTIAL_FILE } from './credential-kinds.js';
import type { FileInfo } from './read-rules.js';
import { parseMetaFile, type MetaFile } from './meta-file.js';
import { formatOAuthTopFile, parseTopFile } from './top-file.js';
import { formatOAuthUseFile, parseUseFile, type UseFile } from './use-file.js';

/** An OAuth credential as the credmon needs it to decide on, and do, a refresh. */
export interface OAuthCredential {
  readonly meta: MetaFile;
  /** The current `.use`, or why it cannot be used (then it is refreshed). undefined: no `.use`. */
  readonly use: { readonly file: UseFile; readonly info: FileInfo } | { readonly invalid: Error } | undefined;
  /** The `.top`: the refresh token and every other key (scopes, audience) to keep on rewrite. */
  readonly top:
    | { readonly refreshToken: string; readonly fields: Readonly<Record<string, unknown>>; readonly mtimeMs: number }
    | undefined;
  /** When the `.use` was last written (mtime), to detect a newer login during a refresh. */
  readonly useMtimeMs: number | undefined;
}

/**
 * Reads `<user>/<name>.meta`, `.use` and `.top`. undefined when the `.meta` is gone (the credential was deleted).
 * Throws CredentialFileInvalid for a `.meta` or `.top` that cannot be used (then the user must log in again).
 * Synchronous (three small local files: microseconds, where twelve trips through libuv's thread pool cost far more
 * when a thousand refreshes are due at once).
 */
export function readOAuthCredential(dir: CredentialDirectory, user: string, name: string): OAuthCredential | undefined {
  const metaFile = dir.readUserFileSync(user, CREDENTIAL_FILE.meta(name));
  if (!metaFile) return undefined;
  const meta = parseMetaFile(`${user}/${CREDENTIAL_FILE.meta(name)}`, metaFile.content);
  let use: OAuthCredential['use'];
  let useMtimeMs: number | undefined;
  try {
    const useFile = dir.readUserFileSync(user, CREDENTIAL_FILE.use(name));
    if (useFile) {
      useMtimeMs = useFile.mtimeMs;
      use = { file: parseUseFile(`${user}/${CREDENTIAL_FILE.use(name)}`, useFile.content), info: useFile };
    }
  } catch (error) {
    use = { invalid: error instanceof Error ? error : new Error(String(error)) };
  }
  const topFile = dir.readUserFileSync(user, CREDENTIAL_FILE.top(name));
  let top: OAuthCredential['top'];
  if (topFile) {
    const parsed = parseTopFile(`${user}/${CREDENTIAL_FILE.top(name)}`, topFile.content);
    if (parsed.kind !== 'oauth' || parsed.refreshToken === '') {
      throw new CredentialFileInvalid(`${user}/${CREDENTIAL_FILE.top(name)}`, 'holds no refresh token');
    }
    top = { refreshToken: parsed.refreshToken, fields: parsed.fields, mtimeMs: topFile.mtimeMs };
  }
  return { meta, use, top, useMtimeMs };
}

export interface OAuthRefreshResult {
  /** The token response as the provider sent it (without the refresh token, which goes to `.top`). */
  readonly response: Readonly<Record<string, unknown>>;
  /** The refresh token the `.top` must hold now, when it is not the one in it (the provider rotated it). */
  readonly rotatedRefreshToken: string | undefined;
}

/**
 * What storing a refresh did: `stored`; `superseded` (a new login or a deletion came first: nothing written); or
 * `disk-full`: no space for `.top` (nothing written, the old `.top` and `.use` are kept) or, when `topWritten`, for
 * the `.use` only (the new `.top` is in place, the old `.use` is kept).
 */
export type OAuthStoreOutcome =
  // the refresh is on disk
  | { readonly kind: 'stored' }
  // nothing written: what is on disk now wins
  | { readonly kind: 'superseded' }
  // nothing written, or the `.top` only (topWritten)
  | { readonly kind: 'disk-full'; readonly error: DiskFull; readonly topWritten: boolean };

/**
 * Stores the outcome of a refresh, unless the credential changed while the request was out (a new login, or a
 * deletion): then nothing is written. Write order: `.top` first (durable) when the refresh token rotated, so the new
 * one is on disk before anything else can fail; then `.use` (not fsynced: derived from `.top`, refreshed again at
 * start if a power loss empties it). Both off the main thread: a file created while the file system commits other
 * refreshes' fsyncs can wait for that commit, and the refreshes still in flight must not wait with it. The `.use` is
 * not written when the `.top` could not be: a fresh `.use` beside an old `.top` would hide that the `.top` still
 * needs writing.
 */
export async function storeOAuthRefresh(
  dir: CredentialDirectory,
  user: string,
  name: string,
  read: OAuthCredential,
  result: OAuthRefreshResult,
  nowEpochS: number,
): Promise<OAuthStoreOutcome> {
  if (!read.top) throw new RangeError('a refresh needs the .top it was made with');
  // While the request was out, the user may have logged in again or the credential may have been deleted.
  const topNow = dir.userFileInfoSync(user, CREDENTIAL_FILE.top(name));
  const useNow = dir.userFileInfoSync(user, CREDENTIAL_FILE.use(name));
  const changed = !topNow || topNow.mtimeMs !== read.top.mtimeMs || useNow?.mtimeMs !== read.useMtimeMs;
  if (changed) return { kind: 'superseded' };
  let topWritten = false;
  try {
    if (result.rotatedRefreshToken !== undefined && result.rotatedRefreshToken !== read.top.refreshToken) {
      const top = formatOAuthTopFile(read.top.fields, result.rotatedRefreshToken);
      await dir.writeUserFile(user, CREDENTIAL_FILE.top(name), top, { createDirectory: false });
      topWritten = true;
    }
    const use = formatOAuthUseFile(result.response, nowEpochS);
    await dir.writeUserFile(user, CREDENTIAL_FILE.use(name), use, { createDirectory: false, durable: false });
  } catch (error) {
    if (error instanceof DiskFull) return { kind: 'disk-full', error, topWritten };
    throw error;
  }
  return { kind: 'stored' };
}
