import type { KnobGate } from './condor-version.js';
import { HANDLE_RULES_SINCE, LOCAL_DEFAULTS } from './knobs.js';
import { parseBoolean } from './values.js';

/** How the running HTCondor names providers and credentials. */
export interface NameRules {
  /** 25.13.2+: provider names are [A-Za-z0-9-] only (unless special characters are allowed). */
  readonly handleRules: boolean;
  /** CREDMON_ALLOW_SPECIAL_CHAR_NAMES (25.13.2+). */
  readonly allowSpecial: boolean;
  /** `<provider>_<handle>` names (25.13.2+ without CREDMON_ALLOW_SPECIAL_CHAR_NAMES), or whole names (23.9). */
  readonly handles: boolean;
}

/** A provider name that cannot be used. `disallowed`: upstream exits DAEMON_NO_RESTART on it (25.13.2+). */
export interface NameProblem {
  readonly disallowed: boolean;
  readonly message: string;
}

/** The providers of the local and the OAuth2 credmon. */
export interface ProviderNames {
  /** Never empty: LOCAL_CREDMON_PROVIDER_NAMES, or LOCAL_CREDMON_PROVIDER_NAME, or scitokens. */
  readonly local: string[];
  /** The knob the local names came from. */
  readonly localList: 'LOCAL_CREDMON_PROVIDER_NAMES' | 'LOCAL_CREDMON_PROVIDER_NAME';
  /** OAUTH2_CREDMON_PROVIDER_NAMES; `*` means every provider that is not a local one. */
  readonly oauth: string[];
  /** CLIENT_CREDMON_PROVIDER_NAMES (24.3+): providers whose tokens the credmon gets by the client-credentials grant. */
  readonly client: string[];
}

/** 23.9 (and our own earlier) rule for LOCAL_CREDMON_PROVIDER_NAME, a file-name-safe stem. */
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9\-+=.]*$/;
/** 25.13.2+ rule (credmon/utils/utils.py VALID_PROVIDER_NAME_CHARS_RE): alphanumerics and hyphen. */
const PROVIDER_NAME_25 = /^[A-Za-z0-9-]+$/;
/** upstream splits lists with re.split(r"[\s,]+") and drops empty items. */
const LIST_SEPARATOR = /[\s,]+/;

/** The name rules of the gate's HTCondor, and CREDMON_ALLOW_SPECIAL_CHAR_NAMES (false by default). */
export function parseNameRules(gate: KnobGate, problems: string[]): NameRules {
  const knob = 'CREDMON_ALLOW_SPECIAL_CHAR_NAMES';
  const handleRules = gate.knows(HANDLE_RULES_SINCE);
  const allowSpecial = parseBoolean(knob, gate.known(knob, knob, 'ignored'), false, problems);
  return { handleRules, allowSpecial, handles: handleRules && !allowSpecial };
}

/** What is wrong with provider `name` of knob `list` under `rules`; undefined when nothing (`*` is always fine). */
export function checkProviderName(rules: NameRules, list: string, name: string): NameProblem | undefined {
  if (name === '*') return undefined;
  if (!rules.handleRules) {
    if (PROVIDER_NAME.test(name)) return undefined;
    return { disallowed: false, message: `${list} = ${name}: use letters, digits and - + = . only` };
  }
  if (!rules.allowSpecial && !PROVIDER_NAME_25.test(name)) {
    const message =
      `Credential provider "${name}" in ${list} contains disallowed characters and CREDMON_ALLOW_SPECIAL_CHAR_NAMES ` +
      'is False (use letters, digits and - only)';
    return { disallowed: true, message };
  }
  if (PROVIDER_NAME.test(name.replace(/_/g, '-'))) return undefined;
  return { disallowed: false, message: `${list} = ${name}: not usable as a file name` };
}

/**
 * The local providers, as upstream's condor_credmon_oauth picks them: LOCAL_CREDMON_PROVIDER_NAMES (24.3+) when it
 * names any provider, else LOCAL_CREDMON_PROVIDER_NAME, else scitokens.
 */
export function parseLocalProviderNames(gate: KnobGate): Pick<ProviderNames, 'local' | 'localList'> {
  const single = (gate.lookup('LOCAL_CREDMON_PROVIDER_NAME') ?? '').trim() || LOCAL_DEFAULTS.providerName;
  const list = 'LOCAL_CREDMON_PROVIDER_NAMES';
  const what = `ignored; issuing for LOCAL_CREDMON_PROVIDER_NAME = ${single}`;
  const local = unique(splitList(gate.known(list, list, what)));
  if (local.length > 0) return { local, localList: list };
  return { local: [single], localList: 'LOCAL_CREDMON_PROVIDER_NAME' };
}

/** OAUTH2_CREDMON_PROVIDER_NAMES (24.3+), `*` when it names none; a provider also local is a warning (upstream's). */
export function parseOAuthProviderNames(gate: KnobGate, local: readonly string[]): string[] {
  const list = 'OAUTH2_CREDMON_PROVIDER_NAMES';
  const oauth = unique(splitList(gate.known(list, list, 'ignored; refreshing every provider')));
  if (oauth.length === 0) oauth.push(LOCAL_DEFAULTS.oauthProviders);
  for (const name of oauth) {
    if (!local.includes(name)) continue;
    const overlap = 'overlap between local and oauth2 credmons, continuing anyway...';
    gate.warnings.push(`Credential providers named ${name} ${overlap}`);
  }
  return oauth;
}

/** CLIENT_CREDMON_PROVIDER_NAMES (24.3+; upstream's ClientCredmon, one per name); none when unset. */
export function parseClientProviderNames(gate: KnobGate): string[] {
  const list = 'CLIENT_CREDMON_PROVIDER_NAMES';
  return unique(splitList(gate.known(list, list, 'ignored; no client-credentials tokens')));
}

/** Every list of providers. */
export function parseProviderNames(gate: KnobGate): ProviderNames {
  const { local, localList } = parseLocalProviderNames(gate);
  return { local, localList, oauth: parseOAuthProviderNames(gate, local), client: parseClientProviderNames(gate) };
}

/**
 * The problems of every provider name of every list under `rules`, local ones first. A client provider that is also
 * a local one is a problem: both would write its `.use` (upstream starts both credmons on it).
 */
export function checkProviderNames(rules: NameRules, names: ProviderNames): NameProblem[] {
  const local = names.local.map((name) => checkProviderName(rules, names.localList, name));
  const oauth = names.oauth.map((name) => checkProviderName(rules, 'OAUTH2_CREDMON_PROVIDER_NAMES', name));
  const client = names.client.map((name) => checkClientProviderName(rules, names, name));
  return [...local, ...oauth, ...client].filter((problem) => problem !== undefined);
}

function checkClientProviderName(rules: NameRules, names: ProviderNames, name: string): NameProblem | undefined {
  const list = 'CLIENT_CREDMON_PROVIDER_NAMES';
  if (name === '*') return { disallowed: false, message: `${list} = *: name each client provider` };
  if (names.local.includes(name)) {
    const message = `${list} = ${name}: ${name} is also in ${names.localList}; a provider is one or the other`;
    return { disallowed: false, message };
  }
  return checkProviderName(rules, list, name);
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '').split(LIST_SEPARATOR).filter((item) => item !== '');
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
