/**
 * Runs the real credmon daemon (compiled, as the image runs it) as a child process outside HTCondor: its knobs come
 * from a generated `condor_config_val` that prints what a real one would for them. Used by the crash-safety harness
 * and the benchmark's idle measurement.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CredmonProcessFactory {
  start(): ChildProcess;
  dispose(): Promise<void>;
}

/**
 * Compiles the credmon into a build of its own (another run or `npm run build` may rewrite dist/ meanwhile; under
 * node_modules/ so that its imports resolve) and returns a factory for processes configured with `knobs`.
 */
export async function prepareCredmonProcess(
  workDir: string,
  knobs: Readonly<Record<string, string>>,
): Promise<CredmonProcessFactory> {
  const build = join(ROOT, 'node_modules', '.cache', `credmon-${process.pid}-${Date.now()}`);
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', build], { cwd: ROOT });
  const bin = join(workDir, 'bin');
  await mkdir(bin, { recursive: true });
  const dump = Object.entries(knobs)
    .map(([name, value]) => `${name} = ${value}`)
    .join('\n');
  await writeFile(join(bin, 'condor_config_val'), `#!/bin/sh\ncat <<'EOF'\n${dump}\nEOF\n`);
  await chmod(join(bin, 'condor_config_val'), 0o755);
  return {
    // The same memory settings as the image's wrapper, docker/bin/credmon.
    start: () =>
      spawn(process.execPath, ['--max-semi-space-size=2', join(build, 'bin/credmon.js')], {
        cwd: ROOT,
        env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, MALLOC_ARENA_MAX: '2' },
        stdio: 'ignore',
      }),
    dispose: () => rm(build, { recursive: true, force: true }),
  };
}

/** CPU seconds (user + system, all threads) and resident memory (MiB) of a live process, from /proc. */
export function processUsage(pid: number): { readonly cpuS: number; readonly rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { cpuS: ticks / 100, rssMiB: rssKiB / 1024 };
}
