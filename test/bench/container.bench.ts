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
 *          --condor-config 'KNOB = value' (added to our credmon's sandboxes only, to compare a setting)
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
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/root.js';
import { upSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { buildImages, imageId, run, runOk, scitokensDir, transpileDriver } from './container-images.js';
import {
  IMAGES,
  parseOptions,
  TARGETS,
  type CredmonKind,
  type PerUsers,
  type StartupRun,
} from './container-options.js';
import { printTable } from './container-table.js';
import { collectCpuProfiles, cpuProfileConfig } from './credmon-profile.js';

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
/** --condor-config: our credmon's sandboxes only. */
let oursConfig = '';
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
        python ? '' : oursConfig,
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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // The commit whose driver and harness this run uses (taken now: the tree may change while a long run goes on).
  const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'])).stdout.trim() !== '';
  const gitCommit = `${(await run('git', ['rev-parse', 'HEAD'])).stdout.trim()}${dirty ? '+uncommitted changes' : ''}`;
  if (options.credmons.includes('python')) scitokensDir();
  cpuProfileDir = options.cpuProfile;
  oursConfig = options.condorConfig;
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
