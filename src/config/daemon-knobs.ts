import { DAEMON_DEFAULTS } from './knobs.js';
import { parseLogBounds, type LogBounds } from './log-limit.js';
import { parseAbsolutePath, parsePositiveInteger, type KnobLookup } from './values.js';

/** The daemon's own log, from knobs with its subsystem prefix (`<NAME>_LOG`, `<NAME>_DEBUG`). */
export interface DaemonLog {
  /** `<NAME>_LOG`, else `$(LOG)/CredmonOauthLog`; undefined when neither is set. */
  readonly logFile: string | undefined;
  /** `<NAME>_DEBUG` holds D_FULLDEBUG, D_ALL or D_VERBOSE (any case). */
  readonly debug: boolean;
  /** How large or old the log may grow and how many rotated files are kept (MAX_<NAME>_LOG and friends). */
  readonly logBounds: LogBounds;
}

/** The daemon's timings and parallelism, from knobs with its subsystem prefix (`<NAME>_SCAN_INTERVAL`, ...). */
export interface DaemonTimings {
  readonly scanIntervalS: number;
  readonly refreshTimeoutS: number;
  readonly keyFileLifetimeS: number;
  readonly refreshConcurrency: number;
  /** `<NAME>_SIGNING_THREADS`; 0 (unset, blank or 0) = one per core. */
  readonly signingThreads: number;
}

const DEBUG_FLAGS = /\bD_(FULLDEBUG|ALL|VERBOSE)\b/i;

/** `<subsystem>_LOG` and `<subsystem>_DEBUG`; the log file is an absolute path. */
export function parseDaemonLog(lookup: KnobLookup, subsystem: string, problems: string[]): DaemonLog {
  const logDir = lookup('LOG');
  const logDefault = logDir ? `${logDir.replace(/\/+$/, '')}/CredmonOauthLog` : undefined;
  const logKnob = `${subsystem}_LOG`;
  const logFile = parseAbsolutePath(logKnob, lookup(logKnob), logDefault, problems);
  const debug = DEBUG_FLAGS.test(lookup(`${subsystem}_DEBUG`) ?? '');
  return { logFile, debug, logBounds: parseLogBounds(lookup, subsystem, problems) };
}

/** `<subsystem>_SCAN_INTERVAL`, _REFRESH_TIMEOUT, _KEY_FILE_LIFETIME, _REFRESH_CONCURRENCY and _SIGNING_THREADS. */
export function parseDaemonTimings(lookup: KnobLookup, subsystem: string, problems: string[]): DaemonTimings {
  const positive = (suffix: string, fallback: number): number => {
    const knob = `${subsystem}_${suffix}`;
    return parsePositiveInteger(knob, lookup(knob), fallback, problems);
  };
  const threadsKnob = `${subsystem}_SIGNING_THREADS`;
  return {
    scanIntervalS: positive('SCAN_INTERVAL', DAEMON_DEFAULTS.scanIntervalS),
    refreshTimeoutS: positive('REFRESH_TIMEOUT', DAEMON_DEFAULTS.refreshTimeoutS),
    keyFileLifetimeS: positive('KEY_FILE_LIFETIME', DAEMON_DEFAULTS.keyFileLifetimeS),
    refreshConcurrency: positive('REFRESH_CONCURRENCY', DAEMON_DEFAULTS.refreshConcurrency),
    signingThreads: parseThreadCount(threadsKnob, lookup(threadsKnob), problems),
  };
}

/** A count of worker threads: 0 when unset, blank or 0 (one per core), else a positive whole number. */
export function parseThreadCount(knob: string, raw: string | undefined, problems: string[]): number {
  if (raw === undefined || raw.trim() === '' || raw.trim() === '0') return 0;
  return parsePositiveInteger(knob, raw, 0, problems);
}
