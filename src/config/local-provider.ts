import { formatTemplate } from './format-template.js';
import { LOCAL_DEFAULTS } from './knobs.js';
import type { KnobValue, LocalKnob, LocalKnobReader } from './local-knob-reader.js';
import { parseAbsolutePath, parseBoolean, parseLocalIssuer, parsePositiveInteger, type KnobLookup } from './values.js';

export type PrivateKeyAlgorithm = 'ES256' | 'RS256';

export interface LocalIssuerConfig {
  /** Answers `<user>/<providerName>.top` (25.x name rules: also `<providerName>_<handle>.top`). */
  readonly providerName: string;
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  /**
   * True when the key is LOCAL_CREDMON_PRIVATE_KEY (not LOCAL_CREDMON_<provider>_PRIVATE_KEY): the one key pair the
   * credmon creates when it is missing and publishes as LOCAL_CREDMON_PUBLIC_KEY (upstream's create_credentials).
   */
  readonly sharedKey: boolean;
  readonly keyId: string;
  /** LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: the key the credmon generates and accepts (upstream: ES256, RS256). */
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

/** Knobs a provider reads only globally: LOCAL_CREDMON_PUBLIC_KEY (upstream's create_credentials), FULL_HOSTNAME. */
export type GlobalKnob = 'PUBLIC_KEY' | 'FULL_HOSTNAME';

/** One provider's knob values: each LOCAL_CREDMON_<provider>_<KNOB> or LOCAL_CREDMON_<KNOB>, and the global ones. */
export type ProviderKnobs = Readonly<Record<LocalKnob | GlobalKnob, KnobValue>>;

/** The order the knobs of a provider are read in, which is the order their warnings come in. */
const READ_ORDER = [
  'ISSUER',
  'AUTHZ_TEMPLATE',
  'AUTHZ_GROUP_TEMPLATE',
  'AUTHZ_GROUP_MAPFILE',
  'AUTHZ_TEMPLATE_EXPR',
  'AUTHZ_GROUP_REQUIREMENT',
  'TOKEN_VERSION',
  'TOKEN_AUDIENCE',
  'PRIVATE_KEY_ALGORITHM',
  'PRIVATE_KEY',
  'KEY_ID',
  'TOKEN_LIFETIME',
  'TOKEN_USE_JSON',
] as const satisfies readonly LocalKnob[];

/** Reads every knob of `provider`: its own through `read`, the global ones through `lookup`. */
export function readProviderKnobs(read: LocalKnobReader, lookup: KnobLookup, provider: string): ProviderKnobs {
  const entries = READ_ORDER.map((knob) => [knob, read(provider, knob)]);
  const own = Object.fromEntries(entries) as Record<LocalKnob, KnobValue>;
  const global = (name: string): KnobValue => ({ name, raw: lookup(name) });
  return { ...own, PUBLIC_KEY: global('LOCAL_CREDMON_PUBLIC_KEY'), FULL_HOSTNAME: global('FULL_HOSTNAME') };
}

/** One local issuer's configuration from its knobs; each problem names its knob. */
export function parseLocalProvider(providerName: string, knobs: ProviderKnobs, problems: string[]): LocalIssuerConfig {
  const issuer = parseProviderIssuer(knobs, problems);
  const templates = parseAuthzTemplates(knobs, problems);
  const groups = parseGroupRequirement(providerName, knobs, problems);
  const claims = parseTokenClaims(knobs, problems);
  const privateKeyAlgorithm = parsePrivateKeyAlgorithm(knobs.PRIVATE_KEY_ALGORITHM, problems);
  const keys = parseKeyFiles(knobs, problems);
  const lifetime = knobs.TOKEN_LIFETIME;
  const useJson = knobs.TOKEN_USE_JSON;
  return Object.freeze({
    providerName,
    ...keys,
    privateKeyAlgorithm,
    issuer,
    ...templates,
    authzGroupMapfile: groups.authzGroupMapfile,
    authzTemplateExpr: (knobs.AUTHZ_TEMPLATE_EXPR.raw ?? '').trim() || undefined,
    authzGroupRequirement: groups.authzGroupRequirement,
    tokenLifetimeS: parsePositiveInteger(lifetime.name, lifetime.raw, LOCAL_DEFAULTS.tokenLifetimeS, problems),
    audience: Object.freeze(claims.audience),
    tokenVersion: claims.tokenVersion,
    useJson: parseBoolean(useJson.name, useJson.raw, LOCAL_DEFAULTS.useJson, problems),
  });
}

type IssuerKnobs = Pick<ProviderKnobs, 'ISSUER' | 'FULL_HOSTNAME'>;

/** The provider's issuer: its ISSUER knob, else https://FULL_HOSTNAME (https://localhost without one). */
export function parseProviderIssuer(knobs: IssuerKnobs, problems: string[]): string {
  const values = new Map([
    ['LOCAL_CREDMON_ISSUER', knobs.ISSUER.raw],
    ['FULL_HOSTNAME', knobs.FULL_HOSTNAME.raw],
  ]);
  return parseLocalIssuer((name) => values.get(name), problems, knobs.ISSUER.name);
}

/** AUTHZ_TEMPLATE ({username}; HTCondor's default when blank) and AUTHZ_GROUP_TEMPLATE ({groupname}; optional). */
export function parseAuthzTemplates(
  knobs: Pick<ProviderKnobs, 'AUTHZ_TEMPLATE' | 'AUTHZ_GROUP_TEMPLATE'>,
  problems: string[],
): Pick<LocalIssuerConfig, 'authzTemplate' | 'authzGroupTemplate'> {
  const template = knobs.AUTHZ_TEMPLATE;
  const authzTemplate = (template.raw ?? '').trim() || LOCAL_DEFAULTS.authzTemplate;
  checkTemplate(template.name, authzTemplate, 'username', problems);
  const groupTemplate = knobs.AUTHZ_GROUP_TEMPLATE;
  const authzGroupTemplate = (groupTemplate.raw ?? '').trim() || undefined;
  if (authzGroupTemplate !== undefined) checkTemplate(groupTemplate.name, authzGroupTemplate, 'groupname', problems);
  return { authzTemplate, authzGroupTemplate };
}

/** AUTHZ_GROUP_MAPFILE (an absolute path) and AUTHZ_GROUP_REQUIREMENT, which needs the mapfile. */
export function parseGroupRequirement(
  providerName: string,
  knobs: Pick<ProviderKnobs, 'AUTHZ_GROUP_MAPFILE' | 'AUTHZ_GROUP_REQUIREMENT'>,
  problems: string[],
): Pick<LocalIssuerConfig, 'authzGroupMapfile' | 'authzGroupRequirement'> {
  const mapfile = knobs.AUTHZ_GROUP_MAPFILE;
  const requirement = knobs.AUTHZ_GROUP_REQUIREMENT;
  const authzGroupMapfile = parseAbsolutePath(mapfile.name, mapfile.raw, undefined, problems);
  const authzGroupRequirement = (requirement.raw ?? '').trim() || undefined;
  if (authzGroupRequirement !== undefined && authzGroupMapfile === undefined) {
    const where = mapfile.name === 'LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE' ? '' : ' or LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE';
    const specific = `LOCAL_CREDMON_${providerName}_AUTHZ_GROUP_MAPFILE`;
    const needs = requirement.name.startsWith(`LOCAL_CREDMON_${providerName}_`) ? `${specific}${where}` : mapfile.name;
    const why = 'the groups of each user come from it';
    problems.push(`${requirement.name} = ${authzGroupRequirement} needs ${needs}: ${why}`);
  }
  return { authzGroupMapfile, authzGroupRequirement };
}

/** TOKEN_VERSION (scitoken:2.0 by default, none when blank) and TOKEN_AUDIENCE, which scitoken:2.0 needs. */
export function parseTokenClaims(
  knobs: Pick<ProviderKnobs, 'TOKEN_VERSION' | 'TOKEN_AUDIENCE'>,
  problems: string[],
): { readonly tokenVersion: string | undefined; readonly audience: string[] } {
  const version = knobs.TOKEN_VERSION;
  const aud = knobs.TOKEN_AUDIENCE;
  const tokenVersion = version.raw === undefined ? LOCAL_DEFAULTS.tokenVersion : version.raw.trim() || undefined;
  const audience = (aud.raw ?? '').split(/\s+/).filter((a) => a !== '');
  if (audience.length === 0 && tokenVersion?.toLowerCase() === 'scitoken:2.0') {
    const why = 'the SciTokens 2.0 profile requires "aud"';
    problems.push(`${aud.name} must be set when ${version.name} is scitoken:2.0 (${why})`);
  }
  return { tokenVersion, audience };
}

/** PRIVATE_KEY_ALGORITHM: ES256 (the default) or RS256, any case. */
export function parsePrivateKeyAlgorithm(knob: KnobValue, problems: string[]): PrivateKeyAlgorithm {
  const algorithm = (knob.raw ?? '').trim().toUpperCase() || LOCAL_DEFAULTS.privateKeyAlgorithm;
  if (algorithm === 'ES256' || algorithm === 'RS256') return algorithm;
  problems.push(`${knob.name} = ${knob.raw ?? ''}: expected ES256 or RS256`);
  return 'ES256';
}

type KeyFiles = Pick<LocalIssuerConfig, 'privateKeyPath' | 'publicKeyPath' | 'sharedKey' | 'keyId'>;
type KeyKnobs = Pick<ProviderKnobs, 'PRIVATE_KEY' | 'PUBLIC_KEY' | 'KEY_ID'>;

/** PRIVATE_KEY and the global LOCAL_CREDMON_PUBLIC_KEY (absolute paths), and KEY_ID. */
export function parseKeyFiles(knobs: KeyKnobs, problems: string[]): KeyFiles {
  const { privateKeyPath, publicKeyPath } = LOCAL_DEFAULTS;
  const { PRIVATE_KEY: privateKey, PUBLIC_KEY: publicKey } = knobs;
  return {
    privateKeyPath: parseAbsolutePath(privateKey.name, privateKey.raw, privateKeyPath, problems) ?? privateKeyPath,
    publicKeyPath: parseAbsolutePath(publicKey.name, publicKey.raw, publicKeyPath, problems) ?? publicKeyPath,
    sharedKey: privateKey.name === 'LOCAL_CREDMON_PRIVATE_KEY',
    keyId: (knobs.KEY_ID.raw ?? '').trim() || LOCAL_DEFAULTS.keyId,
  };
}

function checkTemplate(knob: string, template: string, field: string, problems: string[]): void {
  try {
    formatTemplate(template, { [field]: 'x' });
  } catch (error) {
    problems.push(`${knob} = ${template}: ${(error as Error).message}`);
  }
}
