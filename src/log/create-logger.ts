import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { RotatingLogFile, type RotationPolicy } from './rotating-file.js';

/** Paths whose values never reach a log line, whatever module logs them. */
export const REDACT_PATHS = [
  'access_token',
  'refresh_token',
  'client_secret',
  'clientSecret',
  'accessToken',
  'refreshToken',
  'code',
  'code_verifier',
  'password',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.clientSecret',
  '*.accessToken',
  '*.refreshToken',
  '*.code_verifier',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerOptions {
  readonly name: string;
  readonly debug: boolean;
  /** An HTCondor-style daemon log file (e.g. CREDMON_OAUTH_LOG); lines are plain text, as admins expect there. */
  readonly file?: string | undefined;
  /** How the file is bounded (MAX_<SUBSYS>_LOG and friends); without it the file grows without bound. */
  readonly rotation?: RotationPolicy | undefined;
  /** Also write plain-text lines to stderr (so `docker compose logs` shows them). */
  readonly stderr: boolean;
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARNING',
  50: 'ERROR',
  60: 'FATAL',
};

/**
 * Characters that could end, split or disguise a text log line: C0 and C1 controls (CR, LF, ESC...), DEL, the Unicode
 * line and paragraph separators, and the invisible bidirectional and zero-width formatting marks.
 */
const UNSAFE_IN_LOG_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Makes any text safe inside one log line: unsafe characters become visible escapes (`\n`, `\u2028`, ...). */
export function escapeLogText(text: string): string {
  return text.replace(
    UNSAFE_IN_LOG_LINE,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Turns one pino JSON line into `MM/DD/YY HH:MM:SS [name] LEVEL message key=value ...`: exactly one line, whatever the
 * message and the fields hold (a provider's error_description may carry newlines meant to forge log lines).
 */
export function formatLogLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return `${escapeLogText(json.replace(/\n$/, ''))}\n`;
  }
  const { time, level, msg, name, pid: _pid, hostname: _host, ...rest } = record;
  void _pid;
  void _host;
  const d = new Date(typeof time === 'number' ? time : Date.now());
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${p(d.getMonth() + 1)}/${p(d.getDate())}/${p(d.getFullYear() % 100)} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const lvl = LEVELS[typeof level === 'number' ? level : 30] ?? 'INFO';
  const fields = Object.entries(rest)
    .map(
      ([k, v]) =>
        `${escapeLogText(k)}=${escapeLogText(typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v))}`,
    )
    .join(' ');
  const message = escapeLogText(typeof msg === 'string' ? msg : JSON.stringify(msg ?? ''));
  const label = escapeLogText(typeof name === 'string' ? name : '');
  return `${stamp} [${label}] ${lvl === 'INFO' ? '' : `${lvl}: `}${message}${fields ? ` ${fields}` : ''}\n`;
}

/** Where formatted lines go: stderr, a daemon log file, or both. */
interface LineTarget {
  write(text: string): unknown;
}

class TextDestination extends Writable {
  private readonly targets: LineTarget[];

  constructor(targets: LineTarget[]) {
    super();
    this.targets = targets;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = chunk
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map(formatLogLine)
      .join('');
    for (const t of this.targets) t.write(text);
    callback();
  }
}

const UNBOUNDED: RotationPolicy = { maxBytes: 0, maxSeconds: 0, maxRotated: 1, truncateOnOpen: false, knob: '' };

/**
 * The one root logger of a process, created in src/bin/. Secrets are redacted by path before anything is written.
 * A log file that cannot be opened throws (the system's error: the daemon exits 44, HTCondor's logging error); one
 * that fails later is reported once on stderr and then skipped: logging never stops a running daemon.
 */
export function createLogger(options: LoggerOptions): Logger {
  const targets: LineTarget[] = [];
  if (options.file) {
    const path = options.file;
    const notice = (level: 30 | 40, msg: string): string =>
      formatLogLine(JSON.stringify({ time: Date.now(), level, msg, name: options.name }));
    const file = new RotatingLogFile(path, options.rotation ?? UNBOUNDED, notice, Date.now, (error) => {
      process.stderr.write(`cannot write the log file ${path}: ${error.message}; logging to stderr only\n`);
      targets.splice(targets.indexOf(file), 1);
      if (!targets.includes(process.stderr)) targets.push(process.stderr);
    });
    targets.push(file);
  }
  if (options.stderr || targets.length === 0) targets.push(process.stderr);
  return pino(
    {
      name: options.name,
      level: options.debug ? 'debug' : 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    new TextDestination(targets),
  );
}

/** A logger for tests that collects formatted lines in memory. */
export function createMemoryLogger(name = 'test', debug = true): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(formatLogLine(l));
      cb();
    },
  });
  const logger = pino(
    { name, level: debug ? 'debug' : 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    sink,
  );
  return { logger, lines };
}
