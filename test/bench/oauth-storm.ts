/**
 * The OAuth half of the container benchmark (issue 20), run inside the sandbox container like container-driver.ts
 * (transpiled, node: built-ins only, as root): a real HTTPS token endpoint in the container that answers each
 * refresh after `--delay-ms` (a child process of this one, on the sandbox's own server certificate), its capacity
 * measured first by a client that needs no credmon, then N OAuth credentials all due at once and one SIGHUP: the time
 * until every `.use` holds the endpoint's new access token and every `.top` its rotated refresh token.
 *
 *   node oauth-storm.mjs storm --count 1000 --delay-ms 100 [--provider bench] [--timeout-s 600]
 *   node oauth-storm.mjs endpoint --port P --delay-ms D          (started by storm)
 *
 * The credentials are as the web app stores a login (`.top` with the refresh token, `.meta` with the token URL and
 * client, `.use` with a 10 s access token written an hour ago by its mtime, and ctime over 5 s before the SIGHUP): due
 * for both credmons (ours reads the earlier of ctime and mtime, HTCondor's Python credmon ctime + half of expires_in).
 * Prints one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const TLS = '/var/lib/credmon-sandbox/tls';
const nowMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (message: string): void => void process.stderr.write(`# oauth-storm: ${message}\n`);

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

// ---------------------------------------------------------------------------------------------------------------------
// the token endpoint

interface EndpointStats {
  requests: number;
  connections: number;
  resumedSessions: number;
  peakInFlight: number;
  firstRequestMs: number | null;
  lastAnswerMs: number | null;
}

function endpoint(port: number, delayMs: number): void {
  const stats: EndpointStats = {
    requests: 0,
    connections: 0,
    resumedSessions: 0,
    peakInFlight: 0,
    firstRequestMs: null,
    lastAnswerMs: null,
  };
  let inFlight = 0;
  const server = createServer(
    { key: readFileSync(`${TLS}/server.key`), cert: readFileSync(`${TLS}/server.crt`), keepAliveTimeout: 60_000 },
    (req, res) => {
      if (req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
        return;
      }
      if (req.url === '/reset') {
        Object.assign(stats, { requests: 0, connections: 0, resumedSessions: 0, peakInFlight: 0 });
        Object.assign(stats, { firstRequestMs: null, lastAnswerMs: null });
        res.writeHead(204).end();
        return;
      }
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const n = ++stats.requests;
        stats.firstRequestMs ??= nowMs();
        stats.peakInFlight = Math.max(stats.peakInFlight, ++inFlight);
        const refresh = new URLSearchParams(body).get('refresh_token') ?? '';
        setTimeout(() => {
          inFlight--;
          stats.lastAnswerMs = nowMs();
          const answer = {
            access_token: `at-new-${n}-${refresh}`,
            token_type: 'Bearer',
            expires_in: 3600,
            refresh_token: `rt-new-${refresh}`,
          };
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(answer));
        }, delayMs);
      });
    },
  );
  server.on('connection', () => stats.connections++);
  server.on('secureConnection', (socket) => {
    if (socket.isSessionReused()) stats.resumedSessions++;
  });
  server.listen({ host: '127.0.0.1', port, backlog: 2048 }, () => process.stdout.write('listening\n'));
}

function post(agent: Agent, url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const get = (url: string): Promise<string> => post(new Agent({ keepAlive: false }), url, '').catch(() => '');

/** What the endpoint can do alone: `count` refreshes from `concurrency` keep-alive connections. */
async function capacity(url: string, count: number, concurrency: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const started = nowMs();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await post(agent, url, `grant_type=refresh_token&refresh_token=cap-${next++}`);
    }),
  );
  agent.destroy();
  return nowMs() - started;
}

// ---------------------------------------------------------------------------------------------------------------------
// the credentials and the storm

function condorIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('condor:'));
  const fields = line?.split(':') ?? [];
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

function writeAs(path: string, content: string, gid: number, mtimeS?: number): void {
  const temp = join(path, '..', `.storm-${Date.now()}.tmp`);
  writeFileSync(temp, content, { mode: 0o600 });
  chownSync(temp, 0, gid);
  if (mtimeS !== undefined) utimesSync(temp, mtimeS, mtimeS);
  renameSync(temp, path);
}

function createCredentials(credDir: string, provider: string, tokenUrl: string, count: number): string[] {
  const { uid, gid } = condorIds();
  const hourAgoS = Date.now() / 1000 - 3600;
  const users: string[] = [];
  for (let i = 1; i <= count; i++) {
    const user = `oa${String(i).padStart(6, '0')}`;
    const dir = join(credDir, user);
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o2700);
    const meta = { client_id: 'bench', client_secret: 'bench-secret', token_url: tokenUrl, use_refresh_token: true };
    writeAs(join(dir, `${provider}.meta`), JSON.stringify(meta), gid);
    writeAs(join(dir, `${provider}.top`), JSON.stringify({ refresh_token: `rt-${user}` }), gid);
    const use = { access_token: `at-old-${user}`, token_type: 'Bearer', expires_in: 10, expires_at: hourAgoS + 10 };
    writeAs(join(dir, `${provider}.use`), JSON.stringify(use), gid, hourAgoS);
    users.push(user);
  }
  return users;
}

/**
 * When both of the user's files held what the endpoint sent (the later of their change times: a rename sets it), or
 * undefined while one of them does not yet. Timing by the files, not by when this process noticed, keeps a change
 * that only the safety sweep found (the watch can drop events in a flood) from counting late.
 */
