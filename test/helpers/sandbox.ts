/**
 * The running sandbox as a test drives it: start it through compose.yaml (its own project, ports and volumes), run
 * commands as users inside it, restart or reconfigure it, read its logs, and stop it. Everything talks to 127.0.0.1
 * and the project's own containers only. The handle disposes itself (`await using`), and `stop` does the same for a
 * handle shared by a describe's tests (node:test's `after`).
 */
import type { StartedDockerComposeEnvironment, StartedTestContainer } from 'testcontainers';
import { createComposeProject, type ComposeSettings } from './compose-project.js';
import { dockerOutput } from './docker-cli.js';
import { IMAGE, SERIES, buildImage } from './image.js';
import { waitFor } from './wait-for.js';

export interface ExecResult {
  readonly output: string;
  readonly exitCode: number;
}

export interface SandboxHandle extends AsyncDisposable {
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
  /** `docker compose down` with the volumes, then removes whatever of the project is left. */
  stop(): Promise<void>;
}

/** Starts the sandbox through compose.yaml with its own project name, port and volumes. */
export interface StartOptions {
  /** Runs after the project name is chosen and before `compose up` (to prepare volumes, for example). */
  readonly beforeUp?: (projectName: string) => Promise<void>;
}

export interface UpOptions extends StartOptions {
  /** The settings of this start (`reconfigure` replaces them), above the project's own. */
  readonly env?: Record<string, string>;
}

/** Builds the test image (once per process) and starts a sandbox of it with `env` and compose `profiles`. */
export async function startSandbox(
  env: Record<string, string> = {},
  profiles: string[] = [],
  options: StartOptions = {},
): Promise<SandboxHandle> {
  await buildImage();
  return upSandbox({ image: IMAGE, env: { HTCONDOR_SERIES: SERIES }, profiles }, { ...options, env });
}

/** Starts a sandbox of an image that already exists (the bench's images), with the project `settings` and `env`. */
export async function upSandbox(settings: ComposeSettings, options: UpOptions = {}): Promise<SandboxHandle> {
  const env = options.env ?? {};
  const project = await createComposeProject(settings);
  const { projectName, port, storagePort } = project;
  await options.beforeUp?.(projectName);
  const started = Date.now();
  let environment: StartedDockerComposeEnvironment = await project.up(env);
  const healthyAfterS = (Date.now() - started) / 1000;
  console.log(`# sandbox ${projectName} healthy ${healthyAfterS.toFixed(1)} s after compose up`);
  let container = environment.getContainer('sandbox-1');
  const result = (r: ExecResult): ExecResult => ({ output: r.output, exitCode: r.exitCode });
  const stop = async (): Promise<void> => {
    await environment.down({ removeVolumes: true, timeout: 20_000 }).catch(() => undefined);
    await project.remove();
  };
  return {
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
      return dockerOutput(['logs', environment.getContainer('storage-1').getId()]);
    },
    healthyAfterS,
    async exec(command, user) {
      return result(await container.exec(command, user ? { user } : {}));
    },
    async sh(user, script) {
      return result(await container.exec(['su', '-l', user, '-c', script]));
    },
    async ca() {
      const answer = await container.exec(['cat', '/var/lib/credmon-sandbox/tls/ca.crt']);
      if (answer.exitCode !== 0) throw new Error(`cannot read the sandbox CA: ${answer.output}`);
      return answer.output;
    },
    async recreate() {
      await environment.down({ removeVolumes: false, timeout: 20_000 });
      environment = await project.up(env);
      container = environment.getContainer('sandbox-1');
    },
    async reconfigure(newEnv) {
      environment = await project.up(newEnv);
      container = environment.getContainer('sandbox-1');
    },
    async logs() {
      return dockerOutput(['logs', container.getId()]);
    },
    async restart() {
      await container.restart();
      container = environment.getContainer('sandbox-1');
      const healthcheck = ['/usr/local/libexec/credmon-sandbox/healthcheck'];
      const healthy = async (): Promise<boolean> => (await container.exec(healthcheck)).exitCode === 0;
      await waitFor(healthy, 120_000, 'healthy after restart');
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
