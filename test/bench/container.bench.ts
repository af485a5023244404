/**
 * Benchmark, the container half of issue 6: our credmon and HTCondor's own Python credmon, each in the sandbox's own
 * container, side by side in one run. It measures whichever credmon the images run, so after a change to src/ it is
 * enough to rebuild the images (--build) and run it again. Prints a table and writes
 * bench-results/container-<date>.json. Asserts nothing; every token it counts is verified.
 *
 *   PYTHON_SCITOKENS_DIR=/path/to/scitokens/src \
 *   node --import tsx test/bench/container.bench.ts --credmon both --users 1000,5000,10000,20000
 *
 * Options: --credmon both, or a list of ours, ours-nometrics (metrics listeners off), python (both = ours,python)
 *          --oauth 1000 --oauth-delay-ms 100 (a storm of due OAuth refreshes over HTTPS; 0 = none, the default)
 *          --cpu-profile DIR (our credmon under node --cpu-prof; its profiles and their summaries in DIR)
 *          --users 1000,10000   --trials 50 (SIGHUP→.use samples per N)
 *          --idle-s 60   --startup-runs 3 (compose up + first submit; 0 = skip)   --build (build both images first)
 * Images: credmon-sandbox:pybench (docker/Dockerfile) and credmon-sandbox:pybench-python
 *         (docker/bench/python-credmon.Dockerfile), or BENCH_IMAGE_OURS / BENCH_IMAGE_PYTHON.
 * The Python credmon needs the scitokens library, which Debian lacks: PYTHON_SCITOKENS_DIR is the src/ directory of a
 * checkout of github.com/scitokens/scitokens, bind-mounted read-only (see docs/bench/README.md).
 *
 * Each measurement runs in a fresh compose project (own name, own volumes, ports on 127.0.0.1) that is removed
 * afterwards, started by the container tests' own helper (test/helpers/sandbox.ts, upSandbox);
 * test/bench/container-driver.ts runs inside the container and takes the figures there.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { extraCaCerts } from '../helpers/image.js';
import { ROOT } from '../helpers/root.js';
import { collectCpuProfiles, cpuProfileConfig } from './credmon-profile.js';
import { upSandbox, type SandboxHandle } from '../helpers/sandbox.js';

/** `ours-nometrics`: our credmon with its and the web app's metrics listeners off (they are on in the sandbox). */
type CredmonKind = 'ours' | 'ours-nometrics' | 'python';
const KINDS: readonly CredmonKind[] = ['ours', 'ours-nometrics', 'python'];

/** Issue 6's targets, printed beside the figures. */
const TARGETS = {
  issuancePerS: '≥ 15,000 tokens/s at 10k',
  lateUseMs: '≤ 1 s (credd gives up at 20 s)',
  sighupP50Ms: '≤ 20 ms at 10k',
  sighupP99Ms: '≤ 50 ms at 10k',
  idleCpuPercent: '< 0.5 %',
  idleRssMiB: '≤ 80 MB at 10k',
  healthyS: '≤ 8 s',
  submitToDoneS: '≤ 6 s',
  oauthS: '≤ 3 s (1,000 at 100 ms)',
} as const;

interface Options {
  readonly credmons: readonly CredmonKind[];
  readonly users: readonly number[];
  readonly trials: number;
  readonly idleS: number;
  readonly startupRuns: number;
  readonly build: boolean;
  /** Due OAuth refreshes in one storm against an HTTPS endpoint in the container (0: none), and its answer delay. */
  readonly oauth: number;
  readonly oauthDelayMs: number;
  /** Where our credmon's V8 CPU profiles go (credmon-profile.ts), or undefined: no profiler. */
  readonly cpuProfile: string | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const count = (name: string, fallback: number): number => {
    const raw = value(name);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not ${raw}`);
    return n;
  };
  const credmon = value('credmon') ?? 'both';
  const listed = credmon === 'both' ? ['ours', 'python'] : credmon.split(',');
  if (!listed.every((k) => (KINDS as readonly string[]).includes(k)))
    throw new Error(`--credmon must be both or a list of ${KINDS.join(', ')}, not ${credmon}`);
  const users = (value('users') ?? '1000,10000').split(',').map(Number);
  if (users.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--users must list whole numbers, like 1000,10000`);
  return {
    credmons: listed as CredmonKind[],
    users,
    trials: count('trials', 50),
    idleS: count('idle-s', 60),
    startupRuns: count('startup-runs', 3),
    build: argv.includes('--build'),
    oauth: count('oauth', 0),
    oauthDelayMs: count('oauth-delay-ms', 100),
    cpuProfile: value('cpu-profile'),
  };
}

