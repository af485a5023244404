import { ConfigInvalid } from '../shared/errors.js';
import { DAEMON_DEFAULTS, LOCAL_DEFAULTS } from './knobs.js';
import { formatTemplate } from './format-template.js';
import { parseAbsolutePath, parseBoolean, parseLocalIssuer, parsePositiveInteger, type KnobLookup } from './values.js';

export interface LocalIssuerConfig {
  /** `<user>/<providerName>.top` files are what the local issuer answers. */
  readonly providerName: string;
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  readonly keyId: string;
  readonly issuer: string;
  readonly authzTemplate: string;
  readonly authzGroupTemplate: string | undefined;
  readonly authzGroupMapfile: string | undefined;
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
  readonly local: LocalIssuerConfig;
}

const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9\-+=.]*$/;

/**
 * Turns raw knob values into one validated, frozen configuration. Every problem is reported at once, each naming
 * its knob, so an admin fixes the configuration in one round.
 */
export function parseCredmonConfig(lookup: KnobLookup, subsystem = 'CREDMON_OAUTH'): CredmonConfig {
  const problems: string[] = [];
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

  const providerName = (lookup('LOCAL_CREDMON_PROVIDER_NAME') ?? '').trim() || LOCAL_DEFAULTS.providerName;
  if (!PROVIDER_NAME.test(providerName)) {
    problems.push(`LOCAL_CREDMON_PROVIDER_NAME = ${providerName}: use letters, digits and - + = . only`);
  }

  const issuer = parseLocalIssuer(lookup, problems);

  const authzTemplate = (lookup('LOCAL_CREDMON_AUTHZ_TEMPLATE') ?? '').trim() || LOCAL_DEFAULTS.authzTemplate;
  checkTemplate('LOCAL_CREDMON_AUTHZ_TEMPLATE', authzTemplate, 'username', problems);
  const groupTemplateRaw = (lookup('LOCAL_CREDMON_AUTHZ_GROUP_TEMPLATE') ?? '').trim();
  const authzGroupTemplate = groupTemplateRaw === '' ? undefined : groupTemplateRaw;
  if (authzGroupTemplate !== undefined) checkTemplate('LOCAL_CREDMON_AUTHZ_GROUP_TEMPLATE', authzGroupTemplate, 'groupname', problems);
  const authzGroupMapfile = parseAbsolutePath('LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE', lookup('LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE'), undefined, problems);

  const versionRaw = lookup('LOCAL_CREDMON_TOKEN_VERSION');
  const tokenVersion = versionRaw === undefined ? LOCAL_DEFAULTS.tokenVersion : versionRaw.trim() === '' ? undefined : versionRaw.trim();
  const audience = (lookup('LOCAL_CREDMON_TOKEN_AUDIENCE') ?? '').split(/\s+/).filter((a) => a !== '');
  if (audience.length === 0 && tokenVersion?.toLowerCase() === 'scitoken:2.0') {
    problems.push('LOCAL_CREDMON_TOKEN_AUDIENCE must be set when LOCAL_CREDMON_TOKEN_VERSION is scitoken:2.0 (the SciTokens 2.0 profile requires "aud")');
  }

  const local: LocalIssuerConfig = Object.freeze({
    providerName,
    privateKeyPath:
      parseAbsolutePath('LOCAL_CREDMON_PRIVATE_KEY', lookup('LOCAL_CREDMON_PRIVATE_KEY'), LOCAL_DEFAULTS.privateKeyPath, problems) ??
      LOCAL_DEFAULTS.privateKeyPath,
    publicKeyPath:
      parseAbsolutePath('LOCAL_CREDMON_PUBLIC_KEY', lookup('LOCAL_CREDMON_PUBLIC_KEY'), LOCAL_DEFAULTS.publicKeyPath, problems) ?? LOCAL_DEFAULTS.publicKeyPath,
    keyId: (lookup('LOCAL_CREDMON_KEY_ID') ?? '').trim() || LOCAL_DEFAULTS.keyId,
    issuer,
    authzTemplate,
    authzGroupTemplate,
    authzGroupMapfile,
    tokenLifetimeS: parsePositiveInteger('LOCAL_CREDMON_TOKEN_LIFETIME', lookup('LOCAL_CREDMON_TOKEN_LIFETIME'), LOCAL_DEFAULTS.tokenLifetimeS, problems),
    audience: Object.freeze(audience),
    tokenVersion,
    useJson: parseBoolean('LOCAL_CREDMON_TOKEN_USE_JSON', lookup('LOCAL_CREDMON_TOKEN_USE_JSON'), LOCAL_DEFAULTS.useJson, problems),
  });

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
    local,
  });
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return config;
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
