import type { Logger } from 'pino';
import type { CredentialDirectory } from '../credentials/index.js';

/**
 * Removes CHECK_CREDS key files (the credd's login requests) older than `maxAgeMs` (CREDMON_OAUTH_KEY_FILE_LIFETIME),
 * as upstream's credmon does. A key is a login capability: only its first 8 characters are logged.
 */
export async function sweepKeyFiles(dir: CredentialDirectory, nowMs: number, maxAgeMs: number, log: Logger): Promise<number> {
  let removed = 0;
  for (const key of await dir.listKeyFiles()) {
    if (nowMs - key.ctimeMs <= maxAgeMs) continue;
    await dir.removeKeyFile(key.name);
    log.info(`Removing stale key file ${key.name.slice(0, 8)}…`);
    removed++;
  }
  return removed;
}
