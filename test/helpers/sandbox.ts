/**
 * Test helpers that drive the real sandbox: build the image with testcontainers, start it through compose.yaml,
 * run commands as users inside it, and read what jobs printed. Everything talks to 127.0.0.1 and the project's
 * own containers only. Ryuk cannot be pulled here, so every test stops what it started (see `SandboxHandle.stop`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DockerComposeEnvironment, GenericContainer, Wait, type StartedDockerComposeEnvironment, type StartedTestContainer } from 'testcontainers';
import { dockerCli, projectContainerNames } from './docker-cli.js';

process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The HTCondor series the image is built for (docker/Dockerfile's HTCONDOR_SERIES): 23.9 on trixie, 25.x on forky. */
export const SERIES_VERSIONS = { '23': '23.9', '25': '25.' } as const;
export type Series = keyof typeof SERIES_VERSIONS;

/** $SANDBOX_SERIES (default 23); anything else is an error that names the valid series. */
export function seriesFrom(value: string | undefined): Series {
  const series = value === undefined || value === '' ? '23' : value;
  if (!Object.hasOwn(SERIES_VERSIONS, series)) {
    throw new Error(`SANDBOX_SERIES=${series} is not a series the image knows; valid: ${Object.keys(SERIES_VERSIONS).join(', ')}`);
  }
  return series as Series;
}

export const SERIES: Series = seriesFrom(process.env['SANDBOX_SERIES']);

/** The image tag for `series`: $SANDBOX_TEST_IMAGE (default credmon-sandbox:test), with `-<series>` unless 23. */
export function imageFor(series: Series, base = process.env['SANDBOX_TEST_IMAGE'] ?? 'credmon-sandbox:test'): string {
  return series === '23' ? base : `${base}-${series}`;
}

export const IMAGE = imageFor(SERIES);

/**
 * The extra CA certificates the image build should trust (corporate HTTPS proxies): $EXTRA_CA_CERTS, or else the
 * host's own additions in /usr/local/share/ca-certificates (Debian's place for them).
 */
export function extraCaCerts(): string {
  if (process.env['EXTRA_CA_CERTS']) return process.env['EXTRA_CA_CERTS'];
  try {
    const dir = '/usr/local/share/ca-certificates';
    return readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.crt'))
      .map((f) => readFileSync(`${dir}/${f}`, 'utf8'))
      .join('\n');
  } catch {
    return '';
  }
}

let built: Promise<void> | undefined;

/**
 * Builds the image from docker/Dockerfile for $SANDBOX_SERIES once per test process (Docker's layer cache makes
 * rebuilds quick), and checks that the image runs that series' HTCondor, so a test never passes on the wrong one.
 */
