import { CLIENT_DEFAULTS, LOCAL_DEFAULTS } from './knobs.js';
import type { KnobValue } from './local-knob-reader.js';
import { parseAuthzTemplates, parseProviderIssuer } from './local-provider.js';
import { parseAbsolutePath, parseBoolean, parseHttpUrl, parsePositiveInteger, type KnobLookup } from './values.js';

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1): HTTP Basic, or in the form body. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** A provider of CLIENT_CREDMON_PROVIDER_NAMES: the credmon gets each user's token by the client-credentials grant. */
export interface ClientProviderConfig {
  /** Answers `<user>/<providerName>.top` (the credd writes it, as for a local provider). */
  readonly providerName: string;
  readonly clientId: string;
  /** Read once at start (the secret itself is not configuration). */
  readonly clientSecretFile: string;
  /** The knob that named it (the provider's own or the general one), for messages. */
  readonly clientSecretKnob: string;
  readonly clientAuth: ClientAuthMethod;
  /** TOKEN_URL: when set, the token endpoint; else OIDC discovery from `issuer`. */
  readonly tokenUrl: string | undefined;
  readonly issuer: string;
  /** How long a discovered token endpoint is used (upstream adds 0-60 s of jitter once). */
  readonly tokenEndpointLifetimeS: number;
  readonly authzTemplate: string;
  readonly authzGroupTemplate: string | undefined;
  readonly authzGroupMapfile: string | undefined;
  /** Sent as `audience`, space-separated; empty: none sent. */
  readonly audience: readonly string[];
  /** TOKEN_VERSION: `wlcg` or `wlcg:1.0` adds the scope `wlcg` to the request. */
  readonly tokenVersion: string;
  /** Assumed when the provider sends no expires_in (upstream's TOKEN_LIFETIME). */
  readonly tokenLifetimeS: number;
  readonly useJson: boolean;
}

/** The knobs a client provider reads as CLIENT_CREDMON_<provider>_<KNOB>, else CLIENT_CREDMON_<KNOB>. */
export const CLIENT_PROVIDER_KNOBS = [
  'CLIENT_ID',
  'CLIENT_SECRET_FILE',
  'CLIENT_AUTH_METHOD',
  'TOKEN_URL',
  'ISSUER',
  'TOKEN_ENDPOINT_LIFETIME',
  'AUTHZ_TEMPLATE',
  'AUTHZ_GROUP_TEMPLATE',
  'AUTHZ_GROUP_MAPFILE',
  'AUTHZ_TEMPLATE_EXPR',
  'AUTHZ_GROUP_REQUIREMENT',
  'TOKEN_AUDIENCE',
  'TOKEN_VERSION',
  'TOKEN_LIFETIME',
  'TOKEN_USE_JSON',
] as const;

export type ClientKnob = (typeof CLIENT_PROVIDER_KNOBS)[number];
type ClientKnobs = Readonly<Record<ClientKnob | 'FULL_HOSTNAME', KnobValue>>;

const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/** upstream's get_credmon_config for the CLIENT credmon: the provider's own knob, else the general one. */
export function readClientKnobs(lookup: KnobLookup, provider: string): ClientKnobs {
  const read = (knob: ClientKnob): KnobValue => {
    const specific = `CLIENT_CREDMON_${provider}_${knob}`;
    const raw = lookup(specific);
    if (raw !== undefined) return { name: specific, raw };
    const general = `CLIENT_CREDMON_${knob}`;
    return { name: general, raw: lookup(general) };
  };
  const own = Object.fromEntries(CLIENT_PROVIDER_KNOBS.map((knob) => [knob, read(knob)])) as Record<
    ClientKnob,
    KnobValue
  >;
  return { ...own, FULL_HOSTNAME: { name: 'FULL_HOSTNAME', raw: lookup('FULL_HOSTNAME') } };
}

/**
 * One client provider's configuration; each problem names its knob, and knobs that upstream's ClientCredmon reads but
 * does not use (or that ours does not support) are `warnings`, saying what happens instead.
 */
export function parseClientProvider(
  providerName: string,
  knobs: ClientKnobs,
  problems: string[],
  warnings: string[],
): ClientProviderConfig {
  const clientId = required(knobs.CLIENT_ID, problems, 'the client id registered at the provider');
  const secretFile = knobs.CLIENT_SECRET_FILE;
  const clientSecretFile =
    required(secretFile, problems, 'the file that holds the client secret') &&
    (parseAbsolutePath(secretFile.name, secretFile.raw, undefined, problems) ?? '');
  const tokenUrlRaw = (knobs.TOKEN_URL.raw ?? '').trim();
  const templates = parseAuthzTemplates(knobs, problems);
  const mapfile = knobs.AUTHZ_GROUP_MAPFILE;
  const lifetime = knobs.TOKEN_LIFETIME;
  const endpointLifetime = knobs.TOKEN_ENDPOINT_LIFETIME;
  for (const knob of [knobs.AUTHZ_TEMPLATE_EXPR, knobs.AUTHZ_GROUP_REQUIREMENT]) {
    const what = knob === knobs.AUTHZ_GROUP_REQUIREMENT ? 'as upstream, every user' : 'no scope from it; every user';
    if ((knob.raw ?? '').trim() !== '') warnings.push(`${knob.name} is set: ignored for a client provider (${what})`);
  }
  return Object.freeze({
    providerName,
    clientId,
    clientSecretFile,
    clientSecretKnob: secretFile.name,
    clientAuth: parseAuthMethod(knobs.CLIENT_AUTH_METHOD, problems),
    tokenUrl: tokenUrlRaw === '' ? undefined : parseHttpUrl(knobs.TOKEN_URL.name, tokenUrlRaw, problems),
    issuer: parseProviderIssuer({ ISSUER: knobs.ISSUER, FULL_HOSTNAME: knobs.FULL_HOSTNAME }, problems),
    tokenEndpointLifetimeS: parsePositiveInteger(
      endpointLifetime.name,
      endpointLifetime.raw,
      CLIENT_DEFAULTS.tokenEndpointLifetimeS,
      problems,
    ),
    ...templates,
    authzGroupMapfile: parseAbsolutePath(mapfile.name, mapfile.raw, undefined, problems),
    audience: Object.freeze((knobs.TOKEN_AUDIENCE.raw ?? '').split(/\s+/).filter((a) => a !== '')),
    tokenVersion: (knobs.TOKEN_VERSION.raw ?? '').trim() || LOCAL_DEFAULTS.tokenVersion,
    tokenLifetimeS: parsePositiveInteger(lifetime.name, lifetime.raw, LOCAL_DEFAULTS.tokenLifetimeS, problems),
    useJson: parseBoolean(knobs.TOKEN_USE_JSON.name, knobs.TOKEN_USE_JSON.raw, LOCAL_DEFAULTS.useJson, problems),
  });
}

function required(knob: KnobValue, problems: string[], what: string): string {
  const value = (knob.raw ?? '').trim();
  if (value === '') problems.push(`${knob.name} must be set: ${what}`);
  return value;
}

function parseAuthMethod(knob: KnobValue, problems: string[]): ClientAuthMethod {
  const raw = (knob.raw ?? '').trim().toLowerCase();
  if (raw === '') return CLIENT_DEFAULTS.clientAuth;
  const method = AUTH_METHODS.find((m) => m === raw);
  if (method) return method;
  problems.push(`${knob.name} = ${knob.raw ?? ''}: expected ${AUTH_METHODS.join(' or ')}`);
  return CLIENT_DEFAULTS.clientAuth;
}
