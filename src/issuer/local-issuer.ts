import { readFile } from 'node:fs/promises';
import { compactVerify } from 'jose';
import type { Logger } from 'pino';
import type { LocalIssuerConfig } from '../config/index.js';
import { buildClaims } from './build-claims.js';
import { groupsFor } from './group-mapfile.js';
import { signToken } from './sign-token.js';
import type { SigningKey } from './signing-key.js';

export interface IssuedToken {
  readonly jwt: string;
  readonly lifetimeS: number;
}

/** Signs SciTokens for local users with the configured templates, group mapfile and key. */
export class LocalIssuer {
  readonly config: LocalIssuerConfig;
  readonly key: SigningKey;
  private readonly log: Logger;
  private warnedMapfile = false;

  constructor(config: LocalIssuerConfig, key: SigningKey, log: Logger) {
    this.config = config;
    this.key = key;
    this.log = log;
  }

  async issue(user: string, nowEpochS: number): Promise<IssuedToken> {
    const groups = await this.groups(user);
    const jwt = await signToken(this.key, buildClaims(this.config, user, groups, nowEpochS));
    return { jwt, lifetimeS: this.config.tokenLifetimeS };
  }

  /**
   * True when this issuer's current key verifies `token` and its header and claims are what it would sign now (key id,
   * algorithm, issuer, subject, audience): after a key rotation or a configuration change, old tokens are re-signed.
   */
  async isCurrent(token: string, user: string): Promise<boolean> {
    try {
      const { payload, protectedHeader } = await compactVerify(token, this.key.publicKey);
      const claims = JSON.parse(new TextDecoder().decode(payload)) as { iss?: unknown; sub?: unknown; aud?: unknown };
      return this.matches(protectedHeader, claims, user);
    } catch {
      return false;
    }
  }

  private matches(header: { kid?: unknown; alg?: unknown }, claims: { iss?: unknown; sub?: unknown; aud?: unknown }, user: string): boolean {
    const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
    return (
      header.kid === this.key.kid &&
      header.alg === this.key.alg &&
      claims.iss === this.config.issuer &&
      claims.sub === user &&
      aud.length === this.config.audience.length &&
      aud.every((a, i) => a === this.config.audience[i])
    );
  }

  private async groups(user: string): Promise<string[]> {
    const path = this.config.authzGroupMapfile;
    if (path === undefined || this.config.authzGroupTemplate === undefined) return [];
    try {
      return groupsFor(await readFile(path, 'utf8'), user);
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
