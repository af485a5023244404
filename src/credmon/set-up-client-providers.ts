import type { Logger } from 'pino';
import type { ClientProviderConfig } from '../config/index.js';
import { readClientSecretFile } from '../credentials/index.js';
import { describeError } from '../shared/errors.js';
import type { ClientProvider } from './client-refresh.js';

/**
 * The credmon's client-credentials providers (CLIENT_CREDMON_PROVIDER_NAMES), by provider name: each with its secret,
 * read once now as upstream's ClientCredmon does, or the Error that disabled it (a missing, empty, unreadable or
 * too-open secret file: its users' tokens fail with that reason, everything else goes on). Logs what it found for
 * each; never the secret. `ownerUid`: the user a secret file must belong to (this process's).
 */
export async function setUpClientProviders(
  providers: readonly ClientProviderConfig[],
  log: Logger,
  ownerUid: number,
): Promise<Map<string, ClientProvider | Error>> {
  const clients = new Map<string, ClientProvider | Error>();
  for (const config of providers) {
    const providerLog = log.child({ provider: config.providerName });
    try {
      const secret = await readClientSecretFile(config.clientSecretFile, config.clientSecretKnob, ownerUid);
      clients.set(config.providerName, { config, secret });
      const endpoint = config.tokenUrl ?? `discovery from ${config.issuer}`;
      providerLog.info({ clientId: config.clientId, endpoint }, 'Client-credentials provider ready');
    } catch (error) {
      const message = `${config.providerName} has no usable client secret: ${describeError(error)}`;
      providerLog.error(
        `${message}; its users get no ${config.providerName} tokens until this is fixed and the credmon restarts`,
      );
      clients.set(config.providerName, new Error(message));
    }
  }
  return clients;
}
