import type { CredmonConfig } from '../config/index.js';
import { providerOfCredential } from '../credentials/index.js';
import type { LogLine } from './log-line.js';

export type OAuthPolicyConfig = Pick<CredmonConfig, 'handles' | 'oauthProviders' | 'isOAuthClientConfigured'>;

/** Whether this credmon refreshes a credential; when not, a line to log once per `onceKey`. */
export type OAuthDecision =
  { readonly refresh: true } | { readonly refresh: false; readonly onceKey: string; readonly notice: LogLine };

const REFRESH: OAuthDecision = { refresh: true };

/**
 * Whether this credmon refreshes OAuth credential `name`, as upstream's OAuthCredmon.check_access_token decides: its
 * provider (the name up to the first `_` with 25.x rules) is in OAUTH2_CREDMON_PROVIDER_NAMES (or that is `*`), and
 * `<provider>_CLIENT_ID` is configured. Others are left alone, and a name with a trailing underscore is skipped.
 */
export function decideOAuthRefresh(name: string, config: OAuthPolicyConfig): OAuthDecision {
  const provider = providerOfCredential(name, config.handles);
  if (provider === undefined) {
    const message = `Skipping credential ${name} with a trailing underscore`;
    return { refresh: false, onceKey: `trailing:${name}`, notice: { level: 'warn', message } };
  }
  const listed = config.oauthProviders;
  if (!listed.includes('*') && !listed.includes(provider)) {
    const message = `Leaving ${provider} tokens alone: ${provider} is not in OAUTH2_CREDMON_PROVIDER_NAMES`;
    return { refresh: false, onceKey: `unlisted:${provider}`, notice: { level: 'info', message } };
  }
  if (!config.isOAuthClientConfigured(provider)) {
    const message = `Ignoring ${provider} tokens, ${provider}_CLIENT_ID not set in config`;
    return { refresh: false, onceKey: `client:${provider}`, notice: { level: 'warn', message } };
  }
  return REFRESH;
}
