import { providerOfCredential } from './names.js';

/**
 * The files of one credential, `<user>/<name>.<ext>`, and what they make it. Only this module knows the suffixes.
 * - `local`: `<local provider>[_<handle>].top` without a `.meta`; the local issuer writes `.use`.
 * - `oauth`: a `.meta` with a `.top` or `.use`; the credmon refreshes `.use` with the refresh token in `.top`.
 * - `client`: `<client provider>[_<handle>].top` without a `.meta`; the credmon gets `.use` by the client-credentials
 *   grant.
 */
export type CredentialKind = 'local' | 'oauth' | 'client';

export interface CredentialRef {
  readonly user: string;
  readonly name: string;
  readonly kind: CredentialKind;
}

export const CREDENTIAL_FILE = {
  top: (name: string): string => `${name}.top`,
  use: (name: string): string => `${name}.use`,
  meta: (name: string): string => `${name}.meta`,
} as const;

const CREDENTIAL_FILE_NAME = /^(.+)\.(top|use|meta)$/;

/** The credentials that the regular files `files` of `<user>/` hold, by kind (a local provider wins a tie). */
export function classifyCredentials(
  user: string,
  files: Iterable<string>,
  localProviders: string | readonly string[],
  handles = false,
  clientProviders: readonly string[] = [],
): CredentialRef[] {
  const locals = typeof localProviders === 'string' ? [localProviders] : localProviders;
  const present = new Set(files);
  const names = new Set<string>();
  for (const f of present) {
    const name = CREDENTIAL_FILE_NAME.exec(f)?.[1];
    if (name) names.add(name);
  }
  const out: CredentialRef[] = [];
  for (const name of names) {
    const hasMeta = present.has(CREDENTIAL_FILE.meta(name));
    const hasTop = present.has(CREDENTIAL_FILE.top(name));
    if (hasMeta && (hasTop || present.has(CREDENTIAL_FILE.use(name)))) out.push({ user, name, kind: 'oauth' });
    else if (!hasMeta && hasTop) {
      const provider = providerOfCredential(name, handles) ?? '';
      if (locals.includes(provider)) out.push({ user, name, kind: 'local' });
      else if (clientProviders.includes(provider)) out.push({ user, name, kind: 'client' });
    }
  }
  return out;
}
