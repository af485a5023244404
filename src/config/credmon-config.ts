import { ConfigInvalid } from '../shared/errors.js';
import { DAEMON_DEFAULTS, HANDLE_RULES_SINCE, KNOB_SINCE, LOCAL_DEFAULTS, type PER_PROVIDER_KNOBS } from './knobs.js';
import { formatTemplate } from './format-template.js';
import { parseAbsolutePath, parseBoolean, parseLocalIssuer, parsePositiveInteger, type KnobLookup } from './values.js';

export type PrivateKeyAlgorithm = 'ES256' | 'RS256';

export interface LocalIssuerConfig {
  /** `<user>/<providerName>.top` (and, with 25.x name rules, `<providerName>_<handle>.top`) files this issuer answers. */
  readonly providerName: string;
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  /**
   * True when the key is LOCAL_CREDMON_PRIVATE_KEY (not LOCAL_CREDMON_<provider>_PRIVATE_KEY): the one key pair the
   * credmon creates when it is missing and publishes as LOCAL_CREDMON_PUBLIC_KEY (upstream's create_credentials).
   */
  readonly sharedKey: boolean;
  readonly keyId: string;
  /** LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: the key the credmon generates and the one it accepts (upstream: ES256, RS256). */
  readonly privateKeyAlgorithm: PrivateKeyAlgorithm;
  readonly issuer: string;
  readonly authzTemplate: string;
  readonly authzGroupTemplate: string | undefined;
  readonly authzGroupMapfile: string | undefined;
  /** LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR (25.2.1+): a ClassAd expression of `Username` whose string is one more scope. */
  readonly authzTemplateExpr: string | undefined;
  /**
   * LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT (24.3.0+): a group (of the group mapfile) a user must be in; others get an
   * empty token, as upstream writes one.
   */
  readonly authzGroupRequirement: string | undefined;
  readonly tokenLifetimeS: number;
  /** Whitespace-split LOCAL_CREDMON_TOKEN_AUDIENCE; empty means no `aud` claim. */
  readonly audience: readonly string[];
  /** `ver` claim; undefined when LOCAL_CREDMON_TOKEN_VERSION is set to the empty string. */
  readonly tokenVersion: string | undefined;
  readonly useJson: boolean;
}

export interface CredmonConfig {
  readonly subsystem: string;
  readonly credDir: string;
  /** The HTCondor-style daemon log; undefined when neither `<NAME>_LOG` nor `LOG` is set. */
  readonly logFile: string | undefined;
  readonly debug: boolean;
  readonly scanIntervalS: number;
  readonly refreshTimeoutS: number;
  readonly keyFileLifetimeS: number;
  /** Token-endpoint requests in flight per provider (token endpoint origin) when it is healthy. */
  readonly refreshConcurrency: number;
  /** Worker threads that sign and write local tokens in bulk; 0 = one per core (at most 4). */
  readonly signingThreads: number;
  /** The first local provider (LOCAL_CREDMON_PROVIDER_NAME on 23.9). */
  readonly local: LocalIssuerConfig;
  /** Every local provider, in the order LOCAL_CREDMON_PROVIDER_NAMES lists them (one on 23.9). */
  readonly localProviders: readonly LocalIssuerConfig[];
  /** OAUTH2_CREDMON_PROVIDER_NAMES; `*` means every provider that is not a local one. */
  readonly oauthProviders: readonly string[];
  /** `<provider>_<handle>` names (25.13.2+ without CREDMON_ALLOW_SPECIAL_CHAR_NAMES), or whole names (23.9). */
  readonly handles: boolean;
  /** The running HTCondor's version (CONDOR_VERSION), or undefined when it does not say. */
  readonly condorVersion: string | undefined;
  /** One line per knob that is set but that the running HTCondor does not know, saying what the credmon does. */
  readonly warnings: readonly string[];
  /** Whether `<provider>_CLIENT_ID` is configured: OAuth tokens of other providers are left alone (upstream). */
  isOAuthClientConfigured(provider: string): boolean;
}

