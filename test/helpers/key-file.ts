/** Key files as the credd writes them into the credential directory, for the web app's tests. */

/** One CHECK_CREDS request ad: attribute name -> value. */
export type RequestAd = Record<string, string>;

/**
 * A request ad with all ten attributes (HTCondor 23.9 always writes all ten), for provider scitokens and local user
 * alice unless `fields` say otherwise.
 */
export function requestAd(fields: Partial<RequestAd> = {}): RequestAd {
  return {
    Audience: '',
    AuthorizationUrl: 'https://provider.example/authorize',
    ClientId: 'client',
    ClientSecret: 'cs-SECRET-fixture',
    Handle: '',
    LocalUser: 'alice',
    Provider: 'scitokens',
    ReturnUrl: 'https://localhost:8443/return/scitokens',
    Scopes: 'read:/public',
    TokenUrl: 'https://provider.example/token',
    ...fields,
  };
}

/**
 * The credd's `sPrintAdWithSecrets` format: sorted `Name = "value"` lines (only `"` escaped), ads separated by one
 * blank line.
 */
export function formatKeyFile(ads: readonly RequestAd[]): string {
  return ads
    .map((a) =>
      Object.keys(a)
        .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
        .map((name) => `${name} = "${(a[name] ?? '').replace(/"/g, '\\"')}"\n`)
        .join(''),
    )
    .join('\n');
}
