import { randomUUID } from 'node:crypto';
import { formatTemplate } from '../config/index.js';
import type { LocalIssuerConfig } from '../config/index.js';

export interface SciTokenClaims {
  readonly sub: string;
  readonly scope: string;
  readonly ver?: string;
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
export function buildScopes(config: LocalIssuerConfig, user: string, groups: readonly string[], exprScope?: string): string {
  const scopes = [formatTemplate(config.authzTemplate, { username: user })];
  if (exprScope !== undefined) scopes.push(exprScope);
  if (config.authzGroupTemplate !== undefined) {
    for (const group of groups) scopes.push(formatTemplate(config.authzGroupTemplate, { groupname: group }));
  }
  return scopes.join(' ');
}

/** The claims upstream's LocalCredmon puts in a token (SciTokens 2.0 profile), for `user` at `nowEpochS`. */
export function buildClaims(config: LocalIssuerConfig, user: string, groups: readonly string[], nowEpochS: number, exprScope?: string): SciTokenClaims {
  const iat = Math.floor(nowEpochS);
  return {
    sub: user,
    scope: buildScopes(config, user, groups, exprScope),
    ...(config.tokenVersion !== undefined ? { ver: config.tokenVersion } : {}),
    ...(config.audience.length > 0 ? { aud: [...config.audience] } : {}),
    iss: config.issuer,
    iat,
    nbf: iat,
    exp: iat + config.tokenLifetimeS,
    jti: randomUUID(),
  };
}
