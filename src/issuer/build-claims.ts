import { randomUUID } from 'node:crypto';
import { formatTemplate } from '../config/index.js';
import type { LocalIssuerConfig } from '../config/index.js';

export interface SciTokenClaims {
  readonly sub: string;
  readonly scope: string;
  readonly ver?: string;
  readonly 'wlcg.ver'?: string;
  readonly aud?: string[];
  readonly iss: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly jti: string;
  readonly [claim: string]: unknown;
}

/**
 * The scopes of `user`'s token, in upstream's order: the user template's, then `exprScope` (the value of
 * LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR for the user), then the group template's for each group.
 */
export function buildScopes(
  config: Pick<LocalIssuerConfig, 'authzTemplate' | 'authzGroupTemplate'>,
  user: string,
  groups: readonly string[],
  exprScope?: string,
): string {
  const scopes = [formatTemplate(config.authzTemplate, { username: user })];
  if (exprScope !== undefined) scopes.push(exprScope);
  if (config.authzGroupTemplate !== undefined) {
    for (const group of groups) scopes.push(formatTemplate(config.authzGroupTemplate, { groupname: group }));
  }
  return scopes.join(' ');
}

/**
 * The profile claim for LOCAL_CREDMON_TOKEN_VERSION: `wlcg` or `wlcg:<v>` (any case) is the WLCG Common JWT profile,
 * `{"wlcg.ver": "<v>"}` (v defaults to 1.0) and no `ver`, as HTCondor 24.7.3+ writes it (LocalCredmon.py,
 * HTCONDOR-2954); anything else is written as `ver` unchanged (`scitoken:2.0`); undefined writes neither.
 */
export function profileClaim(tokenVersion: string | undefined): Pick<SciTokenClaims, 'ver' | 'wlcg.ver'> {
  if (tokenVersion === undefined) return {};
  const wlcg = /^wlcg(?::(.*))?$/i.exec(tokenVersion);
  if (wlcg) return { 'wlcg.ver': wlcg[1] || '1.0' };
  return { ver: tokenVersion };
}

/** The claims upstream's LocalCredmon puts in a token (SciTokens 2.0 or WLCG profile), for `user` at `nowEpochS`. */
export function buildClaims(
  config: LocalIssuerConfig,
  user: string,
  groups: readonly string[],
  nowEpochS: number,
  exprScope?: string,
): SciTokenClaims {
  const iat = Math.floor(nowEpochS);
  return {
    sub: user,
    scope: buildScopes(config, user, groups, exprScope),
    ...profileClaim(config.tokenVersion),
    ...(config.audience.length > 0 ? { aud: [...config.audience] } : {}),
    iss: config.issuer,
    iat,
    nbf: iat,
    exp: iat + config.tokenLifetimeS,
    jti: randomUUID(),
  };
}
