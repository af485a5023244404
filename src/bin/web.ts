#!/usr/bin/env node
/**
 * The web app: the local issuer's discovery document and JWKS, and the OAuth login pages condor_submit links to.
 * Runs as user condor behind nginx (which terminates TLS). Environment: WEB_LISTEN_HOST (127.0.0.1), WEB_LISTEN_PORT (8080).
 */
import { CREDMON_KNOBS, SUBSYSTEM_KNOB_SUFFIXES, parseCredmonConfig, readCondorConfig } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { ConfigInvalid, describeError } from '../shared/errors.js';
import { CredentialDirectory } from '../credentials/index.js';
import { buildApp, createIssuerKeySource } from '../web/index.js';

async function main(): Promise<void> {
  const log = createLogger({ name: 'web', debug: process.env['WEB_DEBUG'] === '1', stderr: true });
  let config;
  try {
    config = parseCredmonConfig(
      await readCondorConfig([...CREDMON_KNOBS, ...SUBSYSTEM_KNOB_SUFFIXES.map((k) => `CREDMON_OAUTH_${k}`)], { subsystem: 'CREDMON_OAUTH' }),
    );
  } catch (error) {
    log.fatal(error instanceof ConfigInvalid ? error.message : describeError(error));
    setTimeout(() => process.exit(1), 50);
    return;
  }
  const app = await buildApp({
    issuer: config.local.issuer,
    keys: createIssuerKeySource(config.local.publicKeyPath, config.local.keyId),
    logger: log,
    directory: new CredentialDirectory(config.credDir),
    tokenTimeoutMs: config.refreshTimeoutS * 1000,
  });
  const host = process.env['WEB_LISTEN_HOST'] ?? '127.0.0.1';
  const port = Number(process.env['WEB_LISTEN_PORT'] ?? '8080');
  await app.listen({ host, port });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void app.close().finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`web: fatal: ${describeError(error)}\n`);
  process.exit(1);
});
