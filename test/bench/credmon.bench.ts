/**
 * Benchmark of the credmon core, in process, with the real Credmon, worker threads, files and a real token endpoint
 * (a child process on 127.0.0.1). Prints a table beside issue 6's targets and the Python credmon's figures, and writes
 * JSON to bench-results/credmon-<date>.json. Every token counted is read back and verified (signature and claims).
 *   npm run bench      (builds dist/ first)        users 1000,5000,10000,20000; idle measured at 10,000
 *   BENCH_USERS=10000 BENCH_IDLE_S=60 npm run bench
 * The container figures (compose up, first submit, the Python credmon in the same image) come from
 * test/bench/container.bench.ts.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import type { Credmon, ScanSummary } from '../../src/credmon/index.js';
import { prepareCredmonProcess, processUsage } from '../helpers/credmon-process.js';

// The compiled code, as the image runs it (worker threads started under tsx would spend their time compiling).
// BENCH_FROM_SRC=1 measures the TypeScript sources instead.
const lib = process.env['BENCH_FROM_SRC'] ? '../../src' : '../../dist';
const { lookupFrom, parseCredmonConfig } = (await import(
  `${lib}/config/index.js`
)) as typeof import('../../src/config/index.js');
const { CredentialDirectory } = (await import(
  `${lib}/credentials/index.js`
)) as typeof import('../../src/credentials/index.js');
const credmonModule = (await import(`${lib}/credmon/index.js`)) as typeof import('../../src/credmon/index.js');
const { LocalIssuer, parseSigningKey } = (await import(
  `${lib}/issuer/index.js`
)) as typeof import('../../src/issuer/index.js');
const { createMemoryLogger } = (await import(`${lib}/log/index.js`)) as typeof import('../../src/log/index.js');

const sizes = (process.env['BENCH_USERS'] ?? '1000,5000,10000,20000').split(',').map(Number);
const idleS = Number(process.env['BENCH_IDLE_S'] ?? 30);
const sighupTrials = Number(process.env['BENCH_SIGHUP_TRIALS'] ?? 50);
const oauthCount = Number(process.env['BENCH_OAUTH'] ?? 1000);
const ISSUER = 'https://localhost:8443';
const AUDIENCE = 'https://localhost';
const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ format: 'pem', type: 'sec1' })
  .toString();
const key = parseSigningKey(pem, 'local', 'bench key');
const publicKey = createPublicKey(key.privateKey);

interface Sandbox {
  readonly root: string;
  readonly credDir: string;
  readonly credmon: Credmon;
}

async function makeSandbox(clockOffsetMs = 0): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'credmon-bench-'));
  const credDir = join(root, 'creds');
  await mkdir(credDir, { mode: 0o700 });
  const knobs = new Map([
    ['SEC_CREDENTIAL_DIRECTORY_OAUTH', credDir],
    ['LOCAL_CREDMON_TOKEN_AUDIENCE', AUDIENCE],
    ['LOCAL_CREDMON_ISSUER', ISSUER],
    ['MYTOKENS_CLIENT_ID', 'bench'],
  ]);
  const config = parseCredmonConfig(lookupFrom(knobs));
  const { logger, lines } = createMemoryLogger('bench', process.env['BENCH_DEBUG'] === '1');
  if (process.env['BENCH_DEBUG']) process.on('exit', () => console.error(lines.slice(0, 20).join('')));
  const issuer = new LocalIssuer(config.local, key, logger);
  const directory = new CredentialDirectory(credDir);
  const issuers = new Map([[config.local.providerName, issuer]]);
  const credmon = new credmonModule.Credmon({
    config,
    directory,
    issuers,
    log: logger,
    now: () => Date.now() + clockOffsetMs,
  });
  return { root, credDir, credmon };
}

async function addUser(credDir: string, user: string): Promise<void> {
  await mkdir(join(credDir, user), { mode: 0o700 });
  await writeFile(join(credDir, user, 'scitokens.top'), user, { mode: 0o600 });
}

/** Reads and verifies every user's token: signature, sub, iss, aud, exp. Returns how many verified. */
function verifyAll(credDir: string, users: readonly string[]): number {
  let ok = 0;
  const nowS = Date.now() / 1000;
  for (const user of users) {
    const path = join(credDir, user, 'scitokens.use');
    if (!existsSync(path)) continue;
    const { access_token: jwt } = JSON.parse(readFileSync(path, 'utf8')) as { access_token: string };
    const [h, p, s] = jwt.split('.');
    if (!h || !p || !s) continue;
    const input = Buffer.from(`${h}.${p}`);
    const signed = verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as {
      sub?: string;
      iss?: string;
      aud?: string[];
      exp?: number;
    };
    if (
      signed &&
      claims.sub === user &&
      claims.iss === ISSUER &&
      claims.aud?.[0] === AUDIENCE &&
      (claims.exp ?? 0) > nowS
    )
      ok++;
  }
  return ok;
}

