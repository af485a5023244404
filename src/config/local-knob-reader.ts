import type { KnobGate } from './condor-version.js';
import { KNOB_SINCE, type PER_PROVIDER_KNOBS } from './knobs.js';

/** A knob upstream's LocalCredmon reads per provider: LOCAL_CREDMON_<provider>_<KNOB>, else LOCAL_CREDMON_<KNOB>. */
export type LocalKnob = (typeof PER_PROVIDER_KNOBS)[number];

/** The knob a value came from (for messages) and its raw value; undefined when neither form counts. */
export interface KnobValue {
  readonly name: string;
  readonly raw: string | undefined;
}

/** Reads one local issuer knob of one provider. */
export type LocalKnobReader = (provider: string, knob: LocalKnob) => KnobValue;

/** General knobs that came after 23.9, with what the credmon does when an older HTCondor is told them. */
const LATER_KNOBS = {
  PRIVATE_KEY_ALGORITHM: 'ignored; signing with ES256',
  AUTHZ_TEMPLATE_EXPR: 'ignored; no scope from it',
  AUTHZ_GROUP_REQUIREMENT: 'ignored; every user gets a token',
} as const satisfies Partial<Record<LocalKnob, string>>;

type LaterKnob = keyof typeof LATER_KNOBS;

const PER_PROVIDER_SINCE = KNOB_SINCE['LOCAL_CREDMON_<provider>_<KNOB>'];

/**
 * upstream's get_credmon_config: LOCAL_CREDMON_<provider>_<KNOB> (24.3+), then LOCAL_CREDMON_<KNOB>. A per-provider
 * knob, or a later general knob, that the gate's HTCondor does not know is reported once for the reader's life (so
 * once, however many providers read it) and ignored.
 */
export function createLocalKnobReader(gate: KnobGate): LocalKnobReader {
  const perProvider = gate.knows(PER_PROVIDER_SINCE);
  const reported = new Set<string>();
  const firstTime = (name: string): boolean => {
    if (reported.has(name)) return false;
    reported.add(name);
    return true;
  };
  const readLater = (knob: LaterKnob): string | undefined => {
    const name = `LOCAL_CREDMON_${knob}` as const;
    if (firstTime(name)) return gate.known(name, name, LATER_KNOBS[knob]);
    return gate.knows(KNOB_SINCE[name]) ? gate.lookup(name) : undefined;
  };
  const readGeneral = (knob: LocalKnob): KnobValue => {
    const name = `LOCAL_CREDMON_${knob}`;
    return { name, raw: isLaterKnob(knob) ? readLater(knob) : gate.lookup(name) };
  };
  return (provider, knob) => {
    const specific = `LOCAL_CREDMON_${provider}_${knob}`;
    const raw = gate.lookup(specific);
    if (raw !== undefined && perProvider) return { name: specific, raw };
    if (raw !== undefined && firstTime(specific)) gate.warnings.push(perProviderIgnored(gate, specific, knob));
    return readGeneral(knob);
  };
}

function isLaterKnob(knob: LocalKnob): knob is LaterKnob {
  return Object.hasOwn(LATER_KNOBS, knob);
}

function perProviderIgnored(gate: KnobGate, specific: string, knob: LocalKnob): string {
  const running = gate.condorVersion ?? '';
  return (
    `${specific} is set, but HTCondor ${running} does not know per-provider knobs (they came in ` +
    `${PER_PROVIDER_SINCE}): ignored; using LOCAL_CREDMON_${knob}`
  );
}