export function buildImage(): Promise<void> {
  built ??= (async () => {
    const started = Date.now();
    await GenericContainer.fromDockerfile(ROOT, 'docker/Dockerfile')
      .withBuildArgs({ HTCONDOR_SERIES: SERIES, EXTRA_CA_CERTS: extraCaCerts() })
      .withCache(true)
      .build(IMAGE, { deleteOnExit: false });
    const version = await docker(['run', '--rm', '--entrypoint', 'condor_version', IMAGE]);
    const found = /\$CondorVersion: (\S+)/.exec(version)?.[1] ?? '';
    if (!found.startsWith(SERIES_VERSIONS[SERIES])) {
      throw new Error(`image ${IMAGE} was built for HTCONDOR_SERIES=${SERIES} but runs HTCondor '${found}': ${version}`);
    }
    console.log(`# image ${IMAGE} (HTCondor ${found}) built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  })();
  return built;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ExecResult {
  readonly output: string;
  readonly exitCode: number;
}

export interface SandboxHandle {
  readonly port: number;
  readonly baseUrl: string;
  /** The storage service (XRootD) as the host reaches it: https://localhost:<published port>. */
  readonly storagePort: number;
  readonly storageUrl: string;
  readonly projectName: string;
  readonly container: StartedTestContainer;
  /** Seconds from `compose up` to a healthy container. */
  readonly healthyAfterS: number;
  exec(command: string[], user?: string): Promise<ExecResult>;
  /** Runs a shell command as `user` in a login shell (like `su -l submitter`). */
  sh(user: string, script: string): Promise<ExecResult>;
  ca(): Promise<string>;
  restart(): Promise<void>;
  /** `docker compose down` (volumes kept), then `docker compose up` with the same settings. */
  recreate(): Promise<void>;
  /** `docker compose up` again with other settings: the container is recreated, the volumes are kept. */
  reconfigure(env: Record<string, string>): Promise<void>;
  /** The container's own output (entrypoint and supervisord lines). */
  logs(): Promise<string>;
  /** The storage service's container (XRootD): its output is XRootD's log. */
  readonly storage: StartedTestContainer;
  storageLogs(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the sandbox through compose.yaml with its own project name, port and volumes. */
export interface StartOptions {
  /** Runs after the project name is chosen and before `compose up` (to prepare volumes, for example). */
  readonly beforeUp?: (projectName: string) => Promise<void>;
}

export async function startSandbox(env: Record<string, string> = {}, profiles: string[] = [], options: StartOptions = {}): Promise<SandboxHandle> {
  await buildImage();
  const port = await freePort();
  const storagePort = await freePort();
  const projectName = `cmtest-${randomBytes(4).toString('hex')}`;
  const started = Date.now();
  const up = async (environmentVariables: Record<string, string>): Promise<StartedDockerComposeEnvironment> => {
    let compose = new DockerComposeEnvironment(ROOT, 'compose.yaml')
      .withProjectName(projectName)
      .withEnvironment({
        SANDBOX_IMAGE: IMAGE,
        HTCONDOR_SERIES: SERIES,
        SANDBOX_HTTPS_PORT: String(port),
        SANDBOX_STORAGE_PORT: String(storagePort),
        ...environmentVariables,
      })
      .withWaitStrategy('sandbox-1', Wait.forHealthCheck())
      .withWaitStrategy('storage-1', Wait.forHealthCheck())
      .withStartupTimeout(180_000);
    // Every service has a healthcheck that means "ready"; waiting on it (rather than on published ports) is exact.
    if (profiles.includes('demo')) compose = compose.withWaitStrategy('demo-provider-1', Wait.forHealthCheck());
    if (profiles.includes('cluster')) {
      const nodes = Number(environmentVariables['SANDBOX_EXECUTE_NODES'] ?? '2');
      for (let i = 1; i <= nodes; i++) compose = compose.withWaitStrategy(`execute-${i}`, Wait.forHealthCheck());
    }
    if (profiles.length > 0) compose = compose.withProfiles(...profiles);
    try {
      return await compose.up();
    } catch (error) {
      await dumpLogs(projectName);
      await removeProject(projectName);
      throw error;
    }
  };
  await options.beforeUp?.(projectName);
  let environment = await up(env);
  const healthyAfterS = (Date.now() - started) / 1000;
  console.log(`# sandbox ${projectName} healthy ${healthyAfterS.toFixed(1)} s after compose up`);
  let container = environment.getContainer('sandbox-1');
  const handle: SandboxHandle = {
    port,
    baseUrl: `https://localhost:${port}`,
    storagePort,
    storageUrl: `https://localhost:${storagePort}`,
    projectName,
    get container() {
      return container;
    },
    get storage() {
      return environment.getContainer('storage-1');
    },
    async storageLogs() {
      return docker(['logs', environment.getContainer('storage-1').getId()]);
    },
    healthyAfterS,
    async exec(command, user) {
      const result = await container.exec(command, user ? { user } : {});
      return { output: result.output, exitCode: result.exitCode };
    },
    async sh(user, script) {
      const result = await container.exec(['su', '-l', user, '-c', script]);
      return { output: result.output, exitCode: result.exitCode };
    },
    async ca() {
      const result = await container.exec(['cat', '/var/lib/credmon-sandbox/tls/ca.crt']);
      if (result.exitCode !== 0) throw new Error(`cannot read the sandbox CA: ${result.output}`);
      return result.output;
    },
    async recreate() {
      await environment.down({ removeVolumes: false, timeout: 20_000 });
      environment = await up(env);
      container = environment.getContainer('sandbox-1');
    },
    async reconfigure(newEnv) {
      environment = await up(newEnv);
      container = environment.getContainer('sandbox-1');
    },
    async logs() {
      return docker(['logs', container.getId()]);
    },
    async restart() {
      await container.restart();
      container = environment.getContainer('sandbox-1');
      await waitFor(async () => (await container.exec(['/usr/local/libexec/credmon-sandbox/healthcheck'])).exitCode === 0, 120_000, 'healthy after restart');
    },
    async stop() {
      await environment.down({ removeVolumes: true, timeout: 20_000 }).catch(() => undefined);
      await removeProject(projectName);
    },
  };
  return handle;
}

/** docker's output, or the reason it gave none (a timeout): callers print it or parse it, never fail on it. */
function docker(args: string[]): Promise<string> {
  return dockerCli(args).catch((error: Error) => error.message);
}

/** Prints the last lines of every container of a project (for a start that failed). */
async function dumpLogs(projectName: string): Promise<void> {
  for (const name of await projectContainerNames(projectName)) console.error(`# logs of ${name}:\n${await docker(['logs', '--tail', '150', name])}`);
}

/** Removes a project's containers, networks and volumes without needing its compose configuration. */
async function removeProject(projectName: string): Promise<void> {
  const label = `label=com.docker.compose.project=${projectName}`;
  const containers = (await docker(['ps', '-aq', '--filter', label])).split('\n').filter(Boolean);
  if (containers.length > 0) await docker(['rm', '-f', '-v', ...containers]);
  const volumes = (await docker(['volume', 'ls', '-q', '--filter', label])).split('\n').filter(Boolean);
  if (volumes.length > 0) await docker(['volume', 'rm', '-f', ...volumes]);
  const networks = (await docker(['network', 'ls', '-q', '--filter', label])).split('\n').filter(Boolean);
  if (networks.length > 0) await docker(['network', 'rm', ...networks]);
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

/** GET over HTTPS trusting only `ca` (the sandbox's CA): TLS verification stays on. */
export function httpsGet(url: string, ca: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET', headers: { accept: 'application/json' }, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Submits `subFile` as `user` from their home directory, waits for the job to finish, and returns condor_submit's
 * output and the job's stdout (`output = ` of the submit file, default test.out).
 */
export async function submitAndWait(
  sandbox: SandboxHandle,
  user: string,
  subFile = 'test.sub',
  outFile = 'test.out',
  logFile = 'test.log',
): Promise<{ submit: ExecResult; jobOutput: string }> {
  await sandbox.sh(user, `rm -f ${outFile} ${logFile} test.err`);
  const submit = await sandbox.sh(user, `condor_submit ${subFile}`);
  if (submit.exitCode !== 0) return { submit, jobOutput: '' };
  const wait = await sandbox.sh(user, `condor_wait -wait 240 ${logFile}`);
  if (wait.exitCode !== 0) {
    const q = await sandbox.sh(user, 'condor_q -better-analyze -nobatch 2>&1 | tail -40; condor_q -hold -af HoldReason');
    throw new Error(`job of ${user} did not finish: ${wait.output}\n${q.output}`);
  }
  const out = await sandbox.sh(user, `cat ${outFile}`);
  return { submit, jobOutput: out.output };
}

/** Parses test.sh's output: each `==> <path> <==` header followed by the file's content. */
export function credentialFilesFrom(jobOutput: string): Map<string, string> {
  const files = new Map<string, string>();
  const parts = jobOutput.split(/^==> (.+) <==$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const path = parts[i] ?? '';
    files.set(path.split('/').pop() ?? path, (parts[i + 1] ?? '').trim());
  }
  return files;
}

/** The access token in a `.use` (JSON or bare). */
export function accessTokenOf(useContent: string): string {
  const line = useContent.split('\n')[0]?.trim() ?? '';
  if (line.startsWith('{')) {
    const parsed = JSON.parse(line) as { access_token?: unknown };
    if (typeof parsed.access_token !== 'string') throw new Error('no access_token in .use');
    return parsed.access_token;
  }
  return line;
}

/**
 * Any HTTPS request trusting only `ca` (TLS verification stays on), with a body and headers; for the storage's
 * WebDAV answers (PUT, GET) from the test itself.
 */
export function httpsRequest(
  url: string,
  ca: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, method: options.method ?? 'GET', headers: options.headers ?? {}, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
