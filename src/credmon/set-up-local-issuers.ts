import type { Logger } from 'pino';
import type { LocalIssuerConfig } from '../config/index.js';
import { LocalIssuer, ensureSigningKey, loadPublicKey, loadSigningKey } from '../issuer/index.js';
import { SigningKeyInvalid, describeError } from '../shared/errors.js';

/**
 * The credmon's local issuers, one per local provider (LOCAL_CREDMON_PROVIDER_NAMES), by provider name: each with its
 * key, or the Error that disabled it (a missing or bad key: its credentials fail, everything else goes on). Logs what
 * it found or did for each. Throws (ConfigInvalid, or whatever the evaluator throws) when a provider's
 * LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR cannot be evaluated at all (bad syntax, no classad_eval): a configuration error
 * that the credmon must not start with.
 */
export async function setUpLocalIssuers(
  providers: readonly LocalIssuerConfig[],
  log: Logger,
  options: { readonly classadPath?: string | undefined } = {},
): Promise<Map<string, LocalIssuer | Error>> {
  const issuers = new Map<string, LocalIssuer | Error>();
  for (const provider of providers) {
    issuers.set(provider.providerName, await setUpLocalIssuer(provider, log, options.classadPath));
  }
  for (const [provider, local] of issuers) {
    if (local instanceof LocalIssuer)
      local.scopeExpression?.check(`LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR of provider ${provider}`);
  }
  return issuers;
}

async function setUpLocalIssuer(
  provider: LocalIssuerConfig,
  parentLog: Logger,
  classadPath: string | undefined,
): Promise<LocalIssuer | Error> {
  const { privateKeyPath, publicKeyPath, keyId, privateKeyAlgorithm } = provider;
  const log = parentLog.child({ provider: provider.providerName });
  if (!provider.sharedKey) {
    // LOCAL_CREDMON_<provider>_PRIVATE_KEY: upstream never creates it, and LOCAL_CREDMON_PUBLIC_KEY is not its pair.
    try {
      const key = await loadSigningKey(privateKeyPath, keyId);
      if (key.alg !== privateKeyAlgorithm) {
        throw new SigningKeyInvalid(
          `${privateKeyPath} is an ${key.alg} key, but the configured algorithm is ${privateKeyAlgorithm}`,
        );
      }
      log.info({ alg: key.alg, kid: key.kid }, 'Local issuer ready (its own key)');
      return new LocalIssuer(provider, key, log.child({ module: 'issuer' }), { classadPath });
    } catch (error) {
      log.error(`Local issuer ${provider.providerName} disabled: ${describeError(error)}`);
      return error instanceof Error ? error : new Error(String(error));
    }
  }
  try {
    const outcome = await ensureSigningKey(privateKeyPath, publicKeyPath, privateKeyAlgorithm);
    if (outcome === 'generated') {
      log.info({ privateKeyPath, publicKeyPath }, `Generated a new ${privateKeyAlgorithm} signing key (none existed)`);
    }
    if (outcome === 'public-key-written') {
      log.info({ publicKeyPath }, 'Wrote the missing public key, derived from the private key');
    }
    const key = await loadSigningKey(privateKeyPath, keyId);
    if (key.alg !== privateKeyAlgorithm) {
      throw new SigningKeyInvalid(
        `LOCAL_CREDMON_PRIVATE_KEY ${privateKeyPath} is an ${key.alg} key, ` +
          `but LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM is ${privateKeyAlgorithm}`,
      );
    }
    try {
      const published = await loadPublicKey(publicKeyPath);
      if (!published.equals(key.publicKey)) {
        log.error(
          { publicKeyPath },
          'LOCAL_CREDMON_PUBLIC_KEY does not match LOCAL_CREDMON_PRIVATE_KEY: relying parties will reject the tokens',
        );
      }
    } catch (error) {
      log.warn(describeError(error));
    }
    log.info({ alg: key.alg, kid: key.kid }, 'Local issuer ready');
    return new LocalIssuer(provider, key, log.child({ module: 'issuer' }), { classadPath });
  } catch (error) {
    log.error(`Local issuer disabled: ${describeError(error)}`);
    return error instanceof Error ? error : new Error(String(error));
  }
}
