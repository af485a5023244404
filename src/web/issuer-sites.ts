import type { LocalIssuerConfig } from '../config/index.js';
import { createIssuerKeySource, type IssuerKeySource } from './issuer-keys.js';

/** One issuer this web app publishes: its discovery document and JWKS under `path` (the issuer URL's path). */
export interface IssuerSite {
  readonly issuer: string;
  /** '' for an issuer at the root of the web app's origin, else e.g. `/robots` (no trailing slash). */
  readonly path: string;
  readonly keys: IssuerKeySource;
}

/**
 * The issuers to publish (issue 18): the default local issuer (LOCAL_CREDMON_ISSUER) and every per-provider issuer
 * (`LOCAL_CREDMON_<provider>_ISSUER`) on the same origin, so a token of any local provider verifies at a relying party.
 * Providers that share an issuer URL share its JWKS (their keys together). An issuer on another origin is served by
 * some other web server: it is left out and said in `skipped`. A provider with its own key publishes its key set,
 * which the credmon creates for it (`<private key>.keyset/`): the web app, which runs as condor, never reads a
 * private key.
 */
export function issuerSitesOf(
  defaultIssuer: string,
  providers: readonly LocalIssuerConfig[],
  defaultKeys: IssuerKeySource,
  leadS: number,
): { readonly sites: IssuerSite[]; readonly skipped: string[] } {
  const origin = new URL(defaultIssuer).origin;
  const groups = new Map<string, IssuerKeySource[]>([[defaultIssuer, [defaultKeys]]]);
  const skipped: string[] = [];
  for (const p of providers) {
    if (p.sharedKey && p.issuer === defaultIssuer) continue; // the default issuer's own key, already there
    let url: URL;
    try {
      url = new URL(p.issuer);
    } catch {
      skipped.push(`provider ${p.providerName}: issuer ${p.issuer} is not a URL`);
      continue;
    }
    if (url.origin !== origin || url.search !== '' || url.hash !== '') {
      skipped.push(`provider ${p.providerName}: issuer ${p.issuer} is not under ${origin}; publish it there`);
      continue;
    }
    const files = p.sharedKey
      ? { publicKeyPath: p.publicKeyPath, keyId: p.keyId, privateKeyPath: p.privateKeyPath }
      : { publicKeyPath: undefined, keyId: p.keyId, privateKeyPath: p.privateKeyPath };
    const sources = groups.get(p.issuer) ?? [];
    sources.push(createIssuerKeySource(files, { leadS }));
    groups.set(p.issuer, sources);
  }
  const sites = [...groups].map(([issuer, sources]) => ({
    issuer,
    path: new URL(issuer).pathname.replace(/\/+$/, ''),
    keys: mergeKeySources(sources),
  }));
  return { sites, skipped };
}

/** One JWKS from several sources: every key once (by kid), the first source's first. */
export function mergeKeySources(sources: readonly IssuerKeySource[]): IssuerKeySource {
  if (sources.length === 1 && sources[0]) return sources[0];
  return {
    maxAgeS: Math.min(...sources.map((s) => s.maxAgeS)),
    async jwks() {
      const seen = new Set<string>();
      const keys = [];
      for (const source of sources) {
        for (const key of (await source.jwks()).keys) {
          const kid = String(key.kid ?? '');
          if (seen.has(kid)) continue;
          seen.add(kid);
          keys.push(key);
        }
      }
      return { keys };
    },
  };
}
