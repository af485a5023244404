/** The docker command line, for what testcontainers does not cover (inspect, restart, logs of any container). */
import { execFile } from 'node:child_process';

/** Runs `docker args...`; resolves with stdout+stderr whatever the exit status, rejects only on a timeout. */
export function dockerCli(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', [...args], { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error?.killed) reject(new Error(`docker ${args.join(' ')} timed out after ${timeoutMs} ms`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** docker's output, or the reason it gave none (a timeout): callers print it or parse it, never fail on it. */
export function dockerOutput(args: readonly string[]): Promise<string> {
  return dockerCli(args).catch((error: Error) => error.message);
}

/** The names of every container (running or not) of a compose project. */
export async function projectContainerNames(projectName: string): Promise<string[]> {
  const out = await dockerCli([
    'ps',
    '-a',
    '--filter',
    `label=com.docker.compose.project=${projectName}`,
    '--format',
    '{{.Names}}',
  ]);
  return out.split('\n').filter(Boolean);
}
