/**
 * Crash safety of the credmon, measured: N users (half local-issuer, half OAuth against a real token endpoint on
 * 127.0.0.1 that rotates refresh tokens), and K times: make a random half of the tokens due (a refresh storm),
 * start the real credmon process (src/bin/credmon.ts), kill -9 it at a random moment. Then one last start, and
 * check what HTCondor and jobs would read: no partial, empty or unparsable `.use`/`.top`/`.meta`, no temp file left,
 * no refresh token lost (every `.top` holds a token the provider still accepts), every `.use` valid soon after.
 *
 * The provider rotates refresh tokens as most do: the new token replaces the old, and the old one stays valid until
 * the new one is first used (a client killed after the provider answered but before its fsync still holds the old
 * one; no client can do better against a provider that forgets the old token at once). How often a restarted
 * credmon needed that is reported as "recovered with the previous refresh token".
 *
 * Full scale (docs/reliability.md): npm run reliability:crash      (1000 users, 100 kills)
 *   CRASH_USERS=2000 CRASH_KILLS=300 npm run reliability:crash
 * test/integration/crash-safety.test.ts runs it scaled down in CI.
 */
import type { ChildProcess } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { parseMetaFile, parseTopFile, parseUseFile } from '../../src/credentials/index.js';
import { ensureSigningKey } from '../../src/issuer/index.js';
import { prepareCredmonProcess } from '../helpers/credmon-process.js';

export interface CrashSafetyOptions {
  readonly users: number;
  readonly kills: number;
  /** Longest time the credmon runs before it is killed (ms); each run lasts a random time up to this. */
  readonly maxRunMs?: number;
  readonly log?: (line: string) => void;
}

export interface CrashSafetyReport {
  readonly users: number;
  readonly kills: number;
  readonly refreshes: number;
  readonly recoveredWithPreviousToken: number;
  readonly rejectedRefreshTokens: number;
  readonly badFiles: string[];
  readonly tempFilesLeft: string[];
  readonly lostRefreshTokens: string[];
  readonly invalidUseFiles: string[];
  /** From the last start until every `.use` was valid. */
  readonly allValidAfterMs: number;
  readonly durationS: number;
}

const ISSUER = 'https://localhost:8443';
const AUDIENCE = 'https://localhost';

/** A token endpoint that rotates refresh tokens, accepting the previous one until the new one is first used. */
class RotatingProvider {
  readonly current = new Map<string, string>();
  readonly previous = new Map<string, string>();
  readonly accessTokens = new Map<string, Set<string>>();
  refreshes = 0;
  recovered = 0;
  rejected = 0;
  private server: Server | undefined;
  private serial = 0;

