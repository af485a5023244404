/** The container benchmark's table: one row per measure, a column per credmon, issue 6's and 20's targets beside. */
import { TARGETS, type CredmonKind, type Options, type PerUsers, type StartupRun } from './container-options.js';

// ---------------------------------------------------------------------------------------------------------------------
// the table

export function printTable(
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
      line(
        '  largest process: private (RssAnon) / mapped files, MiB',
        kinds.map(
          (k) =>
            `${num(pick(k, 'idle', 'largestProcessAnonMiB'), 0)} / ${num(pick(k, 'idle', 'largestProcessFileMiB'), 0)}`,
        ),
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
