/** The container benchmark's processes and images: docker commands, the two images, the in-container scripts. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { extraCaCerts } from '../helpers/image.js';
import { ROOT } from '../helpers/root.js';
import { IMAGES, type CredmonKind } from './container-options.js';

// ---------------------------------------------------------------------------------------------------------------------
// processes

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
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

export async function runOk(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await run(command, args, env);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------------------------------
// images

export async function buildImages(credmons: readonly CredmonKind[]): Promise<void> {
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

export async function imageId(image: string): Promise<{ id: string; created: string }> {
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
export function scitokensDir(): { dir: string; version: string } {
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
export function transpileDriver(script = 'container-driver.ts'): string {
  const source = readFileSync(join(ROOT, 'test/bench', script), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  const dir = mkdtempSync(join(tmpdir(), 'credmon-bench-'));
  const file = join(dir, 'driver.mjs');
  writeFileSync(file, outputText);
  return file;
}