  credentialOf(token: string): string | undefined {
    return /^rt-([a-z0-9]+)-/.exec(token)?.[1];
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const token = form.get('refresh_token') ?? '';
        const cred = this.credentialOf(token);
        const reply = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (!cred || (this.current.get(cred) !== token && this.previous.get(cred) !== token)) {
          this.rejected++;
          reply(400, { error: 'invalid_grant' });
          return;
        }
        if (this.current.get(cred) !== token) this.recovered++;
        else this.previous.set(cred, token); // the new token has not been used yet: the old one stays valid
        const next = `rt-${cred}-${++this.serial}`;
        this.current.set(cred, next);
        const access = `at-${cred}-${this.serial}`;
        this.accessTokens.get(cred)?.add(access);
        this.refreshes++;
        reply(200, { access_token: access, refresh_token: next, token_type: 'Bearer', expires_in: 3600 });
      });
    });
    // Using the newest token retires the previous one.
    this.server.on('request', () => undefined);
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  accepts(cred: string, token: string): boolean {
    return this.current.get(cred) === token || this.previous.get(cred) === token;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

export async function runCrashSafety(options: CrashSafetyOptions): Promise<CrashSafetyReport> {
  const started = performance.now();
  const say = options.log ?? (() => undefined);
  const base = await mkdtemp(join(tmpdir(), 'credmon-crash-'));
  const credDir = join(base, 'creds');
  const bin = join(base, 'bin');
  await mkdir(credDir, { mode: 0o700 });
  await mkdir(bin);
  const privateKey = join(base, 'keys', 'private.pem');
  const publicKeyPath = join(base, 'keys', 'public.pem');
  await ensureSigningKey(privateKey, publicKeyPath);
  const publicKey = createPublicKey(readFileSync(publicKeyPath));
  const provider = new RotatingProvider();
  const tokenUrl = await provider.start();
  // The real daemon, outside HTCondor: its knobs come from a generated condor_config_val.
  const credmon = await prepareCredmonProcess(base, {
    SEC_CREDENTIAL_DIRECTORY_OAUTH: credDir,
    LOCAL_CREDMON_PRIVATE_KEY: privateKey,
    LOCAL_CREDMON_PUBLIC_KEY: publicKeyPath,
    LOCAL_CREDMON_ISSUER: ISSUER,
    LOCAL_CREDMON_TOKEN_AUDIENCE: AUDIENCE,
    MYTOKENS_CLIENT_ID: 'crash-safety',
    CREDMON_OAUTH_LOG: join(base, 'CredMonOAuthLog'),
  });

  const local: string[] = [];
  const oauth: string[] = [];
  for (let i = 0; i < options.users; i++) {
    if (i % 2 === 0) {
      const user = `local${i}`;
      local.push(user);
      await mkdir(join(credDir, user), { mode: 0o700 });
      await writeFile(join(credDir, user, 'scitokens.top'), user);
    } else {
      const cred = `oauth${i}`;
      oauth.push(cred);
      const token = `rt-${cred}-0`;
      provider.current.set(cred, token);
      provider.accessTokens.set(cred, new Set(['at-initial']));
      await mkdir(join(credDir, cred), { mode: 0o700 });
      await writeFile(join(credDir, cred, 'mytokens.top'), `{"refresh_token": "${token}", "scopes": "read:/public"}`);
      const meta = { client_id: 'crash', client_secret: 'crash-secret', token_url: tokenUrl, use_refresh_token: true };
      await writeFile(join(credDir, cred, 'mytokens.meta'), JSON.stringify(meta));
      await writeFile(join(credDir, cred, 'mytokens.use'), '{"access_token": "at-initial", "expires_in": 3600}');
    }
  }

  const startCredmon = (): ChildProcess => credmon.start();
  const ageHalf = async (): Promise<void> => {
    const old = new Date(Date.now() - 7_200_000);
    for (const user of local)
      if (Math.random() < 0.5) await utimes(join(credDir, user, 'scitokens.use'), old, old).catch(() => undefined);
    for (const cred of oauth)
      if (Math.random() < 0.5) await utimes(join(credDir, cred, 'mytokens.use'), old, old).catch(() => undefined);
  };

  const maxRunMs = options.maxRunMs ?? 3_000;
  for (let k = 0; k < options.kills; k++) {
    await ageHalf();
    const child = startCredmon();
    await delay(Math.random() * maxRunMs);
    child.kill('SIGKILL');
    await once(child, 'exit');
    if ((k + 1) % 10 === 0) say(`# ${k + 1}/${options.kills} kills, ${provider.refreshes} refreshes so far`);
  }

  // The last start: everything must be valid within a few seconds, and the files must be whole all along.
  await ageHalf();
  const lastStart = performance.now();
  const last = startCredmon();
  let allValidAfterMs = NaN;
  let invalidUseFiles: string[] = [];
  try {
    for (;;) {
      invalidUseFiles = checkUseFiles(credDir, local, oauth, publicKey, provider);
      if (invalidUseFiles.length === 0) {
        allValidAfterMs = performance.now() - lastStart;
        break;
      }
      if (performance.now() - lastStart > 60_000) break;
      await delay(100);
    }
    await delay(500); // let refreshes in flight land before the files are inspected
  } finally {
    last.kill('SIGTERM');
    await once(last, 'exit');
  }
  const badFiles = checkFilesParse(credDir);
  const tempFilesLeft = findTempFiles(credDir);
  const lostRefreshTokens = oauth.filter((cred) => {
    const top = parseTopFile(cred, readFileSync(join(credDir, cred, 'mytokens.top'), 'utf8'));
    return top.kind !== 'oauth' || !provider.accepts(cred, top.refreshToken);
  });
  await provider.stop();
  await credmon.dispose();
  if (process.env['CRASH_KEEP']) say(`# kept ${base}`);
  else await rm(base, { recursive: true, force: true });
  return {
    users: options.users,
    kills: options.kills,
    refreshes: provider.refreshes,
    recoveredWithPreviousToken: provider.recovered,
    rejectedRefreshTokens: provider.rejected,
    badFiles,
    tempFilesLeft,
    lostRefreshTokens,
    invalidUseFiles,
    allValidAfterMs: Math.round(allValidAfterMs),
    durationS: Math.round((performance.now() - started) / 1000),
  };
}

/** Every `.use` as a job would use it: local ones verify and have not expired; OAuth ones hold a token we issued. */
function checkUseFiles(
  credDir: string,
  local: readonly string[],
  oauth: readonly string[],
  publicKey: ReturnType<typeof createPublicKey>,
  provider: RotatingProvider,
): string[] {
  const bad: string[] = [];
  const nowS = Date.now() / 1000;
  for (const user of local) {
    try {
      const use = parseUseFile(user, readFileSync(join(credDir, user, 'scitokens.use'), 'utf8'));
      const [h, p, s] = use.accessToken.split('.');
      const ok = verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(s ?? '', 'base64url'),
      );
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as { sub?: string; exp?: number };
      const fresh = statSync(join(credDir, user, 'scitokens.use')).mtimeMs > Date.now() - 3_600_000;
      if (!ok || claims.sub !== user || (claims.exp ?? 0) < nowS || !fresh) bad.push(`${user}/scitokens.use`);
    } catch {
      bad.push(`${user}/scitokens.use`);
    }
  }
  for (const cred of oauth) {
    try {
      const use = parseUseFile(cred, readFileSync(join(credDir, cred, 'mytokens.use'), 'utf8'));
      const fresh = statSync(join(credDir, cred, 'mytokens.use')).mtimeMs > Date.now() - 3_600_000;
      if (!provider.accessTokens.get(cred)?.has(use.accessToken) || !fresh) bad.push(`${cred}/mytokens.use`);
    } catch {
      bad.push(`${cred}/mytokens.use`);
    }
  }
  return bad;
}

