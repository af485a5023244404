import type { CredentialKind } from '../credentials/index.js';
import type { CredentialState } from '../credmon/index.js';
import { CredentialFileInvalid } from '../shared/errors.js';

/**
 * `.credmon-status.json`: what the credmon knows of every credential it tracks, written by the credmon after its
 * scans (status-writer.ts) and read by credmon-status. Times are epoch milliseconds; null = none or unknown.
 */
export interface StatusFile {
  readonly version: 1;
  readonly pid: number;
  readonly writtenMs: number;
  readonly lastScanMs: number | null;
  readonly scanIntervalS: number;
  readonly credentials: readonly CredentialStatus[];
}

export interface CredentialStatus {
  readonly user: string;
  /** The configured provider it belongs to, and its handle ('' for none). */
  readonly provider: string;
  readonly handle: string;
  readonly kind: CredentialKind;
  readonly state: CredentialState;
  /** When the `.use` expires / was last written. */
  readonly expiresMs: number | null;
  readonly renewedMs: number | null;
  /** When the credmon looks at it next; null = when its files change. */
  readonly nextMs: number | null;
  readonly failures: number;
  /** The last problem, as logged (scrubbed); null when none. */
  readonly problem: string | null;
}

const KINDS: readonly string[] = ['local', 'oauth', 'client'];
const STATES: readonly string[] = ['fresh', 'due', 'failing', 'rejected', 'broken'];

export function formatStatusFile(status: StatusFile): string {
  return `${JSON.stringify(status)}\n`;
}

/** Parses and checks a status file; a file that is not one says what is wrong with it (CredentialFileInvalid). */
export function parseStatusFile(label: string, text: string): StatusFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CredentialFileInvalid(label, 'is not JSON (the credmon writes it whole: was it edited?)');
  }
  const file = value as Partial<Record<keyof StatusFile, unknown>>;
  if (typeof value !== 'object' || value === null || file.version !== 1) {
    throw new CredentialFileInvalid(label, 'is not a status file of this credmon (version 1)');
  }
  if (!isCount(file.pid) || !isTime(file.writtenMs) || !isTimeOrNull(file.lastScanMs) || !isCount(file.scanIntervalS)) {
    throw new CredentialFileInvalid(label, 'has no valid pid, writtenMs, lastScanMs or scanIntervalS');
  }
  if (!Array.isArray(file.credentials)) throw new CredentialFileInvalid(label, 'has no credentials list');
  const credentials = file.credentials.map((entry: unknown, i) => {
    const c = entry as Partial<Record<keyof CredentialStatus, unknown>>;
    const valid =
      typeof entry === 'object' &&
      entry !== null &&
      typeof c.user === 'string' &&
      typeof c.provider === 'string' &&
      typeof c.handle === 'string' &&
      KINDS.includes(String(c.kind)) &&
      STATES.includes(String(c.state)) &&
      isTimeOrNull(c.expiresMs) &&
      isTimeOrNull(c.renewedMs) &&
      isTimeOrNull(c.nextMs) &&
      isCount(c.failures) &&
      (c.problem === null || typeof c.problem === 'string');
    if (!valid) throw new CredentialFileInvalid(label, `has an invalid entry at position ${i}`);
    return entry as CredentialStatus;
  });
  return { ...(value as StatusFile), credentials };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isTimeOrNull(v: unknown): v is number | null {
  return v === null || isTime(v);
}
