import { parseAbsolutePath, type KnobLookup } from './values.js';

/** The credential directory's knobs, the first one set wins: HTCondor's OAuth directory, then its general one. */
export const CRED_DIR_KNOBS = ['SEC_CREDENTIAL_DIRECTORY_OAUTH', 'SEC_CREDENTIAL_DIRECTORY'] as const;

const SET_IT = 'add "use feature : OAUTH" to the HTCondor configuration';
/** The problem when neither knob is set. */
export const CRED_DIR_NOT_SET = `SEC_CREDENTIAL_DIRECTORY_OAUTH is not set (${SET_IT})`;

/**
 * The credential directory, for the credmon and the web app alike: SEC_CREDENTIAL_DIRECTORY_OAUTH, else
 * SEC_CREDENTIAL_DIRECTORY, an absolute path. '' when it is unset or not absolute; either is a problem named after
 * SEC_CREDENTIAL_DIRECTORY_OAUTH, the knob `use feature : OAUTH` sets.
 */
export function parseCredDir(lookup: KnobLookup, problems: string[]): string {
  const [oauthKnob, generalKnob] = CRED_DIR_KNOBS;
  const raw = lookup(oauthKnob) ?? lookup(generalKnob);
  if (raw === undefined || raw.trim() === '') {
    problems.push(CRED_DIR_NOT_SET);
    return '';
  }
  return parseAbsolutePath(oauthKnob, raw, undefined, problems) ?? '';
}
