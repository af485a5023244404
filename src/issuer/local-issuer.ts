import { readFileSync, statSync } from 'node:fs';
import type { LocalIssuerConfig } from '../config/index.js';
import { IssuerUndecided, describeError } from '../shared/errors.js';
import { buildClaims, buildScopes } from './build-claims.js';
import { groupsFor } from './group-mapfile.js';
import { ScopeExpression, classadEvalEvaluator, type ClassAdEvaluator } from './scope-expression.js';
import { signToken, verifyToken } from './sign-token.js';
import type { SigningKey } from './signing-key.js';

export interface IssuedToken {
  /** The signed token; '' for a user that LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT refuses (upstream writes it so). */
  readonly jwt: string;
  readonly lifetimeS: number;
}

/** Where the issuer reports what it could not do for a user (once per condition); a pino logger fits. */
export interface IssuerWarnings {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface LocalIssuerOptions {
  /** Evaluates LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR (default: HTCondor's classad_eval); tests inject their own. */
  readonly evaluate?: ClassAdEvaluator;
}

/**
 * Signs SciTokens for local users with the configured templates, scope expression, group mapfile and key.
 * Synchronous: it runs in the credmon's worker threads and on its SIGHUP fast path. The group mapfile is re-read when
 * its mtime, size or inode changes; the scope expression's value is evaluated once per user (`prepare` batches many users).
 */
export class LocalIssuer {
  readonly config: LocalIssuerConfig;
  readonly key: SigningKey;
  /** LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR, when set. */
  readonly scopeExpression: ScopeExpression | undefined;
  private readonly log: IssuerWarnings;
  private readonly warned = new Set<string>();
  private mapfile: { readonly stamp: string; readonly text: string } | undefined;

  constructor(config: LocalIssuerConfig, key: SigningKey, log: IssuerWarnings, options: LocalIssuerOptions = {}) {
    this.config = config;
    this.key = key;
    this.log = log;
    this.scopeExpression =
      config.authzTemplateExpr === undefined ? undefined : new ScopeExpression(config.authzTemplateExpr, options.evaluate ?? classadEvalEvaluator());
  }

  /** Evaluates the scope expression for many users at once (a scan's batch), so that `issue` finds their values. */
  prepare(users: readonly string[]): void {
    try {
      this.scopeExpression?.prepare(users);
    } catch (error) {
      this.warnOnce('expr', { reason: describeError(error) }, this.exprProblem());
    }
  }

  /**
   * Signs a token for `user`. A user outside LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT's group gets an empty token, as
   * upstream writes one; throws IssuerUndecided when the group mapfile that decides it cannot be read.
   */
  issue(user: string, nowEpochS: number): IssuedToken {
    if (this.isDenied(user)) {
      this.warnOnce(
        `denied:${user}`,
        { user, group: this.config.authzGroupRequirement },
        `User ${user} request for a token from provider ${this.config.providerName} is denied as ${user} is not a member ` +
          `of group ${this.config.authzGroupRequirement ?? ''}; writing an empty token`,
      );
      return { jwt: '', lifetimeS: this.config.tokenLifetimeS };
    }
    const claims = buildClaims(this.config, user, this.groupScopes(user), nowEpochS, this.exprScope(user));
    return { jwt: signToken(this.key, claims), lifetimeS: this.config.tokenLifetimeS };
  }

  /**
   * True when LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT is set and `user` is not in that group of the group mapfile.
   * Throws IssuerUndecided when the mapfile cannot be read (no token either way until it can).
   */
  isDenied(user: string): boolean {
    const required = this.config.authzGroupRequirement;
    if (required === undefined) return false;
    const groups = this.readGroups(user);
    if (groups instanceof Error) {
      throw new IssuerUndecided(
        `cannot read LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE (${describeError(groups)}), so cannot tell whether ${user} is in ` + `group ${required}`,
      );
    }
    return !groups.includes(required);
  }

  /**
   * True when `token` is what this issuer would give `user` now: for a refused user the empty token; else a token
   * its current key verifies whose header and claims match (key id, algorithm, issuer, subject, audience, scope).
   * After a key rotation, a configuration change or a change of group, old tokens are re-signed.
   */
  isCurrent(token: string, user: string): boolean {
    if (this.isDenied(user)) return token === '';
    const verified = verifyToken(this.key, token);
    if (!verified) return false;
    const { header, claims } = verified;
    const aud = Array.isArray(claims['aud']) ? (claims['aud'] as unknown[]) : claims['aud'] === undefined ? [] : [claims['aud']];
    return (
      header['kid'] === this.key.kid &&
      claims['iss'] === this.config.issuer &&
      claims['sub'] === user &&
      claims['scope'] === this.scopesFor(user) &&
      aud.length === this.config.audience.length &&
      aud.every((a, i) => a === this.config.audience[i])
    );
  }

  private scopesFor(user: string): string {
    return buildScopes(this.config, user, this.groupScopes(user), this.exprScope(user));
  }

  /** The groups the group template makes scopes of (none without a template). */
  private groupScopes(user: string): string[] {
    return this.config.authzGroupTemplate === undefined ? [] : this.groupsOrNone(user);
  }

  private exprScope(user: string): string | undefined {
    const expression = this.scopeExpression;
    if (!expression) return undefined;
    let scope: string | undefined;
    try {
      scope = expression.scopeFor(user);
    } catch (error) {
      // As upstream: the token is issued without the expression's scope, and the failure is logged.
      this.warnOnce('expr', { reason: describeError(error) }, this.exprProblem());
      return undefined;
    }
    if (scope === undefined) {
      this.warnOnce(
        `expr-value:${user}`,
        { user },
        `LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR gives no scope for ${user} (not a string of printable characters without ` + 'spaces); issuing the token without it',
      );
    }
    return scope;
  }

  private exprProblem(): string {
    return 'LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR cannot be evaluated; issuing tokens without its scope until it can';
  }

  /** The group template's groups; [] (with one warning) when the mapfile cannot be read, as upstream. */
  private groupsOrNone(user: string): string[] {
    const groups = this.readGroups(user);
    if (!(groups instanceof Error)) return groups;
    this.warnOnce(
      'mapfile',
      { path: this.config.authzGroupMapfile, reason: (groups as NodeJS.ErrnoException).code },
      'LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE cannot be read; issuing tokens without group scopes',
    );
    return [];
  }

  private readGroups(user: string): string[] | Error {
    const path = this.config.authzGroupMapfile;
    if (path === undefined) return [];
    try {
      const { mtimeMs, ctimeMs, size, ino } = statSync(path);
      const stamp = `${mtimeMs}:${ctimeMs}:${size}:${ino}`;
      if (this.mapfile?.stamp !== stamp) this.mapfile = { stamp, text: readFileSync(path, 'utf8') };
      return groupsFor(this.mapfile.text, user);
    } catch (error) {
      this.mapfile = undefined;
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Logs a condition once for the life of this issuer (a scan must not repeat it for every user, every minute). */
  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(fields, message);
  }
}
