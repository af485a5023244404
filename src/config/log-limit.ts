import { parseBoolean, type KnobLookup } from './values.js';

/**
 * HTCondor's daemon-log bounds (`MAX_<SUBSYS>_LOG`, `MAX_DEFAULT_LOG`, `MAX_NUM_<SUBSYS>_LOG`,
 * `TRUNC_<SUBSYS>_LOG_ON_OPEN`), read as HTCondor's dprintf reads them (docs/admin-manual/configuration/global.rst).
 */

/** How large or how old a log may grow before it is rotated; a value of 0 means without bound. */
export interface LogLimit {
  readonly unit: 'bytes' | 'seconds';
  readonly value: number;
}

/** What the credmon's log file is held to. */
export interface LogBounds {
  readonly limit: LogLimit;
  /** How many rotated files are kept (`MAX_NUM_<SUBSYS>_LOG`, default 1: one `.old`). */
  readonly maxRotated: number;
  readonly truncateOnOpen: boolean;
  /** The knob the limit came from, for messages (`MAX_CREDMON_OAUTH_LOG` or `MAX_DEFAULT_LOG`). */
  readonly knob: string;
}

/** MAX_DEFAULT_LOG's own default: 10 MiB. */
export const DEFAULT_LOG_LIMIT: LogLimit = { unit: 'bytes', value: 10 * 1024 * 1024 };

const KIB = 1024;
const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, K: KIB, M: KIB ** 2, G: KIB ** 3, T: KIB ** 4 };
const TIME_UNITS: Readonly<Record<string, number>> = { S: 1, M: 60, H: 3600, D: 86_400, W: 604_800 };

/**
 * Whether a unit word starting with M means minutes: `Min` (any case) and a lone lower-case `m` do; `Mb`, `Mib` and
 * a lone `M` mean MiB, as HTCondor's dprintf decides between the two.
 */
function isMinutes(unit: string): boolean {
  if (unit.length === 1) return unit === 'm';
  const second = unit[1]?.toUpperCase();
  return second === 'I' && unit[2]?.toUpperCase() !== 'B';
}

/**
 * Parses `<integer> [unit]`: Bytes, Kb, Mb, Gb, Tb (powers of 1024) or Sec, Min, Hr, Day, Wk; only the first letters
 * count (`Mb` vs `Min`, see isMinutes). Undefined for anything else: no number, a negative one, an unknown unit.
 */
export function parseLogLimit(text: string): LogLimit | undefined {
  const match = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? '';
  if (!Number.isSafeInteger(value)) return undefined;
  if (unit === '') return { unit: 'bytes', value };
  const first = unit[0]!.toUpperCase();
  if (first === 'M')
    return isMinutes(unit) ? { unit: 'seconds', value: value * 60 } : { unit: 'bytes', value: value * KIB ** 2 };
  const size = SIZE_UNITS[first];
  if (size !== undefined) return { unit: 'bytes', value: value * size };
  const time = TIME_UNITS[first];
  if (time !== undefined) return { unit: 'seconds', value: value * time };
  return undefined;
}

const UNITS_HINT = 'an integer >= 0, optionally followed by Bytes, Kb, Mb, Gb, Tb, Sec, Min, Hr, Day or Wk';

/** The knobs parseLogBounds reads for `subsystem`, for condor_config_val. */
export function logBoundKnobs(subsystem: string): string[] {
  return [`MAX_${subsystem}_LOG`, 'MAX_DEFAULT_LOG', `MAX_NUM_${subsystem}_LOG`, `TRUNC_${subsystem}_LOG_ON_OPEN`];
}

/** One limit knob's value, or the fallback with a problem naming the knob. */
function readLimit(knob: string, raw: string, fallback: LogLimit, problems: string[]): LogLimit {
  const limit = parseLogLimit(raw);
  if (limit === undefined) problems.push(`${knob} = ${raw}: expected ${UNITS_HINT}`);
  return limit ?? fallback;
}

/**
 * `MAX_<SUBSYS>_LOG` (else `MAX_DEFAULT_LOG`, else 10 MiB), `MAX_NUM_<SUBSYS>_LOG` (default 1, at least 0: 0 keeps one
 * `.old` as HTCondor does) and `TRUNC_<SUBSYS>_LOG_ON_OPEN`. As in HTCondor, MAX_DEFAULT_LOG must be a size.
 */
export function parseLogBounds(lookup: KnobLookup, subsystem: string, problems: string[]): LogBounds {
  const [ownKnob, defaultKnob, numKnob, truncKnob] = logBoundKnobs(subsystem) as [string, string, string, string];
  const defaultRaw = lookup(defaultKnob);
  let fallback = DEFAULT_LOG_LIMIT;
  if (defaultRaw !== undefined && defaultRaw.trim() !== '') {
    fallback = readLimit(defaultKnob, defaultRaw, DEFAULT_LOG_LIMIT, problems);
    if (fallback.unit === 'seconds') {
      problems.push(`${defaultKnob} = ${defaultRaw}: must be a size, not a time (set ${ownKnob} for a time)`);
      fallback = DEFAULT_LOG_LIMIT;
    }
  }
  const ownRaw = lookup(ownKnob);
  const own = ownRaw !== undefined && ownRaw.trim() !== '';
  const limit = own ? readLimit(ownKnob, ownRaw, fallback, problems) : fallback;
  const numRaw = lookup(numKnob)?.trim() ?? '';
  let maxRotated = 1;
  if (numRaw !== '') {
    if (/^\d+$/.test(numRaw) && Number.isSafeInteger(Number(numRaw))) maxRotated = Number(numRaw);
    else problems.push(`${numKnob} = ${numRaw}: expected a whole number >= 0 (how many rotated logs to keep)`);
  }
  const truncateOnOpen = parseBoolean(truncKnob, lookup(truncKnob), false, problems);
  return { limit, maxRotated, truncateOnOpen, knob: own ? ownKnob : defaultKnob };
}
