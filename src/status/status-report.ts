import type { CredentialStatus, StatusFile } from './status-file.js';

/** What needs attention first: a refused refresh token, then failures, broken files, due work, then the fresh. */
const ATTENTION = { rejected: 0, failing: 1, broken: 2, due: 3, fresh: 4 } as const;

/** `credentials` sorted for attention, then by soonest expiry (unknown last), user and provider. */
export function sortForAttention(credentials: readonly CredentialStatus[]): CredentialStatus[] {
  return [...credentials].sort(
    (a, b) =>
      ATTENTION[a.state] - ATTENTION[b.state] ||
      (a.expiresMs ?? Infinity) - (b.expiresMs ?? Infinity) ||
      a.user.localeCompare(b.user) ||
      a.provider.localeCompare(b.provider) ||
      a.handle.localeCompare(b.handle),
  );
}

/** How fresh the file is: the credmon's pid alive, and a write within three scan intervals (plus the write delay). */
export function isStale(file: StatusFile, nowMs: number, pidAlive: boolean): boolean {
  return !pidAlive || nowMs - file.writtenMs > (3 * file.scanIntervalS + 10) * 1000;
}

/** "1d 2h", "3h 4m", "5m 6s", "7s"; negative durations get a minus sign. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s %= 86400) / 3600);
  const m = Math.floor((s %= 3600) / 60);
  s %= 60;
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  if (m > 0) return `${sign}${m}m ${s}s`;
  return `${sign}${s}s`;
}

const HEADERS = ['USER', 'PROVIDER', 'HANDLE', 'KIND', 'STATE', 'EXPIRES IN', 'RENEWED', 'NEXT', 'PROBLEM'];

function row(c: CredentialStatus, nowMs: number): string[] {
  const expires = c.expiresMs === null ? '?' : c.expiresMs <= nowMs ? 'expired' : formatDuration(c.expiresMs - nowMs);
  const renewed = c.renewedMs === null ? '-' : `${formatDuration(nowMs - c.renewedMs)} ago`;
  const next = c.nextMs === null ? 'on change' : c.nextMs <= nowMs ? 'now' : `in ${formatDuration(c.nextMs - nowMs)}`;
  const failures = c.failures > 0 ? `${c.failures} failure${c.failures === 1 ? '' : 's'}: ` : '';
  const problem = c.problem === null ? '' : `${failures}${c.problem}`.replace(/[\r\n\t]+/g, ' ');
  return [c.user, c.provider, c.handle || '-', c.kind, c.state, expires, renewed, next, problem];
}

/** The table credmon-status prints: a line about the credmon, then one line per credential. */
export function formatStatusTable(
  file: StatusFile,
  credentials: readonly CredentialStatus[],
  nowMs: number,
  pidAlive: boolean,
): string {
  const written = formatDuration(nowMs - file.writtenMs);
  const scan = file.lastScanMs === null ? 'no scan yet' : `last scan ${formatDuration(nowMs - file.lastScanMs)} ago`;
  const lines = [
    `credmon pid ${file.pid} (${pidAlive ? 'running' : 'NOT running'}), status written ${written} ago, ${scan}`,
  ];
  if (isStale(file, nowMs, pidAlive)) {
    lines.push(
      'Warning: this status is old: the credmon is not running or not scanning; what follows may be out of date',
    );
  }
  if (credentials.length === 0) return `${[...lines, 'No credentials.'].join('\n')}\n`;
  const rows = [HEADERS, ...credentials.map((c) => row(c, nowMs))];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) {
    const cells = r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)));
    lines.push(cells.join('  ').trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
