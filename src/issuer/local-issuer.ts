import { readFileSync, statSync } from 'node:fs';
import type { LocalIssuerConfig } from '../config/index.js';
import { buildClaims } from './build-claims.js';
import { groupsFor } from './group-mapfile.js';
import { signToken, verifyToken } from './sign-token.js';
import type { SigningKey } from './signing-key.js';

export interface IssuedToken {
  readonly jwt: string;
  readonly lifetimeS: number;
}

/** Where the issuer reports that the group mapfile cannot be read (once); a pino logger fits. */
export interface IssuerWarnings {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Signs SciTokens for local users with the configured templates, group mapfile and key. Synchronous: it runs in the
 * credmon's worker threads and on its SIGHUP fast path. The group mapfile is re-read when its mtime changes.
 */
export class LocalIssuer {
  readonly config: LocalIssuerConfig;
  readonly key: SigningKey;
  private readonly log: IssuerWarnings;
  private warnedMapfile = false;
  private mapfile: { readonly mtimeMs: number; readonly text: string } | undefined;

  constructor(config: LocalIssuerConfig, key: SigningKey, log: IssuerWarnings) {
    this.config = config;
    this.key = key;
    this.log = log;
  }

  issue(user: string, nowEpochS: number): IssuedToken {
    const jwt = signToken(this.key, buildClaims(this.config, user, this.groups(user), nowEpochS));
    return { jwt, lifetimeS: this.config.tokenLifetimeS };
  }

  /**
   * True when this issuer's current key verifies `token` and its header and claims are what it would sign now (key id,
   * algorithm, issuer, subject, audience): after a key rotation or a configuration change, old tokens are re-signed.
   */
  isCurrent(token: string, user: string): boolean {
    const verified = verifyToken(this.key, token);
    if (!verified) return false;
    const { header, claims } = verified;
    const aud = Array.isArray(claims['aud']) ? (claims['aud'] as unknown[]) : claims['aud'] === undefined ? [] : [claims['aud']];
    return (
      header['kid'] === this.key.kid &&
      claims['iss'] === this.config.issuer &&
      claims['sub'] === user &&
      aud.length === this.config.audience.length &&
      aud.every((a, i) => a === this.config.audience[i])
    );
  }

  private groups(user: string): string[] {
    const path = this.config.authzGroupMapfile;
    if (path === undefined || this.config.authzGroupTemplate === undefined) return [];
    try {
      const mtimeMs = statSync(path).mtimeMs;
      if (this.mapfile?.mtimeMs !== mtimeMs) this.mapfile = { mtimeMs, text: readFileSync(path, 'utf8') };
      return groupsFor(this.mapfile.text, user);
    } catch (error) {
      if (!this.warnedMapfile) {
        this.log.warn(
          { path, reason: (error as NodeJS.ErrnoException).code },
          'LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE cannot be read; issuing tokens without group scopes',
        );
        this.warnedMapfile = true;
      }
      return [];
    }
  }
}
