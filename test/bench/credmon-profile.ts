/**
 * `--cpu-profile DIR` of the container benchmark: our credmon runs under `node --cpu-prof` as condor_master starts it
 * (CREDMON_NODE_ARGS of docker/bin/credmon, set through CREDMON_OAUTH_ENVIRONMENT: NODE_OPTIONS refuses --cpu-prof).
 * After each measured load the profiles are taken (SIGTERM to the daemon: V8 writes one per thread as it exits; the
 * master starts a new credmon), copied to DIR and summarized: where each thread's time went, by function and by part
 * (our code, Node's HTTP client, TLS, the file system, the garbage collector, idle).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const IN_CONTAINER = '/tmp/credmon-cpu-profile';

/** The HTCondor configuration that makes the master start the credmon under the V8 profiler. */
export function cpuProfileConfig(): string {
  return `CREDMON_OAUTH_ENVIRONMENT = "CREDMON_NODE_ARGS='--cpu-prof --cpu-prof-dir=${IN_CONTAINER} --cpu-prof-interval=1000'"`;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly file: string;
  readonly sampledMs: number;
  /** Milliseconds of main-thread time per part, busiest first (idle included). */
  readonly byPart: Record<string, number>;
  /** The 20 functions with the most self time, `name url:line` → ms. */
  readonly topFunctions: Record<string, number>;
}

/** Which part of the process a frame belongs to, from its URL and name. */
export function partOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'native (program)';
  if (url.includes('/dist/') || url.includes('/src/')) return 'credmon';
  if (url.includes('node_modules/pino') || url.includes('sonic-boom')) return 'logging (pino)';
  if (url.includes('node_modules/prom-client')) return 'metrics (prom-client)';
  if (url.includes('node_modules/')) return 'other packages';
  if (/undici|internal\/deps\/undici/.test(url)) return 'fetch (undici)';
  if (/node:(_tls|tls)|internal\/tls/.test(url)) return 'TLS';
  if (/node:(fs|internal\/fs)|internal\/fs/.test(url)) return 'file system';
  if (/streams|webstreams/.test(url)) return 'web streams';
  if (url === '') return 'native';
  return 'other Node internals';
}

/** Self time per function and per part of one .cpuprofile. */
export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byPart: Record<string, number> = {};
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    total += us;
    const part = partOf(frame);
    byPart[part] = (byPart[part] ?? 0) + us;
    const where =
      frame.url === '' ? '' : ` ${frame.url.replace(/^.*\/(dist|node:|internal)/, '$1')}:${frame.lineNumber}`;
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const ms = (us: number): number => Math.round(us / 100) / 10;
  const sorted = (entries: Iterable<[string, number]>, n: number): Record<string, number> =>
    Object.fromEntries(
      [...entries]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, v]) => [k, ms(v)]),
    );
  return {
    file,
    sampledMs: ms(total),
    byPart: sorted(Object.entries(byPart), 50),
    topFunctions: sorted(byFunction, 20),
  };
}

/**
 * Ends the credmon of `container` (SIGTERM: V8 writes a profile per thread as it exits), copies its profiles to
 * `outDir/<label>.<thread>.cpuprofile`, and summarizes each (thread 0 is the main thread).
 */
export async function collectCpuProfiles(
  container: string,
  outDir: string,
  label: string,
): Promise<Record<string, ProfileSummary>> {
  const script =
    'pid=$(cat "$(condor_config_val SEC_CREDENTIAL_DIRECTORY_OAUTH)/pid"); kill -TERM "$pid"; ' +
    'for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; sleep 0.5; ' +
    `ls ${IN_CONTAINER}/CPU.*."$pid".*.cpuprofile`;
  const { stdout } = await exec('docker', ['exec', container, 'sh', '-c', script]);
  const files = stdout.split('\n').filter((line) => line.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no CPU profile in ${container}:${IN_CONTAINER}`);
  mkdirSync(outDir, { recursive: true });
  const summaries: Record<string, ProfileSummary> = {};
  for (const file of files) {
    // CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile
    const thread = file.split('.').at(-3) ?? '?';
    const local = join(outDir, `${label}.thread-${thread}.cpuprofile`);
    await exec('docker', ['cp', `${container}:${file}`, local]);
    summaries[thread] = summarizeProfile(local);
  }
  writeFileSync(join(outDir, `${label}.summary.json`), `${JSON.stringify(summaries, null, 2)}\n`);
  return summaries;
}
