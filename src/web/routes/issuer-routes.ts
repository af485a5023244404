import type { FastifyInstance } from 'fastify';
import { buildDiscoveryDocument } from '../../issuer/index.js';
import type { IssuerKeySource } from '../issuer-keys.js';

/** The jwks_uri path; upstream's web app uses this name, so existing relying-party configuration keeps working. */
export const JWKS_PATH = '/.well-known/jwks-uri';

/**
 * The local issuer's public metadata: OpenID discovery (with `issuer` exactly equal to LOCAL_CREDMON_ISSUER) and the
 * JWKS, so any relying party (scitokens-cpp, XRootD, dCache, jose) can verify the tokens the credmon signs.
 */
export function registerIssuerRoutes(app: FastifyInstance, issuer: string, keys: IssuerKeySource, path = ''): void {
  const base = issuer.replace(/\/+$/, '');
  const discovery = buildDiscoveryDocument(issuer, `${base}${JWKS_PATH}`);
  app.get(`${path}/.well-known/openid-configuration`, async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=60');
    return discovery;
  });
  app.get(`${path}${JWKS_PATH}`, async (_request, reply) => {
    const jwks = await keys.jwks();
    void reply.header('cache-control', `public, max-age=${keys.maxAgeS}`).type('application/jwk-set+json');
    return jwks;
  });
}