/** Resolves when `path` exists, polling between turns of the event loop. */
async function whenExists(path: string, timeoutMs = 60_000): Promise<void> {
  const started = performance.now();
  while (!existsSync(path)) {
    if (performance.now() - started > timeoutMs) throw new Error(`${path} did not appear`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface LocalFigures {
  users: number;
  issuanceS: number;
  tokensPerS: number;
  verified: number;
  lateUserMs: number;
  sighupP50Ms: number;
  sighupP99Ms: number;
  idleCpuPercent?: number;
  rssMiB?: number;
  /** The daemon's first scan when every user already holds a valid token (a restart). */
  restartScanS?: number;
}

async function benchLocal(n: number, measureIdle: boolean): Promise<LocalFigures> {
  const sb = await makeSandbox();
  try {
    await sb.credmon.start();
    const users = Array.from({ length: n }, (_, i) => `user${i}`);
    for (let i = 0; i < n; i += 500) await Promise.all(users.slice(i, i + 500).map((u) => addUser(sb.credDir, u)));
    // One SIGHUP for all of them (a burst of submits, or a restart of a busy access point); 0.3 s later one more user.
    const scanned = once(sb.credmon, 'scan.completed') as Promise<[ScanSummary]>;
    const started = performance.now();
    sb.credmon.wake();
    const late = (async () => {
      await delay(300);
      await addUser(sb.credDir, 'lateuser');
      const t = performance.now();
      sb.credmon.wake();
      await whenExists(join(sb.credDir, 'lateuser', 'scitokens.use'));
      return performance.now() - t;
    })();
    await scanned;
    const issuanceMs = performance.now() - started;
    const lateUserMs = await late;
    const verified = verifyAll(sb.credDir, users);
    await delay(200);
    const latencies: number[] = [];
    for (let i = 0; i < sighupTrials; i++) {
      await addUser(sb.credDir, `new${i}`);
      const t = performance.now();
      sb.credmon.wake();
      await whenExists(join(sb.credDir, `new${i}`, 'scitokens.use'));
      latencies.push(performance.now() - t);
      await delay(20);
    }
    const figures: LocalFigures = {
      users: n,
      issuanceS: +(issuanceMs / 1000).toFixed(3),
      tokensPerS: Math.round(verified / (issuanceMs / 1000)),
      verified,
      lateUserMs: Math.round(lateUserMs),
      sighupP50Ms: +percentile(latencies, 50).toFixed(1),
      sighupP99Ms: +percentile(latencies, 99).toFixed(1),
    };
    await sb.credmon.stop();
    if (measureIdle) Object.assign(figures, await measureIdleDaemon(sb));
    return figures;
  } finally {
    await sb.credmon.stop();
    await rm(sb.root, { recursive: true, force: true });
  }
}

/**
 * The real daemon (compiled, its own process) started on the benchmark's credential directory, where every user
 * already holds a valid token (a restart of a busy access point): after its first scan and a settling pause, its CPU
 * use over BENCH_IDLE_S and its resident memory, read from /proc.
 */
async function measureIdleDaemon(
  sb: Sandbox,
): Promise<{ idleCpuPercent: number; rssMiB: number; restartScanS: number }> {
  const keyPath = join(sb.root, 'private.pem');
  await writeFile(keyPath, pem, { mode: 0o600 });
  const daemon = await prepareCredmonProcess(sb.root, {
    SEC_CREDENTIAL_DIRECTORY_OAUTH: sb.credDir,
    LOCAL_CREDMON_PRIVATE_KEY: keyPath,
    LOCAL_CREDMON_PUBLIC_KEY: join(sb.root, 'public.pem'),
    LOCAL_CREDMON_ISSUER: ISSUER,
    LOCAL_CREDMON_TOKEN_AUDIENCE: AUDIENCE,
    MYTOKENS_CLIENT_ID: 'bench',
    CREDMON_OAUTH_LOG: join(sb.root, 'CredMonOAuthLog'),
  });
  await rm(join(sb.credDir, 'CREDMON_COMPLETE'), { force: true });
  const started = performance.now();
  const child = daemon.start();
  try {
    const pid = child.pid ?? 0;
    await whenExists(join(sb.credDir, 'CREDMON_COMPLETE'));
    const restartScanS = +((performance.now() - started) / 1000).toFixed(2);
    await delay(10_000); // signing threads end after 5 s idle
    const before = processUsage(pid);
    const t0 = performance.now();
    await delay(idleS * 1000);
    const after = processUsage(pid);
    return {
      idleCpuPercent: +(((after.cpuS - before.cpuS) / ((performance.now() - t0) / 1000)) * 100).toFixed(2),
      rssMiB: Math.round(after.rssMiB),
      restartScanS,
    };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    await daemon.dispose();
  }
}

async function startEndpoint(delayMs: number): Promise<{ url: string; stop(): void }> {
  const script = new URL('./token-endpoint-process.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(delayMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [url] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { url, stop: () => child.kill() };
}

interface OAuthFigures {
  delayMs: number;
  due: number;
  seconds: number;
  refreshed: number;
}

async function benchOAuth(count: number, delayMs: number): Promise<OAuthFigures> {
  const endpoint = await startEndpoint(delayMs);
  // The .use files say expires_in 10 s: the credmon's clock runs 60 s ahead, past the 30 s floor: every one is due.
  const sb = await makeSandbox(60_000);
  try {
    const expired = `{"access_token": "at-old", "token_type": "Bearer", "expires_in": 10, "expires_at": 1}`;
    const meta = `{"client_id": "bench", "client_secret": "bench-secret", "token_url": "${endpoint.url}", "use_refresh_token": true}`;
    for (let i = 0; i < count; i++) {
      const dir = join(sb.credDir, `oauth${i}`);
      await mkdir(dir, { mode: 0o700 });
      await writeFile(join(dir, 'mytokens.top'), `{"refresh_token": "rt-${i}", "scopes": "read:/public"}`);
      await writeFile(join(dir, 'mytokens.meta'), meta);
      await writeFile(join(dir, 'mytokens.use'), expired);
    }
    const started = performance.now();
    await sb.credmon.scanOnce();
    await sb.credmon.settle();
    const seconds = (performance.now() - started) / 1000;
    let refreshed = 0;
    for (let i = 0; i < count; i++) {
      const use = readFileSync(join(sb.credDir, `oauth${i}`, 'mytokens.use'), 'utf8');
      const top = readFileSync(join(sb.credDir, `oauth${i}`, 'mytokens.top'), 'utf8');
      if (use.includes('"at-bench-') && top.includes('"rt-bench-') && top.includes('"scopes": "read:/public"'))
        refreshed++;
    }
    return { delayMs, due: count, seconds: +seconds.toFixed(2), refreshed };
  } finally {
    await sb.credmon.stop();
    endpoint.stop();
    await rm(sb.root, { recursive: true, force: true });
  }
}

const startedAt = new Date();
const local: LocalFigures[] = [];
for (const n of sizes) {
  const figures = await benchLocal(n, n === 10_000 || sizes.length === 1);
  local.push(figures);
  console.error(`# ${n} users: ${JSON.stringify(figures)}`);
}
const oauth = [await benchOAuth(oauthCount, 0), await benchOAuth(oauthCount, 100)];

const machine = `${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, Node ${process.version}`;
console.log(`\ncredmon benchmark (in process), ${startedAt.toISOString()}, ${machine}\n`);
console.log('| users | issuance (s) | tokens/s, verified | late user → .use (ms) | SIGHUP → .use p50 / p99 (ms) |');
console.log('|---|---|---|---|---|');
console.log('| target (10,000) | | ≥ 15,000 | ≤ 1,000 | ≤ 20 / ≤ 50 |');
console.log('| Python credmon (10,000, issue 6) | 6.0-7.0 | 1,423-1,661 | 5,500-6,500 | 524-544 |');
for (const f of local) {
  console.log(
    `| ${f.users} | ${f.issuanceS} | ${f.tokensPerS} (${f.verified} verified) | ${f.lateUserMs} | ${f.sighupP50Ms} / ${f.sighupP99Ms} |`,
  );
}
for (const f of local.filter((x) => x.idleCpuPercent !== undefined)) {
  console.log(
    `\nthe credmon daemon restarted on ${f.users} users with valid tokens: first scan done after ${f.restartScanS} s;`,
  );
  console.log(
    `then idle for ${idleS} s: CPU ${f.idleCpuPercent} % (target < 0.5 %), RSS ${f.rssMiB} MiB (target ≤ 80; Python 58-59)`,
  );
}
for (const o of oauth) {
  const target = o.delayMs ? '≤ 3 s; Python 137 s' : '≤ 1 s';
  console.log(
    `OAuth: ${o.refreshed} of ${o.due} due refreshes done in ${o.seconds} s, endpoint answering in ${o.delayMs} ms (${target})`,
  );
}
await mkdir('bench-results', { recursive: true });
const file = join('bench-results', `credmon-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ date: startedAt.toISOString(), machine, local, oauth }, null, 2));
console.log(`\nJSON: ${file}`);