function checkFilesParse(credDir: string): string[] {
  const bad: string[] = [];
  for (const user of readdirSync(credDir)) {
    const dir = join(credDir, user);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir)) {
      const path = join(dir, file);
      const content = readFileSync(path, 'utf8');
      try {
        if (content === '') throw new Error('empty');
        if (file.endsWith('.use')) parseUseFile(path, content);
        else if (file.endsWith('.top')) parseTopFile(path, content);
        else if (file.endsWith('.meta')) parseMetaFile(path, content);
      } catch {
        bad.push(`${user}/${file}`);
      }
    }
  }
  return bad;
}

function findTempFiles(credDir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(credDir)) {
    if (entry.endsWith('.tmp')) found.push(entry);
    const dir = join(credDir, entry);
    if (statSync(dir).isDirectory())
      for (const file of readdirSync(dir)) if (file.endsWith('.tmp')) found.push(`${entry}/${file}`);
  }
  return found;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await runCrashSafety({
    users: Number(process.env['CRASH_USERS'] ?? 1000),
    kills: Number(process.env['CRASH_KILLS'] ?? 100),
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify({ date: new Date().toISOString(), ...report }, null, 2));
  const lost =
    report.badFiles.length +
    report.tempFilesLeft.length +
    report.lostRefreshTokens.length +
    report.invalidUseFiles.length;
  process.exitCode = lost === 0 ? 0 : 1;
  if (!existsSync('bench-results')) await mkdir('bench-results');
  await writeFile(join('bench-results', `crash-safety-${Date.now()}.json`), JSON.stringify(report, null, 2));
}