/** 23.9 (and our own earlier) rule for LOCAL_CREDMON_PROVIDER_NAME, a file-name-safe stem. */
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9\-+=.]*$/;
/** 25.13.2+ rule (credmon/utils/utils.py VALID_PROVIDER_NAME_CHARS_RE): alphanumerics and hyphen. */
const PROVIDER_NAME_25 = /^[A-Za-z0-9-]+$/;
/** upstream splits lists with re.split(r"[\s,]+") and drops empty items. */
const LIST_SEPARATOR = /[\s,]+/;
/** DAEMON_NO_RESTART (src/condor_includes/exit.h): upstream's exit status on a disallowed provider name. */
export const EXIT_DAEMON_NO_RESTART = 99;

/**
 * Turns raw knob values into one validated, frozen configuration. Every problem is reported at once, each naming
 * its knob, so an admin fixes the configuration in one round. The running HTCondor's version (CONDOR_VERSION)
 * decides which knobs count: a knob it does not know is ignored, as it would ignore it, and reported in `warnings`.
 */
export function parseCredmonConfig(lookup: KnobLookup, subsystem = 'CREDMON_OAUTH'): CredmonConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const sub = (suffix: string): string => `${subsystem}_${suffix}`;

  const credDirRaw = lookup('SEC_CREDENTIAL_DIRECTORY_OAUTH') ?? lookup('SEC_CREDENTIAL_DIRECTORY');
  const credDir = parseAbsolutePath('SEC_CREDENTIAL_DIRECTORY_OAUTH', credDirRaw, undefined, problems);
  if (credDir === undefined && (credDirRaw === undefined || credDirRaw.trim() === '')) {
    problems.push('SEC_CREDENTIAL_DIRECTORY_OAUTH is not set (add "use feature : OAUTH" to the HTCondor configuration)');
  }

  const logDir = lookup('LOG');
  const logDefault = logDir ? `${logDir.replace(/\/+$/, '')}/CredmonOauthLog` : undefined;
  const logFile = parseAbsolutePath(sub('LOG'), lookup(sub('LOG')), logDefault, problems);
  const debugFlags = lookup(sub('DEBUG')) ?? '';
  const debug = /\bD_(FULLDEBUG|ALL|VERBOSE)\b/i.test(debugFlags);

  const versionRaw = (lookup('CONDOR_VERSION') ?? '').trim();
  const condorVersion = versionRaw === '' ? undefined : versionRaw;
  if (condorVersion !== undefined && parseVersion(condorVersion) === undefined) {
    problems.push(`CONDOR_VERSION = ${condorVersion}: expected a version such as 23.9.6`);
  }
  /** Knows `knob`: unknown version → the newest rules (the knob tells). */
  const knows = (since: string): boolean => condorVersion === undefined || !versionBefore(condorVersion, since);
  /** The knob's value when the running HTCondor knows it; a set-but-unknown knob is reported once and ignored. */
  const known = (knob: keyof typeof KNOB_SINCE, name: string, what: string): string | undefined => {
    const raw = lookup(name);
    if (raw === undefined) return undefined;
    if (knows(KNOB_SINCE[knob])) return raw;
    warnings.push(`${name} is set, but HTCondor ${condorVersion ?? ''} does not know it (it came in ${KNOB_SINCE[knob]}): ${what}`);
    return undefined;
  };

  const handleRules = knows(HANDLE_RULES_SINCE);
  const allowSpecialRaw = known('CREDMON_ALLOW_SPECIAL_CHAR_NAMES', 'CREDMON_ALLOW_SPECIAL_CHAR_NAMES', 'ignored');
  const allowSpecial = parseBoolean('CREDMON_ALLOW_SPECIAL_CHAR_NAMES', allowSpecialRaw, false, problems);
  const handles = handleRules && !allowSpecial;
  const nameProblems: string[] = [];
  const checkName = (list: string, name: string): void => {
    if (name === '*') return;
    if (handleRules) {
      if (!allowSpecial && !PROVIDER_NAME_25.test(name)) {
        nameProblems.push(
          `Credential provider "${name}" in ${list} contains disallowed characters and CREDMON_ALLOW_SPECIAL_CHAR_NAMES ` +
            'is False (use letters, digits and - only)',
        );
      } else if (!PROVIDER_NAME.test(name.replace(/_/g, '-'))) {
        problems.push(`${list} = ${name}: not usable as a file name`);
      }
    } else if (!PROVIDER_NAME.test(name)) {
      problems.push(`${list} = ${name}: use letters, digits and - + = . only`);
    }
  };

  // Precedence as upstream's condor_credmon_oauth: the list when it names any provider, else the single name.
  const namesRaw = known(
    'LOCAL_CREDMON_PROVIDER_NAMES',
    'LOCAL_CREDMON_PROVIDER_NAMES',
    `ignored; issuing for LOCAL_CREDMON_PROVIDER_NAME = ${(lookup('LOCAL_CREDMON_PROVIDER_NAME') ?? '').trim() || LOCAL_DEFAULTS.providerName}`,
  );
  let localNames = unique(splitList(namesRaw));
  let localList = 'LOCAL_CREDMON_PROVIDER_NAMES';
  if (localNames.length === 0) {
    localNames = [(lookup('LOCAL_CREDMON_PROVIDER_NAME') ?? '').trim() || LOCAL_DEFAULTS.providerName];
    localList = 'LOCAL_CREDMON_PROVIDER_NAME';
  }
  for (const name of localNames) checkName(localList, name);

  const oauthRaw = known('OAUTH2_CREDMON_PROVIDER_NAMES', 'OAUTH2_CREDMON_PROVIDER_NAMES', 'ignored; refreshing every provider');
  let oauthProviders = unique(splitList(oauthRaw));
  if (oauthProviders.length === 0) oauthProviders = [LOCAL_DEFAULTS.oauthProviders];
  for (const name of oauthProviders) checkName('OAUTH2_CREDMON_PROVIDER_NAMES', name);
  for (const name of oauthProviders) {
    if (localNames.includes(name)) {
      warnings.push(`Credential providers named ${name} overlap between local and oauth2 credmons, continuing anyway...`);
    }
  }

  const perProvider = knows(KNOB_SINCE['LOCAL_CREDMON_<provider>_<KNOB>']);
  const reportedPerProvider = new Set<string>();
  /** LOCAL_CREDMON_<provider>_<KNOB>, then LOCAL_CREDMON_<KNOB> (upstream's get_credmon_config). */
  const localKnob = (provider: string, knob: (typeof PER_PROVIDER_KNOBS)[number]): { name: string; raw: string | undefined } => {
    const specific = `LOCAL_CREDMON_${provider}_${knob}`;
    const raw = lookup(specific);
    if (raw !== undefined) {
      if (perProvider) return { name: specific, raw };
      if (!reportedPerProvider.has(specific)) {
        reportedPerProvider.add(specific);
        warnings.push(
          `${specific} is set, but HTCondor ${condorVersion ?? ''} does not know per-provider knobs (they came in ` +
            `${KNOB_SINCE['LOCAL_CREDMON_<provider>_<KNOB>']}): ignored; using LOCAL_CREDMON_${knob}`,
        );
      }
    }
    const general = `LOCAL_CREDMON_${knob}`;
    if (knob === 'PRIVATE_KEY_ALGORITHM' || knob === 'AUTHZ_TEMPLATE_EXPR' || knob === 'AUTHZ_GROUP_REQUIREMENT') {
      const what =
        knob === 'PRIVATE_KEY_ALGORITHM'
          ? 'ignored; signing with ES256'
          : knob === 'AUTHZ_TEMPLATE_EXPR'
            ? 'ignored; no scope from it'
            : 'ignored; every user gets a token';
      if (!reportedPerProvider.has(general)) {
        reportedPerProvider.add(general);
        return { name: general, raw: known(knob === 'PRIVATE_KEY_ALGORITHM' ? 'LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM' : `LOCAL_CREDMON_${knob}`, general, what) };
      }
      return { name: general, raw: knows(KNOB_SINCE[`LOCAL_CREDMON_${knob}`]) ? lookup(general) : undefined };
    }
    return { name: general, raw: lookup(general) };
  };

  const localProviders = localNames.map((providerName) => parseLocalProvider(providerName, localKnob, lookup, problems));

  const oauthClients = lookup;
  const config: CredmonConfig = Object.freeze({
    subsystem,
    credDir: credDir ?? '',
    logFile,
    debug,
    scanIntervalS: parsePositiveInteger(sub('SCAN_INTERVAL'), lookup(sub('SCAN_INTERVAL')), DAEMON_DEFAULTS.scanIntervalS, problems),
    refreshTimeoutS: parsePositiveInteger(sub('REFRESH_TIMEOUT'), lookup(sub('REFRESH_TIMEOUT')), DAEMON_DEFAULTS.refreshTimeoutS, problems),
    keyFileLifetimeS: parsePositiveInteger(sub('KEY_FILE_LIFETIME'), lookup(sub('KEY_FILE_LIFETIME')), DAEMON_DEFAULTS.keyFileLifetimeS, problems),
    refreshConcurrency: parsePositiveInteger(sub('REFRESH_CONCURRENCY'), lookup(sub('REFRESH_CONCURRENCY')), DAEMON_DEFAULTS.refreshConcurrency, problems),
    signingThreads: parseThreadCount(sub('SIGNING_THREADS'), lookup(sub('SIGNING_THREADS')), problems),
    local: localProviders[0] as LocalIssuerConfig,
    localProviders: Object.freeze(localProviders),
    oauthProviders: Object.freeze(oauthProviders),
    handles,
    condorVersion,
    warnings: Object.freeze(warnings),
    isOAuthClientConfigured: (provider: string): boolean => oauthClients(`${provider}_CLIENT_ID`) !== undefined,
  });
  if (nameProblems.length > 0) throw new ConfigInvalid([...nameProblems, ...problems], { exitStatus: EXIT_DAEMON_NO_RESTART });
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return config;
}

