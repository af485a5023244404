import type { LocalIssuerConfig } from '../config/index.js';
import { IssuerUndecided, describeError } from '../shared/errors.js';
import { ReportOnce } from '../shared/report-once.js';
import { buildClaims, buildScopes } from './build-claims.js';
import { GroupMapfile } from './group-mapfile.js';
import { ScopeExpression, classadEvalEvaluator, type ClassAdEvaluator } from './scope-expression.js';
import { decodeToken, signToken, verifyToken } from './sign-token.js';
import type { SigningKey } from './signing-key.js';
import { tokenDigest } from './token-digest.js';

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
  /** The PATH classad_eval is found on (the credmon's own, passed down by src/bin). */
  readonly classadPath?: string | undefined;
}

/**
 * Signs SciTokens for local users with the configured templates, scope expression, group mapfile and key.
 * Synchronous: it runs in the credmon's worker threads and on its SIGHUP fast path. The group mapfile is re-read when
 * its mtime, size or inode changes; the scope expression's value is evaluated once per user (`prepare` batches many users).
 */
export class LocalIssuer {
  readonly config: LocalIssuerConfig;
  /** The key that signs: replaced by `useKey` when a key rotation switches (the credmon's key set watcher). */
  private signingKey: SigningKey;
  /** LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR, when set. */
  readonly scopeExpression: ScopeExpression | undefined;
  /** LocalIssuerOptions.classadPath, for the worker threads' own issuers. */
  readonly classadPath: string | undefined;
  private readonly log: IssuerWarnings;
  /** Conditions said once for the life of this issuer (a scan must not repeat them for every user, every minute). */
  private readonly reports = new ReportOnce();
  private readonly mapfile: GroupMapfile | undefined;

  constructor(config: LocalIssuerConfig, key: SigningKey, log: IssuerWarnings, options: LocalIssuerOptions = {}) {
    this.config = config;
    this.signingKey = key;
    this.log = log;
    this.classadPath = options.classadPath;
    this.mapfile = config.authzGroupMapfile === undefined ? undefined : new GroupMapfile(config.authzGroupMapfile);
    this.scopeExpression =
      config.authzTemplateExpr === undefined
        ? undefined
        : new ScopeExpression(
            config.authzTemplateExpr,
            options.evaluate ?? classadEvalEvaluator(undefined, undefined, options.classadPath),
          );
  }

  get key(): SigningKey {
    return this.signingKey;
  }

  /**
   * Signs with `key` from now on. A token of the previous key is no longer current (`isCurrent`), so each is re-signed
   * when it is next looked at: at its renewal time, spread as the tokens were issued, or at once after a revocation.
   */
  useKey(key: SigningKey): void {
    this.signingKey = key;
  }

  /** Evaluates the scope expression for many users at once (a scan's batch), so that `issue` finds their values. */
  prepare(users: readonly string[]): void {
    try {
      this.scopeExpression?.prepare(users);
    } catch (error) {
      this.reportExpressionFailure(error);
    }
  }

  /**
   * Signs a token for `user`. A user outside LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT's group gets an empty token, as
   * upstream writes one; throws IssuerUndecided when the group mapfile that decides it cannot be read.
   */
  issue(user: string, nowEpochS: number): IssuedToken {
    const entitlement = this.entitlement(user);
    if (entitlement.denied) {
      const group = this.config.authzGroupRequirement ?? '';
      this.reports.once(`denied:${user}`, () =>
        this.log.warn(
          { user, group },
          `User ${user} request for a token from provider ${this.config.providerName} is denied as ${user} is not ` +
            `a member of group ${group}; writing an empty token`,
        ),
      );
      return { jwt: '', lifetimeS: this.config.tokenLifetimeS };
    }
    const claims = buildClaims(this.config, user, entitlement.groups, nowEpochS, this.exprScope(user));
    return { jwt: signToken(this.key, claims), lifetimeS: this.config.tokenLifetimeS };
  }

  /**
   * True when `token` is what this issuer would give `user` now: for a refused user the empty token; else a token
   * its current key verifies whose header and claims match (key id, algorithm, issuer, subject, audience, scope).
   * After a key rotation, a configuration change or a change of group, old tokens are re-signed.
   * `knownDigest`: the tokenDigest of a token this credmon signed or verified. When `token` has it, its signature is
   * not verified again (three times the cost of signing it, for every `.use` a scan re-reads after our own writes);
   * every other check still applies, the kid among them, so a key rotation still re-signs it.
   */
  isCurrent(token: string, user: string, knownDigest?: string): boolean {
    const entitlement = this.entitlement(user);
    if (entitlement.denied) return token === '';
    const known = knownDigest !== undefined && tokenDigest(token) === knownDigest;
    const decoded = known ? decodeToken(token) : verifyToken(this.key, token);
    if (!decoded) return false;
    const { header, claims } = decoded;
    const aud = Array.isArray(claims['aud'])
      ? (claims['aud'] as unknown[])
      : claims['aud'] === undefined
        ? []
        : [claims['aud']];
    return (
      header['alg'] === this.key.alg &&
      header['kid'] === this.key.kid &&
      claims['iss'] === this.config.issuer &&
      claims['sub'] === user &&
      claims['scope'] === buildScopes(this.config, user, entitlement.groups, this.exprScope(user)) &&
      aud.length === this.config.audience.length &&
      aud.every((a, i) => a === this.config.audience[i])
    );
  }

  /**
   * What the group mapfile (read once per call) says about `user`: refused by LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT,
   * and the groups the group template makes scopes of. An unreadable mapfile: no decision with a requirement
   * (IssuerUndecided), else no group scopes (one warning, as upstream).
   */
  private entitlement(user: string): { readonly denied: boolean; readonly groups: readonly string[] } {
    const { authzGroupRequirement: required, authzGroupTemplate: template } = this.config;
    if (required === undefined && template === undefined) return { denied: false, groups: [] };
    const groups = this.readGroups(user);
    if (groups instanceof Error) {
      if (required !== undefined) {
        throw new IssuerUndecided(
          `cannot read LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE (${describeError(groups)}), so cannot tell whether ${user} ` +
            `is in group ${required}`,
        );
      }
      const reason = (groups as NodeJS.ErrnoException).code;
      this.reports.once('mapfile', () =>
        this.log.warn(
          { path: this.config.authzGroupMapfile, reason },
          'LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE cannot be read; issuing tokens without group scopes',
        ),
      );
      return { denied: false, groups: [] };
    }
    return {
      denied: required !== undefined && !groups.includes(required),
      groups: template === undefined ? [] : groups,
    };
  }

  private exprScope(user: string): string | undefined {
    const expression = this.scopeExpression;
    if (!expression) return undefined;
    let scope: string | undefined;
    try {
      scope = expression.scopeFor(user);
    } catch (error) {
      // As upstream: the token is issued without the expression's scope, and the failure is logged.
      this.reportExpressionFailure(error);
      return undefined;
    }
    if (scope === undefined) {
      this.reports.once(`expr-value:${user}`, () =>
        this.log.warn(
          { user },
          `LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR gives no scope for ${user} (not a string of printable characters ` +
            'without spaces); issuing the token without it',
        ),
      );
    }
    return scope;
  }

  private reportExpressionFailure(error: unknown): void {
    this.reports.once('expr', () =>
      this.log.warn(
        { reason: describeError(error) },
        'LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR cannot be evaluated; issuing tokens without its scope until it can',
      ),
    );
  }

  private readGroups(user: string): string[] | Error {
    return this.mapfile ? this.mapfile.groupsOf(user) : [];
  }
}
