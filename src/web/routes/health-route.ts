import type { FastifyInstance } from 'fastify';
import type { CredentialDirectory } from '../../credentials/index.js';
import { CredentialFileInvalid } from '../../shared/errors.js';
import { describeForLog } from '../error-handler.js';
import type { IssuerKeySource } from '../issuer-keys.js';

export interface HealthOptions {
  readonly keys: IssuerKeySource;
  readonly directory: CredentialDirectory;
  /** How long the probe may take before the app counts as unable to serve. */
  readonly timeoutMs: number;
}

/** A name no key file has in practice: reading it costs one open() that fails with ENOENT. */
const PROBE_KEY = '0'.repeat(64);

/**
 * Readiness of the web app (the container healthcheck calls it through nginx): 200 only when it can do what serving
 * needs, within `timeoutMs`: read the issuer's public keys (the JWKS) and open a file in the credential directory
 * (a key-file read: the same non-blocking open on the same I/O threads as a login). Blocked file I/O (all of libuv's
 * threads stuck), an unreadable key or directory answers 503. One probe runs at a time; callers share it.
 */
export function registerHealthRoute(app: FastifyInstance, options: HealthOptions): void {
  let inFlight: Promise<string[]> | undefined;
  const probe = (): Promise<string[]> => {
    inFlight ??= runProbe(options).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  app.get('/healthz', { logLevel: 'warn' }, async (request, reply) => {
    const problems = await probe();
    void reply.header('cache-control', 'no-store');
    if (problems.length === 0) return { status: 'ok' };
    request.log.warn({ problems }, 'health probe failed: the web app cannot serve');
    return reply.status(503).send({ status: 'unhealthy', problems: problems.map((p) => p.split(':')[0]) });
  });
}

async function runProbe(options: HealthOptions): Promise<string[]> {
  const check = async (what: string, work: () => Promise<unknown>): Promise<string | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`${what} did not answer within ${options.timeoutMs} ms`), options.timeoutMs);
    });
    try {
      return await Promise.race([
        work().then(
          () => undefined,
          (error: unknown) => `${what} failed: ${describeForLog(error, [options.directory.root])}`,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const results = await Promise.all([
    check('the issuer keys', () => options.keys.jwks()),
    check('the credential directory', () =>
      options.directory.readKeyFile(PROBE_KEY).catch((error: unknown) => {
        // A file planted under the probe's name was opened and refused: the I/O itself works.
        if (!(error instanceof CredentialFileInvalid)) throw error;
      }),
    ),
  ]);
  return results.filter((r): r is string => r !== undefined);
}
