import { KNOB_SINCE } from './knobs.js';
import type { KnobLookup } from './values.js';

/** A knob that came after HTCondor 23.9, keyed as in KNOB_SINCE. */
export type VersionedKnob = keyof typeof KNOB_SINCE;

/**
 * What the running HTCondor knows. A knob its version does not know is ignored, as that HTCondor would ignore it,
 * and reported once in `warnings`, saying what the credmon does instead.
 */
export interface KnobGate {
  readonly lookup: KnobLookup;
  /** CONDOR_VERSION, or undefined when it does not say (then the newest rules apply). */
  readonly condorVersion: string | undefined;
  /** One line per knob that is set but unknown to this HTCondor; the gate appends to it. */
  readonly warnings: string[];
  /** True when this HTCondor is at least version `since` (always, when its version is unknown). */
  knows(since: string): boolean;
  /** The value of knob `name` when this HTCondor knows `knob`; a set-but-unknown knob is reported with `what`. */
  known(knob: VersionedKnob, name: string, what: string): string | undefined;
}

/** `23.9.6` → [23, 9, 6]; undefined when it is not a dotted version. */
export function parseVersion(version: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** True when `version` is older than `since`; an unreadable version counts as the newest. */
export function versionBefore(version: string, since: string): boolean {
  const a = parseVersion(version);
  const b = parseVersion(since);
  if (!a || !b) return false;
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/** CONDOR_VERSION: the running HTCondor's version, undefined when unset or blank; a garbled one is a problem. */
export function parseCondorVersion(lookup: KnobLookup, problems: string[]): string | undefined {
  const raw = (lookup('CONDOR_VERSION') ?? '').trim();
  if (raw === '') return undefined;
  if (parseVersion(raw) === undefined) problems.push(`CONDOR_VERSION = ${raw}: expected a version such as 23.9.6`);
  return raw;
}

/** The gate of HTCondor `condorVersion` over `lookup`; its warnings go to `warnings`. */
export function createKnobGate(lookup: KnobLookup, condorVersion?: string, warnings: string[] = []): KnobGate {
  const knows = (since: string): boolean => condorVersion === undefined || !versionBefore(condorVersion, since);
  const known = (knob: VersionedKnob, name: string, what: string): string | undefined => {
    const raw = lookup(name);
    if (raw === undefined) return undefined;
    const since = KNOB_SINCE[knob];
    if (knows(since)) return raw;
    const running = condorVersion ?? '';
    warnings.push(`${name} is set, but HTCondor ${running} does not know it (it came in ${since}): ${what}`);
    return undefined;
  };
  return { lookup, condorVersion, warnings, knows, known };
}
