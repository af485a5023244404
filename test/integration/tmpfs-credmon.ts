/**
 * A Credmon whose credential directory is on a small tmpfs (small-tmpfs.ts), for the full-disk tests (not a test file
 * itself). The signing keys live in an ordinary temp directory, so that only the credential files compete for space.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupFrom, parseCredmonConfig } from '../../src/config/index.js';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { Credmon } from '../../src/credmon/index.js';
import { LocalIssuer, ensureSigningKey, loadSigningKey } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import type { SmallTmpfs } from './small-tmpfs.js';

export interface TmpfsCredmon {
  readonly credDir: string;
  readonly credmon: Credmon;
  /** Every log line, formatted as in the daemon log. */
  readonly lines: string[];
  /** The injected clock (epoch ms); tests move it forward. */
  nowMs: number;
  put(user: string, file: string, content: string): void;
  read(user: string, file: string): string;
  /** One scan, then waits for the refreshes it started. */
  scan(): Promise<void>;
  /** Stops the credmon and removes the credential directory and the keys. */
  close(): Promise<void>;
}

export async function startTmpfsCredmon(fs: SmallTmpfs, knobs: Record<string, string> = {}): Promise<TmpfsCredmon> {
  const keys = mkdtempSync(join(tmpdir(), 'credmon-full-disk-keys-'));
  const credDir = join(fs.path, 'oauth_credentials');
  const config = parseCredmonConfig(
    lookupFrom(
      new Map(
        Object.entries({
          SEC_CREDENTIAL_DIRECTORY_OAUTH: credDir,
          LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
          LOCAL_CREDMON_PRIVATE_KEY: join(keys, 'scitokens-private.pem'),
          LOCAL_CREDMON_PUBLIC_KEY: join(keys, 'scitokens.pem'),
          LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
          MYTOKENS_CLIENT_ID: 'sandbox',
          ...knobs,
        }),
      ),
    ),
  );
  const directory = new CredentialDirectory(config.credDir);
  await directory.prepare();
  await ensureSigningKey(config.local.privateKeyPath, config.local.publicKeyPath);
  const { logger, lines } = createMemoryLogger('credmon', true);
  const key = await loadSigningKey(config.local.privateKeyPath, config.local.keyId);
  const harness: TmpfsCredmon = {
    credDir,
    lines,
    nowMs: Date.now(),
    credmon: undefined as unknown as Credmon, // assigned below; the clock closure needs `harness`
    put(user, file, content) {
      mkdirSync(join(credDir, user), { recursive: true, mode: 0o700 });
      writeFileSync(join(credDir, user, file), content, { mode: 0o600 });
    },
    read: (user, file) => readFileSync(join(credDir, user, file), 'utf8'),
    async scan() {
      await harness.credmon.scanOnce();
      await harness.credmon.settle();
    },
    async close() {
      await harness.credmon.stop();
      rmSync(credDir, { recursive: true, force: true });
      rmSync(keys, { recursive: true, force: true });
    },
  };
  const issuer = new LocalIssuer(config.local, key, logger);
  const issuers = new Map([[config.local.providerName, issuer]]);
  const credmon = new Credmon({ config, directory, issuers, log: logger, now: () => harness.nowMs, random: () => 0 });
  (harness as { credmon: Credmon }).credmon = credmon;
  return harness;
}

/** The lines that match `pattern`. */
export function linesMatching(lines: readonly string[], pattern: RegExp): string[] {
  return lines.filter((line) => pattern.test(line));
}
