import { providerOfCredential } from '../credentials/index.js';

/** What the OAuth policy needs from the configuration. */
export interface OAuthPolicyConfig {
  /** OAUTH2_CREDMON_PROVIDER_NAMES; `*` means every provider. */
  readonly oauthProviders: readonly string[];
  /** `<provider>_<handle>` names (25.x rules) rather than whole provider names (23.9). */
  readonly handles: boolean;
  isOAuthClientConfigured(provider: string): boolean;
}

export type OAuthPolicyDecision =
  | { readonly refresh: true }
  /** Left alone; `notice` is said once per `key` for the life of the process (not at every scan, as upstream does). */
  | { readonly refresh: false; readonly notice: { readonly key: string; readonly level: 'info' | 'warn'; readonly message: string } };

/**
 * Whether this credmon refreshes OAuth credential `name`, as upstream's OAuthCredmon.check_access_token decides: its
 * provider (the name up to the first `_` with 25.x rules) is in OAUTH2_CREDMON_PROVIDER_NAMES (or that is `*`), and
 * `<provider>_CLIENT_ID` is configured. Pure.
 */
export function oauthRefreshPolicy(name: string, config: OAuthPolicyConfig): OAuthPolicyDecision {
  const provider = providerOfCredential(name, config.handles);
  if (provider === undefined) {
    return {
      refresh: false,
      notice: { key: `trailing:${name}`, level: 'warn', message: `Skipping credential ${name} with a trailing underscore` },
    };
  }
  const listed = config.oauthProviders;
  if (!listed.includes('*') && !listed.includes(provider)) {
    const message = `Leaving ${provider} tokens alone: ${provider} is not in OAUTH2_CREDMON_PROVIDER_NAMES`;
    return { refresh: false, notice: { key: `unlisted:${provider}`, level: 'info', message } };
  }
  if (!config.isOAuthClientConfigured(provider)) {
    const message = `Ignoring ${provider} tokens, ${provider}_CLIENT_ID not set in config`;
    return { refresh: false, notice: { key: `client:${provider}`, level: 'warn', message } };
  }
  return { refresh: true };
}
