/**
 * Draws docs/performance.svg from a benchmark result: issuance time and SIGHUP→.use latency against the number of
 * users. From a container run (bench-results/container-*.json, the newest unless one is named) both credmons of that
 * run are drawn; from an in-process run (bench-results/credmon-*.json), this credmon with issue 6's Python figure.
 *   node --import tsx test/bench/plot.ts [bench-results/container-....json | bench-results/credmon-....json]
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LocalFigures {
  users: number;
  issuanceS: number;
  sighupP50Ms: number;
  sighupP99Ms: number;
}

interface ContainerFigures {
  readonly issue?: { readonly issuanceMs?: number | null };
  readonly sighup?: { readonly p50Ms?: number; readonly p99Ms?: number };
}

interface BenchResult {
  readonly date: string;
  readonly machine: string | { readonly cpus: number; readonly cpuModel: string };
  readonly local?: LocalFigures[];
  readonly perUsers?: Record<string, Partial<Record<'ours' | 'python', ContainerFigures>>>;
}

const newest = (prefix: string): string | undefined =>
  readdirSync('bench-results')
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .sort()
    .at(-1);
const file = process.argv[2] ?? join('bench-results', newest('container-') ?? newest('credmon-') ?? '');
const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
const machine =
  typeof result.machine === 'string' ? result.machine : `${result.machine.cpus} CPUs, ${result.machine.cpuModel}`;

/** Each credmon's figures by number of users (a container run has both credmons; an in-process run has ours). */
function figuresOf(kind: 'ours' | 'python'): LocalFigures[] {
  if (!result.perUsers) return kind === 'ours' ? [...(result.local ?? [])] : [];
  const out: LocalFigures[] = [];
  for (const [users, byKind] of Object.entries(result.perUsers)) {
    const f = byKind[kind];
    const issuanceMs = f?.issue?.issuanceMs;
    if (!f || typeof issuanceMs !== 'number') continue;
    const sighupP50Ms = f.sighup?.p50Ms ?? NaN;
    out.push({ users: Number(users), issuanceS: issuanceMs / 1000, sighupP50Ms, sighupP99Ms: f.sighup?.p99Ms ?? NaN });
  }
  return out.sort((a, b) => a.users - b.users);
}
const ours = figuresOf('ours');
const python = figuresOf('python');
const points = [...ours, ...python];

const W = 460;
const H = 300;
const M = { left: 60, right: 20, top: 40, bottom: 50 };

interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: ReadonlyArray<readonly [number, number]>;
  readonly dashed?: boolean;
}

function panel(
  x0: number,
  title: string,
  yLabel: string,
  series: readonly Series[],
  marks: ReadonlyArray<readonly [number, number, string]>,
): string {
  const maxX = Math.max(...points.map((p) => p.users));
  const maxY = Math.max(...series.flatMap((s) => s.values.map(([, y]) => y)), ...marks.map(([, y]) => y)) * 1.1;
  const sx = (x: number): number => x0 + M.left + (x / maxX) * (W - M.left - M.right);
  const sy = (y: number): number => M.top + (1 - y / maxY) * (H - M.top - M.bottom);
  const out: string[] = [`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">${title}</text>`];
  out.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(maxX)}" y2="${sy(0)}" stroke="#333"/>`);
  out.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(0)}" y2="${sy(maxY)}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = (maxY / 4) * i;
    out.push(
      `<text x="${sx(0) - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${y < 10 ? y.toFixed(1) : Math.round(y)}</text>`,
    );
    out.push(`<line x1="${sx(0)}" y1="${sy(y)}" x2="${sx(maxX)}" y2="${sy(y)}" stroke="#eee"/>`);
  }
  for (const p of points)
    out.push(
      `<text x="${sx(p.users)}" y="${sy(0) + 16}" text-anchor="middle" font-size="11">${p.users / 1000}k</text>`,
    );
  out.push(`<text x="${x0 + W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">users</text>`);
  out.push(
    `<text x="${x0 + 14}" y="${H / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 + 14} ${H / 2})">${yLabel}</text>`,
  );
  series.forEach((s, i) => {
    const path = s.values.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(
      `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
    );
    for (const [x, y] of s.values) out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="3" fill="${s.color}"/>`);
    out.push(`<text x="${sx(0) + 10}" y="${M.top + 14 + i * 15}" font-size="11" fill="${s.color}">${s.label}</text>`);
  });
  for (const [x, y, label] of marks) {
    out.push(`<rect x="${sx(x) - 4}" y="${sy(y) - 4}" width="8" height="8" fill="#c00"/>`);
    out.push(`<text x="${sx(x) - 8}" y="${sy(y) - 8}" text-anchor="end" font-size="11" fill="#c00">${label}</text>`);
  }
  return out.join('\n');
}

const OURS = '#1565c0';
const PYTHON = '#8d6e63';
const inContainer = result.perUsers !== undefined;
const issuance = panel(
  0,
  'Time to sign every user\u2019s token',
  'seconds',
  [
    { label: 'this credmon', color: OURS, values: ours.map((p) => [p.users, p.issuanceS] as const) },
    ...(inContainer
      ? [{ label: 'Python credmon', color: PYTHON, values: python.map((p) => [p.users, p.issuanceS] as const) }]
      : []),
  ],
  inContainer ? [] : [[10_000, 6.5, 'Python credmon (issue 6)']],
);
const sighup = panel(
  W,
  'SIGHUP \u2192 .use for a new user (p50, p99)',
  'milliseconds',
  [
    { label: 'this credmon, p50', color: OURS, values: ours.map((p) => [p.users, p.sighupP50Ms] as const) },
    {
      label: 'this credmon, p99',
      color: OURS,
      values: ours.map((p) => [p.users, p.sighupP99Ms] as const),
      dashed: true,
    },
    ...(inContainer
      ? [
          { label: 'Python, p50', color: PYTHON, values: python.map((p) => [p.users, p.sighupP50Ms] as const) },
          {
            label: 'Python, p99',
            color: PYTHON,
            values: python.map((p) => [p.users, p.sighupP99Ms] as const),
            dashed: true,
          },
        ]
      : []),
  ],
  [],
);
const where = inContainer ? 'in the sandbox container, both credmons in one run' : 'in process';
const note = inContainer ? '' : "; Python's SIGHUP figure at 10k: 524-544 ms";
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${issuance}
${sighup}
<text x="${W}" y="${H + 14}" text-anchor="middle" font-size="10" fill="#666">${where}: ${machine}, ${result.date} (${file})${note}</text>
</svg>
`;
writeFileSync('docs/performance.svg', svg);
console.log(`docs/performance.svg from ${file}`);
