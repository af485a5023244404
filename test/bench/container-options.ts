/** The container benchmark's options, images and the shape of its results (container.bench.ts). */

/** `ours-nometrics`: our credmon with its and the web app's metrics listeners off (they are on in the sandbox). */
export type CredmonKind = 'ours' | 'ours-nometrics' | 'python';
export const KINDS: readonly CredmonKind[] = ['ours', 'ours-nometrics', 'python'];

/** Issue 6's targets, as issue 20 restated them, printed beside the figures. */
export const TARGETS = {
  issuancePerS: '≥ 10,000/s and ≥ 5× Python at 10k',
  lateUseMs: '≤ 1 s (credd gives up at 20 s)',
  sighupP50Ms: '≤ 20 ms at 10k',
  sighupP99Ms: '≤ 50 ms at 10k',
  idleCpuPercent: '< 0.5 %',
  idleRssMiB: "≤ Python's at 10k",
  healthyS: '≤ 8 s',
  submitToDoneS: '≤ 6 s',
  oauthS: '≤ 3 s (1,000 at 100 ms)',
} as const;

export interface Options {
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
  /** Extra HTCondor configuration for our credmon's sandboxes only (A/B of a setting: `--condor-config 'K = v'`). */
  readonly condorConfig: string;
}

export function parseOptions(argv: readonly string[]): Options {
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
    condorConfig: value('condor-config') ?? '',
  };
}

export const IMAGES: Record<CredmonKind, string> = {
  ours: process.env['BENCH_IMAGE_OURS'] ?? 'credmon-sandbox:pybench',
  'ours-nometrics': process.env['BENCH_IMAGE_OURS'] ?? 'credmon-sandbox:pybench',
  python: process.env['BENCH_IMAGE_PYTHON'] ?? 'credmon-sandbox:pybench-python',
};

export interface StartupRun {
  healthyS: number;
  readyS: number | null;
  submit: Record<string, unknown>;
}

export interface PerUsers {
  info?: Record<string, unknown>;
  healthyS?: number;
  readyS?: number | null;
  issue?: Record<string, unknown>;
  sighup?: Record<string, unknown>;
  idle?: Record<string, unknown>;
  error?: string;
}
