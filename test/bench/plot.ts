/**
 * Draws docs/performance.svg from a benchmark result (bench-results/credmon-*.json, the newest unless one is named):
 * issuance time and SIGHUP→.use latency against the number of users, with the Python credmon's figures at 10,000.
 *   node --import tsx test/bench/plot.ts [bench-results/credmon-....json]
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LocalFigures {
  users: number;
  issuanceS: number;
  sighupP50Ms: number;
  sighupP99Ms: number;
}

const file =
  process.argv[2] ??
  join(
    'bench-results',
    readdirSync('bench-results')
      .filter((f) => f.startsWith('credmon-') && f.endsWith('.json'))
      .sort()
      .at(-1) ?? '',
  );
const result = JSON.parse(readFileSync(file, 'utf8')) as { date: string; machine: string; local: LocalFigures[] };
const points = [...result.local].sort((a, b) => a.users - b.users);

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

const issuance = panel(
  0,
  'Time to sign every user\u2019s token',
  'seconds',
  [{ label: 'this credmon', color: '#1565c0', values: points.map((p) => [p.users, p.issuanceS] as const) }],
  [[10_000, 6.5, 'Python credmon (issue 6)']],
);
const sighup = panel(
  W,
  'SIGHUP \u2192 .use for a new user',
  'milliseconds',
  [
    { label: 'p50', color: '#2e7d32', values: points.map((p) => [p.users, p.sighupP50Ms] as const) },
    { label: 'p99', color: '#ef6c00', values: points.map((p) => [p.users, p.sighupP99Ms] as const), dashed: true },
  ],
  [],
);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${issuance}
${sighup}
<text x="${W}" y="${H + 14}" text-anchor="middle" font-size="10" fill="#666">${result.machine}, ${result.date} (${file}); Python's SIGHUP figure at 10k: 524-544 ms</text>
</svg>
`;
writeFileSync('docs/performance.svg', svg);
console.log(`docs/performance.svg from ${file}`);
