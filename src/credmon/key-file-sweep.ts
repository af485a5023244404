import type { Logger } from 'pino';
import type { CredentialDirectory } from '../credentials/index.js';

/**
 * Removes the CHECK_CREDS key files (`<root>/<64 hex>`) whose ctime is more than `maxAgeMs` before `nowMs`
 * (CREDMON_OAUTH_KEY_FILE_LIFETIME).
 */
export async function sweepKeyFiles(
  dir: Pick<CredentialDirectory, 'listKeyFiles' | 'removeKeyFile'>,
  nowMs: number,
  maxAgeMs: number,
  log: Logger,
): Promise<void> {
  for (const key of await dir.listKeyFiles()) {
    if (nowMs - key.ctimeMs <= maxAgeMs) continue;
    await dir.removeKeyFile(key.name);
    log.info(`Removing stale key file ${key.name.slice(0, 8)}…`);
  }
}