const IMAGES: Record<CredmonKind, string> = {
  ours: process.env['BENCH_IMAGE_OURS'] ?? 'credmon-sandbox:pybench',
  'ours-nometrics': process.env['BENCH_IMAGE_OURS'] ?? 'credmon-sandbox:pybench',
  python: process.env['BENCH_IMAGE_PYTHON'] ?? 'credmon-sandbox:pybench-python',
};

// ---------------------------------------------------------------------------------------------------------------------
// processes

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  echoStderr = false,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (echoStderr) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function runOk(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await run(command, args, env);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------------------------------
// images

async function buildImages(credmons: readonly CredmonKind[]): Promise<void> {
  // The legacy builder: this machine's Docker has no buildx, and the images need nothing BuildKit adds.
  const env = { DOCKER_BUILDKIT: '0' };
  const started = Date.now();
  await runOk(
    'docker',
    [
      'build',
      '-q',
      '-f',
      'docker/Dockerfile',
      '-t',
      IMAGES.ours,
      '--build-arg',
      `EXTRA_CA_CERTS=${extraCaCerts()}`,
      '.',
    ],
    env,
  );
  console.log(`# built ${IMAGES.ours} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (credmons.includes('python')) {
    const file = 'docker/bench/python-credmon.Dockerfile';
    await runOk(
      'docker',
      ['build', '-q', '-f', file, '-t', IMAGES.python, '--build-arg', `SANDBOX_IMAGE=${IMAGES.ours}`, '.'],
      env,
    );
    console.log(`# built ${IMAGES.python}`);
  }
}

async function imageId(image: string): Promise<{ id: string; created: string }> {
  const result = await run('docker', ['image', 'inspect', '--format', '{{.Id}} {{.Created}}', image]);
  if (result.code !== 0) {
    throw new Error(
      `image ${image} not found: build it with --build, or see docs/bench/README.md for the docker build commands`,
    );
  }
  const [id = '', created = ''] = result.stdout.trim().split(' ');
  return { id, created };
}

/** The src/ directory of a scitokens checkout, checked, or a clear error saying how to get one. */
function scitokensDir(): { dir: string; version: string } {
  const dir = process.env['PYTHON_SCITOKENS_DIR'];
  const init = dir ? join(dir, 'scitokens', '__init__.py') : '';
  if (!dir || !existsSync(init)) {
    throw new Error(
      'the Python credmon needs the scitokens library (Debian has no python3-scitokens): set PYTHON_SCITOKENS_DIR to the ' +
        'src/ directory of a checkout of github.com/scitokens/scitokens (it must contain scitokens/__init__.py); ' +
        'see docs/bench/README.md',
    );
  }
  return { dir, version: /__version__ = "([^"]+)"/.exec(readFileSync(init, 'utf8'))?.[1] ?? 'unknown' };
}

