/**
 * One compose project of compose.yaml: its own name, ports and volumes; `up` waits for every service's healthcheck
 * (which means "ready", so it is exact), and a failed or finished project is removed with everything it made.
 */
import './no-ryuk.js';
import { randomBytes } from 'node:crypto';
import { DockerComposeEnvironment, Wait, type StartedDockerComposeEnvironment } from 'testcontainers';
import { dockerOutput, projectContainerNames } from './docker-cli.js';
import { freePort } from './free-port.js';
import { ROOT } from './root.js';

export interface ComposeSettings {
  /** $SANDBOX_IMAGE of every service. */
  readonly image: string;
  /** Settings every `up` passes, below the ones given to `up` itself. */
  readonly env?: Record<string, string>;
  readonly profiles?: readonly string[];
  /** compose.yaml and the override files to add to it, relative to the repository root. */
  readonly files?: readonly string[];
  /** The project name's start (default cmtest); a random suffix follows. */
  readonly namePrefix?: string;
}

export interface ComposeProject {
  readonly projectName: string;
  /** The sandbox's HTTPS port and the storage's, on 127.0.0.1. */
  readonly port: number;
  readonly storagePort: number;
  /** `docker compose up` with `env` and waits until every service is healthy; a failed start is logged and removed. */
  up(env: Record<string, string>): Promise<StartedDockerComposeEnvironment>;
  /** Removes the project's containers, networks and volumes without needing its compose configuration. */
  remove(): Promise<void>;
}

export async function createComposeProject(settings: ComposeSettings): Promise<ComposeProject> {
  const port = await freePort();
  const storagePort = await freePort();
  const projectName = `${settings.namePrefix ?? 'cmtest'}-${randomBytes(4).toString('hex')}`;
  const profiles = settings.profiles ?? [];
  const fixedEnv = {
    SANDBOX_IMAGE: settings.image,
    SANDBOX_HTTPS_PORT: String(port),
    SANDBOX_STORAGE_PORT: String(storagePort),
    ...settings.env,
  };
  const up = async (env: Record<string, string>): Promise<StartedDockerComposeEnvironment> => {
    let compose = new DockerComposeEnvironment(ROOT, [...(settings.files ?? ['compose.yaml'])])
      .withProjectName(projectName)
      .withEnvironment({ ...fixedEnv, ...env })
      .withWaitStrategy('sandbox-1', Wait.forHealthCheck())
      .withWaitStrategy('storage-1', Wait.forHealthCheck())
      .withStartupTimeout(180_000);
    if (profiles.includes('demo')) compose = compose.withWaitStrategy('demo-provider-1', Wait.forHealthCheck());
    if (profiles.includes('monitoring')) compose = compose.withWaitStrategy('prometheus-1', Wait.forHealthCheck());
    if (profiles.includes('cluster')) {
      const nodes = Number(env['SANDBOX_EXECUTE_NODES'] ?? '2');
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
  return { projectName, port, storagePort, up, remove: () => removeProject(projectName) };
}

/** Prints the last lines of every container of a project (for a start that failed). */
async function dumpLogs(projectName: string): Promise<void> {
  for (const name of await projectContainerNames(projectName)) {
    console.error(`# logs of ${name}:\n${await dockerOutput(['logs', '--tail', '150', name])}`);
  }
}

async function removeProject(projectName: string): Promise<void> {
  const label = `label=com.docker.compose.project=${projectName}`;
  const list = async (args: string[]): Promise<string[]> => {
    const out = await dockerOutput([...args, '--filter', label]);
    return out.split('\n').filter(Boolean);
  };
  const containers = await list(['ps', '-aq']);
  if (containers.length > 0) await dockerOutput(['rm', '-f', '-v', ...containers]);
  const volumes = await list(['volume', 'ls', '-q']);
  if (volumes.length > 0) await dockerOutput(['volume', 'rm', '-f', ...volumes]);
  const networks = await list(['network', 'ls', '-q']);
  if (networks.length > 0) await dockerOutput(['network', 'rm', ...networks]);
}
