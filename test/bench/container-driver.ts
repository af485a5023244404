/**
 * The in-container half of test/bench/container.bench.ts. The harness transpiles this file (it imports only node:
 * built-ins), copies it into the running sandbox container and runs it there as root with the image's own Node, so
 * every figure is taken next to the credmon with millisecond precision and no `docker exec` in the timed path.
 * It measures whichever credmon the container runs (the pid in <cred dir>/pid), ours or HTCondor's Python one.
 *
 *   node driver.js info
 *   node driver.js issue  --users N [--late-after-ms 300] [--timeout-s S]
 *   node driver.js sighup --trials 50
 *   node driver.js idle   --seconds 60
 *   node driver.js submit
 *
 * Each command prints one JSON object on stdout (progress goes to stderr). A token counts only when its ES256
 * signature verifies against the issuer's published JWKS and its sub, iss, aud and exp are right.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const TLS_CA = '/var/lib/credmon-sandbox/tls/ca.crt';
const CREDMON_LOG = '/var/log/condor/CredMonOAuthLog';

interface Settings {
  readonly credDir: string;
  readonly provider: string;
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly lifetimeS: number;
  readonly publicKeyPath: string;
  readonly creddPollingTimeoutS: number;
}

// ---------------------------------------------------------------------------------------------------------------------
// small helpers

const nowMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (message: string): void => void process.stderr.write(`# driver: ${message}\n`);

function args(): { command: string; options: Map<string, string> } {
  const [command = 'info', ...rest] = process.argv.slice(2);
  const options = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i] ?? '';
    if (!key.startsWith('--') || rest[i + 1] === undefined) throw new Error(`bad argument ${JSON.stringify(key)}`);
    options.set(key.slice(2), rest[i + 1] ?? '');
  }
  return { command, options };
}

function numberOption(options: Map<string, string>, name: string, fallback: number): number {
  const raw = options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, not ${raw}`);
  return value;
}

/** One HTCondor knob as the credmon sees it, or undefined when it is not set. */
function knob(name: string): string | undefined {
  try {
    return execFileSync('condor_config_val', ['-subsystem', 'CREDMON_OAUTH', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function readSettings(): Settings {
  const issuer = knob('LOCAL_CREDMON_ISSUER');
  const audience = knob('LOCAL_CREDMON_TOKEN_AUDIENCE');
  if (!issuer || !audience) throw new Error('LOCAL_CREDMON_ISSUER and LOCAL_CREDMON_TOKEN_AUDIENCE must be set');
  return {
    credDir: knob('SEC_CREDENTIAL_DIRECTORY_OAUTH') ?? '/var/lib/condor/oauth_credentials',
    provider: knob('LOCAL_CREDMON_PROVIDER_NAME') ?? 'scitokens',
    issuer,
    audience: audience.split(/\s+/).filter(Boolean),
    lifetimeS: Number(knob('LOCAL_CREDMON_TOKEN_LIFETIME') ?? 1200),
    publicKeyPath: knob('LOCAL_CREDMON_PUBLIC_KEY') ?? '/etc/condor/scitokens.pem',
    creddPollingTimeoutS: Number(knob('CREDD_POLLING_TIMEOUT') ?? 20),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? NaN;
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

// ---------------------------------------------------------------------------------------------------------------------
// the credmon process tree: pid from <cred dir>/pid plus its descendants (the Python credmon scans in a child process)

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly ticks: number;
  /** Of `ticks`, those spent in the kernel (stime): file system work, mostly. */
  readonly systemTicks: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the command: state(3) ppid(4) ... utime(14) stime(15), so index = field number - 3.
    const systemTicks = Number(fields[12]);
    return { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + systemTicks, systemTicks };
  } catch {
    return undefined;
  }
}

function credmonPid(settings: Settings): number {
  const pid = Number(readFileSync(join(settings.credDir, 'pid'), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no credmon pid in ${settings.credDir}/pid`);
  return pid;
}

function processTree(root: number): ProcStat[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcStat(Number(name)))
    .filter((s): s is ProcStat => s !== undefined);
  const tree: ProcStat[] = [];
  const wanted = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of all) {
      if (!wanted.has(s.pid) && wanted.has(s.ppid)) {
        wanted.add(s.pid);
        grew = true;
      }
    }
  }
  for (const s of all) if (wanted.has(s.pid)) tree.push(s);
  return tree;
}

const treeTicks = (root: number): number => processTree(root).reduce((sum, s) => sum + s.ticks, 0);
const treeSystemTicks = (root: number): number => processTree(root).reduce((sum, s) => sum + s.systemTicks, 0);

/** A line of /proc/<pid>/status in KiB (VmRSS; RssAnon, private memory; RssFile, mapped files such as libnode). */
function statusKiB(pid: number, field: 'VmRSS' | 'RssAnon' | 'RssFile'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const rssKiB = (pid: number): number => statusKiB(pid, 'VmRSS');

/** Proportional set size: shared pages split among the processes that map them (fair for a multi-process credmon). */
function pssKiB(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The host's load average (the container sees the host's /proc/loadavg): other work on the machine skews figures. */
function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '';
  }
}

function logTail(lines: number): string[] {
  try {
    return readFileSync(CREDMON_LOG, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

let clockTicksPerS: number | undefined;
function ticksPerS(): number {
  clockTicksPerS ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return clockTicksPerS;
}

/**
 * Clock ticks per 300 ms below which the credmon is idle: 1, or `--idle-ticks N` (a credmon under the V8 profiler,
 * whose sampling thread is never idle).
 */
let idleTicks = 1;

/** Waits until the credmon (all its processes) used at most `idleTicks` in a 300 ms window: it is idle. */
async function waitIdle(root: number, timeoutMs = 600_000): Promise<number> {
  const started = nowMs();
  for (;;) {
    const before = treeTicks(root);
    await sleep(300);
    if (treeTicks(root) - before <= idleTicks) return nowMs() - started;
    if (nowMs() - started > timeoutMs) throw new Error(`the credmon did not go idle within ${timeoutMs} ms`);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// credential files, as the credd's LOCAL store writes them (checked on 23.9.6): <user>/ condor:condor 02700,
// <user>/<provider>.top root:condor 0600 holding the bare user name, no newline

let condorIds: { uid: number; gid: number } | undefined;
function condor(): { uid: number; gid: number } {
  if (!condorIds) {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('condor:'));
    const fields = line?.split(':') ?? [];
    condorIds = { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  return condorIds;
}

function createLocalRequest(settings: Settings, user: string): void {
  const dir = join(settings.credDir, user);
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, condor().uid, condor().gid);
  chmodSync(dir, 0o2700);
  const temp = join(dir, `.bench-${settings.provider}.top`);
  writeFileSync(temp, user, { mode: 0o600 });
  chownSync(temp, 0, condor().gid);
  renameSync(temp, join(dir, `${settings.provider}.top`));
}

const usePath = (settings: Settings, user: string): string => join(settings.credDir, user, `${settings.provider}.use`);

/** The access token in a .use file: HTCondor's JSON form or a bare token line. */
function accessTokenIn(content: string): string {
  const text = content.trim();
  if (!text.startsWith('{')) return text.split('\n')[0] ?? '';
  const parsed = JSON.parse(text) as { access_token?: unknown };
  if (typeof parsed.access_token !== 'string') throw new Error('no access_token');
  return parsed.access_token;
}

// ---------------------------------------------------------------------------------------------------------------------
// verification against the issuer's published keys

function httpsJson(url: string, ca: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 10_000, headers: { accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

interface Verifier {
  readonly kids: readonly string[];
  readonly publicKeyFileMatches: boolean;
  /** undefined when the token is valid for `user`, else why not. */
  check(token: string, user: string): string | undefined;
}

async function loadVerifier(settings: Settings): Promise<Verifier> {
  const ca = readFileSync(TLS_CA, 'utf8');
  let lastError: unknown;
  let jwks: { keys?: (JsonWebKey & { kid?: string })[] } | undefined;
  for (let attempt = 0; attempt < 30 && !jwks; attempt++) {
    try {
      const discovery = (await httpsJson(`${settings.issuer}/.well-known/openid-configuration`, ca)) as {
        jwks_uri?: string;
      };
      if (typeof discovery.jwks_uri !== 'string') throw new Error('no jwks_uri in the discovery document');
      jwks = (await httpsJson(discovery.jwks_uri, ca)) as typeof jwks;
    } catch (error) {
      lastError = error;
      await sleep(1000);
    }
  }
  if (!jwks?.keys?.length) throw new Error(`cannot read the issuer's JWKS: ${String(lastError)}`);
  const keys = new Map<string, KeyObject>();
  for (const jwk of jwks.keys) keys.set(jwk.kid ?? '', createPublicKey({ key: jwk, format: 'jwk' }));
  const filePem = createPublicKey(readFileSync(settings.publicKeyPath, 'utf8')).export({ type: 'spki', format: 'pem' });
  const publicKeyFileMatches = [...keys.values()].some((k) => k.export({ type: 'spki', format: 'pem' }) === filePem);
  return {
    kids: [...keys.keys()],
    publicKeyFileMatches,
    check(token, user) {
      const [h = '', p = '', s = ''] = token.split('.');
      let header: { alg?: unknown; kid?: unknown };
      let claims: { sub?: unknown; iss?: unknown; aud?: unknown; exp?: unknown; iat?: unknown };
      try {
        header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
        claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
      } catch {
        return 'not a JWT';
      }
      if (header.alg !== 'ES256') return `alg ${String(header.alg)}`;
      const key = keys.get(typeof header.kid === 'string' ? header.kid : '');
      if (!key) return `kid ${String(header.kid)} not in the JWKS`;
      const signature = Buffer.from(s, 'base64url');
      if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, signature))
        return 'bad signature';
      if (claims.sub !== user) return `sub ${String(claims.sub)}`;
      if (claims.iss !== settings.issuer) return `iss ${String(claims.iss)}`;
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (settings.audience.some((a) => !aud.includes(a))) return `aud ${JSON.stringify(claims.aud)}`;
      if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) return `exp ${String(claims.exp)}`;
      if (typeof claims.iat === 'number' && Math.abs(claims.exp - claims.iat - settings.lifetimeS) > 1) {
        return `lifetime ${claims.exp - claims.iat} s, expected ${settings.lifetimeS}`;
      }
      return undefined;
    },
  };
}

/** Reads, parses and verifies the .use of each user. */
function verifyUsers(
  settings: Settings,
  verifier: Verifier,
  users: readonly string[],
): { verified: number; failures: string[] } {
  let verified = 0;
  const failures: string[] = [];
  for (const user of users) {
    let why: string | undefined;
    try {
      why = verifier.check(accessTokenIn(readFileSync(usePath(settings, user), 'utf8')), user);
    } catch (error) {
      why = (error as Error).message;
    }
    if (why === undefined) verified++;
    else if (failures.length < 5) failures.push(`${user}: ${why}`);
  }
  return { verified, failures };
}

// ---------------------------------------------------------------------------------------------------------------------
// commands

async function info(settings: Settings): Promise<object> {
  const pid = credmonPid(settings);
  const verifier = await loadVerifier(settings);
  let logHead: string[] = [];
  try {
    logHead = readFileSync(CREDMON_LOG, 'utf8').split('\n').slice(0, 3);
  } catch {
    logHead = [`(no ${CREDMON_LOG})`];
  }
  return {
    credmonPid: pid,
    processes: processTree(pid).map((s) => ({ pid: s.pid, command: commandLine(s.pid) })),
    settings,
    jwksKids: verifier.kids,
    publicKeyFileMatchesJwks: verifier.publicKeyFileMatches,
    logHead,
  };
}

async function issue(settings: Settings, users: number, lateAfterMs: number, timeoutS: number): Promise<object> {
  const pid = credmonPid(settings);
  const verifier = await loadVerifier(settings);
  await waitIdle(pid);
  // One SIGHUP with nothing to do first: restarts the Python credmon's 60 s sleep, so its periodic scan cannot start
  // while the users are being created.
  process.kill(pid, 'SIGHUP');
  await sleep(300);
  await waitIdle(pid);

  const names = Array.from({ length: users }, (_, i) => `bu${String(i + 1).padStart(6, '0')}`);
  let started = nowMs();
  for (const user of names) createLocalRequest(settings, user);
  const setupMs = nowMs() - started;
  const preIssued = names.filter((u) => existsSync(usePath(settings, u))).length;
  progress(`${users} users created in ${setupMs.toFixed(0)} ms; SIGHUP to ${pid}`);

  const loadAverageBefore = loadAverage();
  const ticksBefore = treeTicks(pid);
  const systemTicksBefore = treeSystemTicks(pid);
  const cpuBefore = process.cpuUsage();
  const deadline = nowMs() + timeoutS * 1000;
  started = nowMs();
  process.kill(pid, 'SIGHUP');

  // The late user: 0.3 s into the issuance one more condor_submit (the credd writes .top, sends SIGHUP, polls).
  const lateUser = 'late000001';
  const late = (async () => {
    await sleep(Math.max(0, started + lateAfterMs - nowMs()));
    createLocalRequest(settings, lateUser);
    const hupAt = nowMs();
    process.kill(pid, 'SIGHUP');
    while (!existsSync(usePath(settings, lateUser))) {
      if (nowMs() > deadline) return { sighupAfterMs: hupAt - started, useAfterMs: null };
      await sleep(2);
    }
    return { sighupAfterMs: round(hupAt - started), useAfterMs: round(nowMs() - hupAt) };
  })();

  // Everyone else: poll the users still pending, more often as fewer remain. One existsSync costs about 4 µs, so a
  // pause of pending/10 ms keeps the driver near 4 % of one core (at 100 ms it took 40 % at 10k users) and the last
  // few users are polled every 5 ms; the newest .use ctime (issuanceMsByCtime) cross-checks the figure.
  let pending = names;
  let lastProgress = nowMs();
  while (pending.length > 0 && nowMs() < deadline) {
    pending = pending.filter((u) => !existsSync(usePath(settings, u)));
    if (pending.length === 0) break;
    if (nowMs() - lastProgress > 10_000) {
      progress(`${users - pending.length}/${users} .use after ${((nowMs() - started) / 1000).toFixed(1)} s`);
      lastProgress = nowMs();
    }
    await sleep(Math.min(1000, Math.max(5, pending.length / 10)));
  }
  const doneMs = nowMs() - started;
  const lateResult = await late;
  const cpu = process.cpuUsage(cpuBefore);
  const credmonCpuS = (treeTicks(pid) - ticksBefore) / ticksPerS();
  const credmonSystemCpuS = (treeSystemTicks(pid) - systemTicksBefore) / ticksPerS();

  // Cross-check from the files themselves: the newest .use change time (rename sets it), relative to the SIGHUP.
  let newestChangeMs = 0;
  for (const user of names) {
    try {
      newestChangeMs = Math.max(
        newestChangeMs,
        Number(statSync(usePath(settings, user), { bigint: true }).ctimeNs) / 1e6,
      );
    } catch {
      // counted as missing below
    }
  }
  const { verified, failures } = verifyUsers(settings, verifier, names);
  const lateCheck = verifyUsers(settings, verifier, [lateUser]);
  const sample = statSync(usePath(settings, names[0] ?? lateUser));
  const issuanceMs = pending.length === 0 ? doneMs : null;
  return {
    users,
    loadAverageBefore,
    loadAverageAfter: loadAverage(),
    setupMs: round(setupMs),
    preIssued,
    complete: pending.length === 0,
    missing: pending.length,
    issuanceMs: issuanceMs === null ? null : round(issuanceMs),
    issuanceMsByCtime: newestChangeMs > 0 ? round(newestChangeMs - started) : null,
    verified,
    verificationFailures: failures,
    verifiedTokensPerS: issuanceMs === null ? null : round((verified / issuanceMs) * 1000),
    late: {
      ...lateResult,
      verified: lateCheck.verified === 1,
      creddPollingTimeoutS: settings.creddPollingTimeoutS,
      creddWouldTimeOut: lateResult.useAfterMs === null || lateResult.useAfterMs > settings.creddPollingTimeoutS * 1000,
    },
    credmonCpuS: round(credmonCpuS, 2),
    credmonSystemCpuS: round(credmonSystemCpuS, 2),
    credmonCoresUsed: issuanceMs === null ? null : round(credmonCpuS / (issuanceMs / 1000), 2),
    driverCpuS: round((cpu.user + cpu.system) / 1e6, 2),
    useFile: { mode: (sample.mode & 0o7777).toString(8), uid: sample.uid, gid: sample.gid },
    credmonLogTail: logTail(2),
  };
}

async function sighup(settings: Settings, trials: number): Promise<object> {
  const pid = credmonPid(settings);
  const verifier = await loadVerifier(settings);
  const present = readdirSync(settings.credDir).filter((n) => existsSync(usePath(settings, n))).length;
  const samples: number[] = [];
  const byCtime: number[] = [];
  const failures: string[] = [];
  let verified = 0;
  for (let i = 1; i <= trials; i++) {
    await waitIdle(pid);
    const user = `lat${String(i).padStart(6, '0')}`;
    createLocalRequest(settings, user);
    const started = nowMs();
    process.kill(pid, 'SIGHUP');
    const deadline = started + 60_000;
    while (!existsSync(usePath(settings, user)) && nowMs() < deadline) await sleep(1);
    const elapsed = nowMs() - started;
    if (!existsSync(usePath(settings, user))) {
      failures.push(`${user}: no .use after 60 s`);
      continue;
    }
    samples.push(elapsed);
    byCtime.push(Number(statSync(usePath(settings, user), { bigint: true }).ctimeNs) / 1e6 - started);
    const check = verifyUsers(settings, verifier, [user]);
    verified += check.verified;
    failures.push(...check.failures);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const sortedCtime = [...byCtime].sort((a, b) => a - b);
  return {
    usersPresent: present,
    loadAverage: loadAverage(),
    trials,
    verified,
    failures: failures.slice(0, 5),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
    minMs: round(sorted[0] ?? NaN),
    p50MsByCtime: round(percentile(sortedCtime, 50)),
    p99MsByCtime: round(percentile(sortedCtime, 99)),
    samplesMs: samples.map((s) => round(s)),
  };
}

async function idle(settings: Settings, seconds: number): Promise<object> {
  const pid = credmonPid(settings);
  const present = readdirSync(settings.credDir).filter((n) => existsSync(usePath(settings, n))).length;
  const ticksBefore = treeTicks(pid);
  const started = nowMs();
  let peakRssKiB = 0;
  while (nowMs() - started < seconds * 1000) {
    peakRssKiB = Math.max(
      peakRssKiB,
      processTree(pid).reduce((sum, s) => sum + rssKiB(s.pid), 0),
    );
    await sleep(Math.min(1000, started + seconds * 1000 - nowMs()));
  }
  const elapsedS = (nowMs() - started) / 1000;
  const cpuS = (treeTicks(pid) - ticksBefore) / ticksPerS();
  const processes = processTree(pid).map((s) => ({
    pid: s.pid,
    command: commandLine(s.pid),
    rssKiB: rssKiB(s.pid),
    rssAnonKiB: statusKiB(s.pid, 'RssAnon'),
    rssFileKiB: statusKiB(s.pid, 'RssFile'),
    pssKiB: pssKiB(s.pid),
  }));
  const largest = processes.reduce((a, b) => (b.rssKiB > a.rssKiB ? b : a));
  return {
    usersPresent: present,
    loadAverage: loadAverage(),
    seconds: round(elapsedS),
    cpuPercentOfOneCore: round((cpuS / elapsedS) * 100, 2),
    cpuS: round(cpuS, 2),
    rssMiB: round(processes.reduce((sum, p) => sum + p.rssKiB, 0) / 1024),
    pssMiB: round(processes.reduce((sum, p) => sum + p.pssKiB, 0) / 1024),
    largestProcessRssMiB: round(largest.rssKiB / 1024),
    largestProcessAnonMiB: round(largest.rssAnonKiB / 1024),
    largestProcessFileMiB: round(largest.rssFileKiB / 1024),
    peakRssMiB: round(peakRssKiB / 1024),
    processes,
  };
}

async function submit(settings: Settings): Promise<object> {
  const verifier = await loadVerifier(settings);
  const asSubmitter = (script: string): string =>
    execFileSync('su', ['-l', 'submitter', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  asSubmitter('rm -f test.out test.err test.log');
  const started = nowMs();
  asSubmitter('condor_submit test.sub');
  const submittedMs = nowMs() - started;
  asSubmitter('condor_wait -wait 120 test.log');
  const doneMs = nowMs() - started;
  const out = asSubmitter('cat test.out');
  const part = out.split(/^==> .*scitokens\.use <==$/m)[1] ?? '';
  const why = part
    ? verifier.check(accessTokenIn(part.split(/^==> /m)[0] ?? ''), 'submitter')
    : 'no scitokens.use in test.out';
  return {
    loadAverage: loadAverage(),
    submitMs: round(submittedMs),
    submitToDoneMs: round(doneMs),
    tokenVerified: why === undefined,
    problem: why ?? null,
  };
}

async function main(): Promise<void> {
  const { command, options } = args();
  idleTicks = numberOption(options, 'idle-ticks', 1);
  const settings = readSettings();
  let result: object;
  switch (command) {
    case 'info':
      result = await info(settings);
      break;
    case 'issue':
      result = await issue(
        settings,
        numberOption(options, 'users', 1000),
        numberOption(options, 'late-after-ms', 300),
        numberOption(options, 'timeout-s', 900),
      );
      break;
    case 'sighup':
      result = await sighup(settings, numberOption(options, 'trials', 50));
      break;
    case 'idle':
      result = await idle(settings, numberOption(options, 'seconds', 60));
      break;
    case 'submit':
      result = await submit(settings);
      break;
    default:
      throw new Error(`unknown command ${command}: use info, issue, sighup, idle or submit`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`driver: ERROR: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