/** An in-container script as one JavaScript file (it imports only node: built-ins), for the container's own Node. */
function transpileDriver(script = 'container-driver.ts'): string {
  const source = readFileSync(join(ROOT, 'test/bench', script), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  const dir = mkdtempSync(join(tmpdir(), 'credmon-bench-'));
  const file = join(dir, 'driver.mjs');
  writeFileSync(file, outputText);
  return file;
}

// ---------------------------------------------------------------------------------------------------------------------
// one sandbox, through compose.yaml (plus the Python override), with its own project name and ports

interface Sandbox extends AsyncDisposable {
  readonly project: string;
  readonly container: string;
  /** Seconds from `compose up` to every service healthy (Docker runs the healthchecks every 5 s). */
  readonly healthyS: number;
  /** When the image's healthcheck script first passed (probed every 0.5 s): Docker runs it only every 5 s. */
  readonly readyS: number | null;
  driver(args: readonly string[]): Promise<Record<string, unknown>>;
  /** Runs oauth-storm.ts in the container (`storm --count N --delay-ms D`). */
  storm(args: readonly string[]): Promise<Record<string, unknown>>;
  /** Removes the compose project and everything it made. */
  [Symbol.asyncDispose](): Promise<void>;
}

const live = new Set<Sandbox>();
let driverFile = '';
let stormFile = '';

/** Runs the image's healthcheck in `name` every 0.5 s from `started` on: seconds until it first passed, or null. */
async function probeReady(name: string, started: number, upDone: () => boolean): Promise<number | null> {
  while (!upDone() || Date.now() - started < 120_000) {
    const check = await run('docker', ['exec', name, '/usr/local/libexec/credmon-sandbox/healthcheck']);
    if (check.code === 0) return (Date.now() - started) / 1000;
    if (upDone() && check.stderr.includes('No such container')) return null;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return null;
}

let cpuProfileDir: string | undefined;
const profiled = (kind: CredmonKind): boolean => cpuProfileDir !== undefined && kind !== 'python';

/** Takes the credmon's CPU profiles (it is restarted by the master) and prints where its main thread's time went. */
async function profileOf(sandbox: Sandbox, label: string): Promise<void> {
  const summaries = await collectCpuProfiles(sandbox.container, cpuProfileDir ?? '', label);
  for (const [thread, summary] of Object.entries(summaries))
    console.log(`# ${label}, CPU profile of thread ${thread}: ${JSON.stringify(summary)}`);
}

/** After the sandbox's own settings: no metrics listener in the credmon or the web app. */
const METRICS_OFF = 'CREDMON_OAUTH_METRICS_ADDRESS =\nCREDMON_WEB_METRICS_ADDRESS =';

/** The test helpers' sandbox (test/helpers/sandbox.ts) of the bench's image, with the driver copied in. */
async function startSandbox(kind: CredmonKind, condorConfig?: string): Promise<Sandbox> {
  const python = kind === 'python';
  const settings = {
    image: IMAGES[kind],
    files: ['compose.yaml', ...(python ? ['docker/bench/compose.python.yaml'] : [])],
    namePrefix: `cmbench-${kind}`,
    env: {
      SANDBOX_BIND_ADDRESS: '127.0.0.1',
      ...(python ? { PYTHON_SCITOKENS_DIR: scitokensDir().dir } : {}),
      CONDOR_EXTRA_CONFIG: [
        kind === 'ours-nometrics' ? METRICS_OFF : '',
        profiled(kind) ? cpuProfileConfig() : '',
        condorConfig ?? '',
      ].join('\n'),
    },
  };
  let upDone = false;
  let ready: Promise<number | null> = Promise.resolve(null);
  const startProbe = (project: string): Promise<void> => {
    ready = probeReady(`${project}-sandbox-1`, Date.now(), () => upDone);
    return Promise.resolve();
  };
  let handle: SandboxHandle;
  try {
    handle = await upSandbox(settings, { beforeUp: startProbe });
  } finally {
    upDone = true;
  }
  const readyS = await ready;
  const project = handle.projectName;
  const container = handle.container.getId();
  try {
    await runOk('docker', ['cp', driverFile, `${container}:/tmp/credmon-bench-driver.mjs`]);
    await runOk('docker', ['cp', stormFile, `${container}:/tmp/credmon-bench-oauth-storm.mjs`]);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  const sandbox: Sandbox = {
    project,
    container,
    healthyS: handle.healthyAfterS,
    readyS,
    driver: (args) =>
      runInContainer(container, project, '/tmp/credmon-bench-driver.mjs', [
        ...args,
        ...(profiled(kind) ? ['--idle-ticks', '8'] : []),
      ]),
    storm: (args) => runInContainer(container, project, '/tmp/credmon-bench-oauth-storm.mjs', args),
    async [Symbol.asyncDispose]() {
      live.delete(sandbox);
      await handle.stop();
    },
  };
  live.add(sandbox);
  return sandbox;
}

/** Runs an in-container script with the container's Node; its one JSON line is the answer. */
async function runInContainer(
  container: string,
  project: string,
  script: string,
  args: readonly string[],
): Promise<Record<string, unknown>> {
  const result = await run('docker', ['exec', container, 'node', script, ...args], {}, true);
  if (result.code !== 0) throw new Error(`${script} ${args.join(' ')} failed in ${project}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Fails loudly when the container does not run the credmon it is meant to. */
function checkCredmon(kind: CredmonKind, info: Record<string, unknown>): void {
  const commands = ((info['processes'] ?? []) as { command: string }[]).map((p) => p.command).join(' | ');
  const ok =
    kind === 'python'
      ? commands.includes('condor_credmon_oauth')
      : commands.includes('/opt/credmon-sandbox/dist/bin/credmon.js');
  if (!ok) throw new Error(`the ${kind} sandbox runs another credmon: ${commands}`);
  if (info['publicKeyFileMatchesJwks'] !== true)
    throw new Error(`the ${kind} sandbox's JWKS does not publish LOCAL_CREDMON_PUBLIC_KEY`);
}

// ---------------------------------------------------------------------------------------------------------------------
// the run

interface StartupRun {
  healthyS: number;
  readyS: number | null;
  submit: Record<string, unknown>;
}

interface PerUsers {
  info?: Record<string, unknown>;
  healthyS?: number;
  readyS?: number | null;
  issue?: Record<string, unknown>;
  sighup?: Record<string, unknown>;
  idle?: Record<string, unknown>;
  error?: string;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // The commit whose driver and harness this run uses (taken now: the tree may change while a long run goes on).
  const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'])).stdout.trim() !== '';
  const gitCommit = `${(await run('git', ['rev-parse', 'HEAD'])).stdout.trim()}${dirty ? '+uncommitted changes' : ''}`;
  if (options.credmons.includes('python')) scitokensDir();
  cpuProfileDir = options.cpuProfile;
  if (options.build) await buildImages(options.credmons);
  const images: Record<string, { image: string; id: string; created: string }> = {};
  for (const kind of options.credmons) images[kind] = { image: IMAGES[kind], ...(await imageId(IMAGES[kind])) };
  driverFile = transpileDriver();
  stormFile = transpileDriver('oauth-storm.ts');

  const startup: Record<string, StartupRun[]> = {};
  const credmonInfo: Record<string, Record<string, unknown>> = {};
  for (const kind of options.credmons) {
    startup[kind] = [];
    for (let r = 1; r <= options.startupRuns; r++) {
      await using sandbox = await startSandbox(kind);
      if (r === 1) {
        credmonInfo[kind] = await sandbox.driver(['info']);
        checkCredmon(kind, credmonInfo[kind]);
      }
      const submit = await sandbox.driver(['submit']);
      startup[kind].push({ healthyS: sandbox.healthyS, readyS: sandbox.readyS, submit });
      console.log(
        `# ${kind} startup ${r}: healthy ${sandbox.healthyS.toFixed(1)} s, submit→done ${String(submit['submitToDoneMs'])} ms`,
      );
    }
  }

  const perUsers: Record<string, Record<string, PerUsers>> = {};
  for (const users of options.users) {
    perUsers[users] = {};
    for (const kind of options.credmons) {
      const entry: PerUsers = {};
      perUsers[users][kind] = entry;
      await using sandbox = await startSandbox(kind);
      try {
        entry.healthyS = sandbox.healthyS;
        entry.readyS = sandbox.readyS;
        entry.info = await sandbox.driver(['info']);
        checkCredmon(kind, entry.info);
        console.log(`# ${kind}, ${users} users: issuance`);
        entry.issue = await sandbox.driver(['issue', '--users', String(users)]);
        console.log(`# ${kind}, ${users} users: ${JSON.stringify(entry.issue)}`);
        entry.sighup = await sandbox.driver(['sighup', '--trials', String(options.trials)]);
        console.log(
          `# ${kind}, ${users} users: SIGHUP→.use p50 ${String(entry.sighup['p50Ms'])} ms p99 ${String(entry.sighup['p99Ms'])} ms`,
        );
        if (options.idleS > 0) entry.idle = await sandbox.driver(['idle', '--seconds', String(options.idleS)]);
        if (profiled(kind)) await profileOf(sandbox, `${kind}-${users}-users`);
      } catch (error) {
        entry.error = (error as Error).message;
        console.error(`# ${kind}, ${users} users: ${entry.error}`);
      }
    }
  }

  // The OAuth storm: a fresh sandbox per credmon, the bench provider's client configured (our credmon refreshes only
  // providers whose <provider>_CLIENT_ID is set, as upstream's 24+; 23.9's Python credmon refreshes every .meta).
  const oauth: Record<string, Record<string, unknown>> = {};
  for (const kind of options.oauth > 0 ? options.credmons : []) {
    await using sandbox = await startSandbox(kind, 'BENCH_CLIENT_ID = bench');
    const args = ['storm', '--count', String(options.oauth), '--delay-ms', String(options.oauthDelayMs)];
    oauth[kind] = await sandbox.storm(args).catch((error: unknown) => ({ error: (error as Error).message }));
    if (profiled(kind)) await profileOf(sandbox, `${kind}-oauth-${options.oauth}`);
    console.log(`# ${kind}, OAuth storm: ${JSON.stringify(oauth[kind])}`);
  }

  const date = new Date().toISOString();
  const report = {
    oauth,
    date,
    command: `node --import tsx test/bench/container.bench.ts ${process.argv.slice(2).join(' ')}`,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
    },
    gitCommit,
    images,
    scitokensVersion: options.credmons.includes('python') ? scitokensDir().version : null,
    targets: TARGETS,
    credmonInfo,
    startup,
    perUsers,
  };
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const out = join(ROOT, 'bench-results', `container-${date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  printTable(options, startup, perUsers, oauth);
  console.log(`# JSON: ${out}`);
}

// ---------------------------------------------------------------------------------------------------------------------
// the table

function printTable(
  options: Options,
  startup: Record<string, StartupRun[]>,
  perUsers: Record<string, Record<string, PerUsers>>,
  oauth: Record<string, Record<string, unknown>> = {},
): void {
  const kinds = options.credmons;
  const width = 22;
  const cell = (text: string): string => text.padEnd(width);
  const rows: string[] = [];
  const header = `${'measure'.padEnd(58)}${kinds.map((k) => cell(k)).join('')}target`;
  const line = (label: string, values: readonly string[], target = ''): void => {
    rows.push(`${label.padEnd(58)}${values.map(cell).join('')}${target}`);
  };
  const num = (value: unknown, digits = 0): string =>
    typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';
  const median = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? NaN;

  if (options.startupRuns > 0) {
    line(
      `compose up -d --wait to healthy (median of ${options.startupRuns}), s`,
      kinds.map((k) => {
        const runs = startup[k] ?? [];
        return `${num(median(runs.map((r) => r.healthyS)), 1)} (${runs.map((r) => num(r.healthyS, 1)).join(', ')})`;
      }),
      TARGETS.healthyS,
    );
    line(
      'healthcheck script first passes (probed each 0.5 s), s',
      kinds.map((k) => {
        const runs = (startup[k] ?? []).map((r) => r.readyS ?? NaN);
        return `${num(median(runs), 1)} (${runs.map((r) => num(r, 1)).join(', ')})`;
      }),
    );
    line(
      'first condor_submit to job done, token verified, s',
      kinds.map((k) => {
        const runs = startup[k] ?? [];
        const values = runs.map((r) => Number(r.submit['submitToDoneMs']) / 1000);
        const verified = runs.every((r) => r.submit['tokenVerified'] === true);
        return `${num(median(values), 1)} (${values.map((v) => num(v, 1)).join(', ')})${verified ? '' : ' UNVERIFIED'}`;
      }),
      TARGETS.submitToDoneS,
    );
  }
  for (const users of options.users) {
    const at = perUsers[users] ?? {};
    const pick = (k: CredmonKind, part: 'issue' | 'sighup' | 'idle', key: string): unknown => at[k]?.[part]?.[key];
    rows.push(`-- ${users.toLocaleString('en-US')} users ${'-'.repeat(40)}`);
    for (const k of kinds) if (at[k]?.error) line(`ERROR (${k})`, [at[k]?.error ?? '']);
    line(
      'local issuance, verified tokens/s',
      kinds.map((k) => `${num(pick(k, 'issue', 'verifiedTokensPerS'))} (${num(pick(k, 'issue', 'verified'))} ok)`),
      TARGETS.issuancePerS,
    );
    line(
      'local issuance, all N .use, s',
      kinds.map((k) => num(Number(pick(k, 'issue', 'issuanceMs')) / 1000, 2)),
    );
    line(
      'host load average at issuance start',
      kinds.map((k) => {
        const load = pick(k, 'issue', 'loadAverageBefore');
        return typeof load === 'string' ? load : '—';
      }),
    );
    line(
      'credmon CPU during issuance, cores',
      kinds.map((k) => num(pick(k, 'issue', 'credmonCoresUsed'), 2)),
    );
    line(
      '  CPU s in all / of which in the kernel',
      kinds.map((k) => `${num(pick(k, 'issue', 'credmonCpuS'), 2)} / ${num(pick(k, 'issue', 'credmonSystemCpuS'), 2)}`),
    );
    line(
      'late user (submits 0.3 s in): .use after, s',
      kinds.map((k) => {
        const late = pick(k, 'issue', 'late') as
          { useAfterMs?: number | null; creddWouldTimeOut?: boolean } | undefined;
        return late
          ? `${num(Number(late.useAfterMs) / 1000, 2)}${late.creddWouldTimeOut ? ' credd TIMEOUT' : ''}`
          : '—';
      }),
      TARGETS.lateUseMs,
    );
    line(
      'SIGHUP→.use one new user, p50 ms',
      kinds.map((k) => num(pick(k, 'sighup', 'p50Ms'), 1)),
      TARGETS.sighupP50Ms,
    );
    line(
      'SIGHUP→.use one new user, p99 ms',
      kinds.map((k) => num(pick(k, 'sighup', 'p99Ms'), 1)),
      TARGETS.sighupP99Ms,
    );
    if (options.idleS > 0) {
      line(
        `idle CPU over ${options.idleS} s, % of one core`,
        kinds.map((k) => num(pick(k, 'idle', 'cpuPercentOfOneCore'), 2)),
        TARGETS.idleCpuPercent,
      );
      line(
        'resident memory (VmRSS, all processes), MiB',
        kinds.map((k) => num(pick(k, 'idle', 'rssMiB'), 0)),
        TARGETS.idleRssMiB,
      );
      line(
        '  of which the largest process / PSS of all, MiB',
        kinds.map((k) => `${num(pick(k, 'idle', 'largestProcessRssMiB'), 0)} / ${num(pick(k, 'idle', 'pssMiB'), 0)}`),
      );
    }
  }
  if (options.oauth > 0) {
    rows.push(
      `-- ${num(options.oauth)} due OAuth refreshes, HTTPS endpoint in the container, ` +
        `${options.oauthDelayMs} ms each --`,
    );
    const of = (k: string, key: string): unknown => oauth[k]?.[key];
    const endpointOf = (k: string, key: string): unknown => (oauth[k]?.['endpoint'] as Record<string, unknown>)?.[key];
    line(
      'the endpoint alone, 50 keep-alive connections, s',
      kinds.map((k) => num(Number(of(k, 'endpointAloneMs')) / 1000, 2)),
    );
    line(
      'SIGHUP to every .use and .top refreshed, s',
      kinds.map((k) => num(Number(of(k, 'allMs')) / 1000, 2)),
      TARGETS.oauthS,
    );
    line(
      '  half of them, s',
      kinds.map((k) => num(Number(of(k, 'p50Ms')) / 1000, 2)),
    );
    line(
      '  first request after the SIGHUP, ms',
      kinds.map((k) => num(of(k, 'firstRequestAfterMs'))),
    );
    line(
      '  requests in flight at most / connections / TLS resumed',
      kinds.map((k) =>
        [endpointOf(k, 'peakInFlight'), endpointOf(k, 'connections'), endpointOf(k, 'resumedSessions')]
          .map((v) => num(v))
          .join(' / '),
      ),
    );
    line(
      '  credmon CPU, s',
      kinds.map((k) => num(of(k, 'credmonCpuS'), 2)),
    );
    for (const k of kinds) if (of(k, 'error')) line(`ERROR (${k})`, [String(of(k, 'error'))]);
  }
  console.log(`\n${header}\n${rows.join('\n')}\n`);
}

async function cleanUp(): Promise<void> {
  for (const sandbox of [...live]) await sandbox[Symbol.asyncDispose]().catch(() => undefined);
  if (driverFile) rmSync(join(driverFile, '..'), { recursive: true, force: true });
}

process.once('SIGINT', () => {
  console.error('# interrupted: removing the sandboxes this run started');
  void cleanUp().finally(() => process.exit(130));
});

try {
  await main();
} catch (error) {
  console.error(`container.bench: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