type LocalKnobReader = (provider: string, knob: (typeof PER_PROVIDER_KNOBS)[number]) => { name: string; raw: string | undefined };

function parseLocalProvider(providerName: string, read: LocalKnobReader, lookup: KnobLookup, problems: string[]): LocalIssuerConfig {
  const knob = (k: (typeof PER_PROVIDER_KNOBS)[number]): { name: string; raw: string | undefined } => read(providerName, k);

  const issuerKnob = knob('ISSUER');
  const issuer = parseLocalIssuer((name) => (name === 'LOCAL_CREDMON_ISSUER' ? issuerKnob.raw : lookup(name)), problems, issuerKnob.name);

  const template = knob('AUTHZ_TEMPLATE');
  const authzTemplate = (template.raw ?? '').trim() || LOCAL_DEFAULTS.authzTemplate;
  checkTemplate(template.name, authzTemplate, 'username', problems);
  const groupTemplate = knob('AUTHZ_GROUP_TEMPLATE');
  const groupTemplateRaw = (groupTemplate.raw ?? '').trim();
  const authzGroupTemplate = groupTemplateRaw === '' ? undefined : groupTemplateRaw;
  if (authzGroupTemplate !== undefined) checkTemplate(groupTemplate.name, authzGroupTemplate, 'groupname', problems);
  const mapfile = knob('AUTHZ_GROUP_MAPFILE');
  const authzGroupMapfile = parseAbsolutePath(mapfile.name, mapfile.raw, undefined, problems);
  const expr = knob('AUTHZ_TEMPLATE_EXPR');
  const authzTemplateExpr = (expr.raw ?? '').trim() || undefined;
  const requirement = knob('AUTHZ_GROUP_REQUIREMENT');
  const authzGroupRequirement = (requirement.raw ?? '').trim() || undefined;
  if (authzGroupRequirement !== undefined && authzGroupMapfile === undefined) {
    const where = mapfile.name === 'LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE' ? '' : ' or LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE';
    const specific = `LOCAL_CREDMON_${providerName}_AUTHZ_GROUP_MAPFILE`;
    const needs = requirement.name.startsWith(`LOCAL_CREDMON_${providerName}_`) ? `${specific}${where}` : mapfile.name;
    problems.push(`${requirement.name} = ${authzGroupRequirement} needs ${needs}: the groups of each user come from it`);
  }

  const version = knob('TOKEN_VERSION');
  const tokenVersion = version.raw === undefined ? LOCAL_DEFAULTS.tokenVersion : version.raw.trim() === '' ? undefined : version.raw.trim();
  const aud = knob('TOKEN_AUDIENCE');
  const audience = (aud.raw ?? '').split(/\s+/).filter((a) => a !== '');
  if (audience.length === 0 && tokenVersion?.toLowerCase() === 'scitoken:2.0') {
    problems.push(`${aud.name} must be set when ${version.name} is scitoken:2.0 (the SciTokens 2.0 profile requires "aud")`);
  }

  const algorithm = knob('PRIVATE_KEY_ALGORITHM');
  const algorithmRaw = (algorithm.raw ?? '').trim().toUpperCase() || LOCAL_DEFAULTS.privateKeyAlgorithm;
  if (algorithmRaw !== 'ES256' && algorithmRaw !== 'RS256') problems.push(`${algorithm.name} = ${algorithm.raw ?? ''}: expected ES256 or RS256`);
  const privateKeyAlgorithm: PrivateKeyAlgorithm = algorithmRaw === 'RS256' ? 'RS256' : 'ES256';

  const privateKey = knob('PRIVATE_KEY');
  const keyId = knob('KEY_ID');
  const lifetime = knob('TOKEN_LIFETIME');
  const useJson = knob('TOKEN_USE_JSON');
  return Object.freeze({
    providerName,
    privateKeyPath: parseAbsolutePath(privateKey.name, privateKey.raw, LOCAL_DEFAULTS.privateKeyPath, problems) ?? LOCAL_DEFAULTS.privateKeyPath,
    publicKeyPath:
      parseAbsolutePath('LOCAL_CREDMON_PUBLIC_KEY', lookup('LOCAL_CREDMON_PUBLIC_KEY'), LOCAL_DEFAULTS.publicKeyPath, problems) ?? LOCAL_DEFAULTS.publicKeyPath,
    sharedKey: privateKey.name === 'LOCAL_CREDMON_PRIVATE_KEY',
    keyId: (keyId.raw ?? '').trim() || LOCAL_DEFAULTS.keyId,
    privateKeyAlgorithm,
    issuer,
    authzTemplate,
    authzGroupTemplate,
    authzGroupMapfile,
    authzTemplateExpr,
    authzGroupRequirement,
    tokenLifetimeS: parsePositiveInteger(lifetime.name, lifetime.raw, LOCAL_DEFAULTS.tokenLifetimeS, problems),
    audience: Object.freeze(audience),
    tokenVersion,
    useJson: parseBoolean(useJson.name, useJson.raw, LOCAL_DEFAULTS.useJson, problems),
  });
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '').split(LIST_SEPARATOR).filter((item) => item !== '');
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
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

function parseThreadCount(knob: string, raw: string | undefined, problems: string[]): number {
  if (raw === undefined || raw.trim() === '' || raw.trim() === '0') return 0;
  return parsePositiveInteger(knob, raw, 0, problems);
}

function checkTemplate(knob: string, template: string, field: string, problems: string[]): void {
  try {
    formatTemplate(template, { [field]: 'x' });
  } catch (error) {
    problems.push(`${knob} = ${template}: ${(error as Error).message}`);
  }
}