function refreshedAtMs(credDir: string, provider: string, user: string): number | undefined {
  try {
    const usePath = join(credDir, user, `${provider}.use`);
    const topPath = join(credDir, user, `${provider}.top`);
    const use = readFileSync(usePath, 'utf8');
    const top = readFileSync(topPath, 'utf8');
    if (!(use.includes(`at-new-`) && use.includes(`rt-${user}`) && top.includes(`rt-new-rt-${user}`))) return undefined;
    return Math.max(statSync(usePath).ctimeMs, statSync(topPath).ctimeMs);
  } catch {
    return undefined;
  }
}

function credmonCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds per thread name of `pid` (main `node`, `libuv-worker`, `V8 DefaultWorke`, worker threads...). */
function threadCpuS(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const key = tid === String(pid) ? 'main' : name;
    byName.set(key, (byName.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return byName;
}

/** Each thread name's CPU seconds since `before`, and `ended threads`: what threads gone since used. */
function threadCpuSince(pid: number, before: Map<string, number>, totalS: number): Record<string, number> {
  const out: Record<string, number> = {};
  let listed = 0;
  for (const [name, s] of threadCpuS(pid)) {
    const used = Math.round((s - (before.get(name) ?? 0)) * 100) / 100;
    listed += used;
    if (used > 0) out[name] = used;
  }
  out['ended threads'] = Math.max(0, Math.round((totalS - listed) * 100) / 100);
  return out;
}

async function storm(): Promise<object> {
  const count = Number(option('count', '1000'));
  const delayMs = Number(option('delay-ms', '100'));
  const provider = option('provider', 'bench');
  const timeoutMs = Number(option('timeout-s', '600')) * 1000;
  const credDir = '/var/lib/condor/oauth_credentials';
  const port = 9443 + 1000;
  const url = `https://localhost:${port}/token`;
  const child: ChildProcess = spawn(
    process.execPath,
    [process.argv[1] ?? '', 'endpoint', '--port', String(port), '--delay-ms', String(delayMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the endpoint exited (${code})`)));
    });
    const capacityMs = await capacity(url, count, 50);
    progress(`endpoint alone: ${count} refreshes, 50 at a time, in ${Math.round(capacityMs)} ms`);
    await get(`https://localhost:${port}/reset`);
    const pid = Number(readFileSync(join(credDir, 'pid'), 'utf8').trim());
    process.kill(pid, 'SIGHUP'); // Python's loop: start its 60 s sleep now, not during the storm
    await sleep(2000);
    const users = createCredentials(credDir, provider, url, count);
    await sleep(6000); // Python renews after ctime + half of expires_in (10 s)
    const early = JSON.parse(await get(`https://localhost:${port}/stats`)) as EndpointStats;
    // Each user's directory is watched (inotify): a file renamed into place is checked at once, and this process
    // stays nearly idle; polling every file every 20 ms took a good part of a core from both credmons.
    const pending = new Set(users);
    const doneAt = new Map<string, number>();
    const check = (user: string): void => {
      const at = pending.has(user) ? refreshedAtMs(credDir, provider, user) : undefined;
      if (at !== undefined) {
        pending.delete(user);
        doneAt.set(user, at);
      }
    };
    const watchers = users.map((user) =>
      watch(join(credDir, user), (_event, file) => {
        if (file === `${provider}.use` || file === `${provider}.top`) check(user);
      }),
    );
    const ownCpuBefore = process.cpuUsage();
    const cpuBefore = credmonCpuS(pid);
    const threadsBefore = threadCpuS(pid);
    const started = nowMs();
    process.kill(pid, 'SIGHUP');
    let sweeps = 0;
    try {
      while (pending.size > 0 && nowMs() - started < timeoutMs) {
        await sleep(1000);
        // A safety net for an event the watch missed: counted, so that a late figure shows it.
        const before = pending.size;
        for (const user of [...pending]) check(user);
        sweeps += before - pending.size;
      }
    } finally {
      for (const watcher of watchers) watcher.close();
    }
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const credmonCpu = credmonCpuS(pid) - cpuBefore;
    const credmonThreadsCpuS = threadCpuSince(pid, threadsBefore, credmonCpu);
    const times = [...doneAt.values()].map((t) => t - started).sort((a, b) => a - b);
    const stats = JSON.parse(await get(`https://localhost:${port}/stats`)) as EndpointStats;
    const at = (p: number): number | null =>
      times[Math.min(times.length - 1, Math.floor((times.length * p) / 100))] ?? null;
    return {
      count,
      delayMs,
      endpointAloneMs: Math.round(capacityMs),
      refreshed: doneAt.size,
      requestsBeforeSighup: early.requests,
      firstRequestAfterMs: stats.firstRequestMs === null ? null : Math.round(stats.firstRequestMs - started),
      p50Ms: at(50),
      allMs: doneAt.size === users.length ? Math.round(times[times.length - 1] ?? 0) : null,
      endpoint: stats,
      credmonCpuS: Math.round(credmonCpu * 100) / 100,
      credmonThreadsCpuS,
      watcherCpuS: Math.round((ownCpu.user + ownCpu.system) / 1e4) / 100,
      foundBySweep: sweeps,
    };
  } finally {
    child.kill();
  }
}

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'endpoint') return endpoint(Number(option('port', '10443')), Number(option('delay-ms', '100')));
  if (command !== 'storm') throw new Error(`unknown command ${command ?? ''}: storm or endpoint`);
  process.stdout.write(`${JSON.stringify(await storm())}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`oauth-storm: ERROR: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
