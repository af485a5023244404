import { CRED_DIR_KNOBS } from './cred-dir.js';

/**
 * Every HTCondor knob the credmon and the web app read, with upstream's defaults (HTCondor 23.9.6).
 * Knob names appear only in src/config/. Values are raw strings as `condor_config_val` prints them.
 */
export const CREDMON_KNOBS = [
  ...CRED_DIR_KNOBS,
  'LOG',
  'FULL_HOSTNAME',
  'LOCAL_CREDMON_PROVIDER_NAME',
  'LOCAL_CREDMON_PRIVATE_KEY',
  'LOCAL_CREDMON_PUBLIC_KEY',
  'LOCAL_CREDMON_KEY_ID',
  'LOCAL_CREDMON_ISSUER',
  'LOCAL_CREDMON_AUTHZ_TEMPLATE',
  'LOCAL_CREDMON_AUTHZ_GROUP_TEMPLATE',
  'LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE',
  'LOCAL_CREDMON_TOKEN_LIFETIME',
  'LOCAL_CREDMON_TOKEN_AUDIENCE',
  'LOCAL_CREDMON_TOKEN_VERSION',
  'LOCAL_CREDMON_TOKEN_USE_JSON',
  'CONDOR_VERSION',
  'LOCAL_CREDMON_PROVIDER_NAMES',
  'LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM',
  'LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR',
  'LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT',
  'OAUTH2_CREDMON_PROVIDER_NAMES',
  'CREDMON_ALLOW_SPECIAL_CHAR_NAMES',
  'CLIENT_CREDMON_PROVIDER_NAMES',
] as const;

/**
 * Knob families the credmon reads by pattern (regular expressions for `condor_config_val -dump`): per-provider local
 * overrides `LOCAL_CREDMON_<provider>_<KNOB>`, the OAuth clients `<provider>_CLIENT_ID`, and the client-credentials
 * providers' `CLIENT_CREDMON_<provider>_<KNOB>` and `CLIENT_CREDMON_<KNOB>`.
 */
export const CREDMON_KNOB_PATTERNS = ['LOCAL_CREDMON_.+', '.+_CLIENT_ID', 'CLIENT_CREDMON_.+'] as const;

/**
 * The knobs upstream's LocalCredmon reads through get_credmon_config(), i.e. also as LOCAL_CREDMON_<provider>_<KNOB>
 * (HTCondor 24.3+, src/condor_credd/condor_credmon_oauth/credmon/CredentialMonitors/LocalCredmon.py).
 * LOCAL_CREDMON_PUBLIC_KEY is not among them: upstream reads it only globally (utils.create_credentials).
 */
export const PER_PROVIDER_KNOBS = [
  'PRIVATE_KEY',
  'KEY_ID',
  'PRIVATE_KEY_ALGORITHM',
  'ISSUER',
  'AUTHZ_TEMPLATE',
  'AUTHZ_TEMPLATE_EXPR',
  'AUTHZ_GROUP_MAPFILE',
  'AUTHZ_GROUP_TEMPLATE',
  'AUTHZ_GROUP_REQUIREMENT',
  'TOKEN_LIFETIME',
  'TOKEN_USE_JSON',
  'TOKEN_AUDIENCE',
  'TOKEN_VERSION',
] as const;

/**
 * The HTCondor version that introduced each knob the credmon reads that 23.9 does not know (from
 * docs/version-history/v24-version.hist, v25-version.hist and `git log -S` on upstream's credmon). A knob set on an
 * older HTCondor is reported once and then treated as that HTCondor would: ignored.
 */
export const KNOB_SINCE = {
  LOCAL_CREDMON_PROVIDER_NAMES: '24.3.0',
  OAUTH2_CREDMON_PROVIDER_NAMES: '24.3.0',
  'LOCAL_CREDMON_<provider>_<KNOB>': '24.3.0',
  LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: '25.2.1',
  LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: '25.2.1',
  LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT: '24.3.0',
  CREDMON_ALLOW_SPECIAL_CHAR_NAMES: '25.13.2',
  /** ClientCredmon (2141b44b, HTCONDOR-2408); the credd and condor_submit treat its providers as such from 24.5. */
  CLIENT_CREDMON_PROVIDER_NAMES: '24.3.0',
} as const;

/** From this version on, credential names are `<provider>_<handle>` and provider names are [A-Za-z0-9-] only. */
export const HANDLE_RULES_SINCE = '25.13.2';

/** Knobs read with the daemon's subsystem prefix (`<NAME>_LOG`, ...); `NAME` is CREDMON_OAUTH unless -n says otherwise. */
export const SUBSYSTEM_KNOB_SUFFIXES = [
  'LOG',
  'DEBUG',
  'SCAN_INTERVAL',
  'REFRESH_TIMEOUT',
  'KEY_FILE_LIFETIME',
  'REFRESH_CONCURRENCY',
  'SIGNING_THREADS',
  'METRICS_ADDRESS',
] as const;

export type CredmonKnob = (typeof CREDMON_KNOBS)[number];

export const LOCAL_DEFAULTS = {
  providerName: 'scitokens',
  privateKeyPath: '/etc/condor/scitokens-private.pem',
  publicKeyPath: '/etc/condor/scitokens.pem',
  keyId: 'local',
  authzTemplate: 'read:/user/{username} write:/user/{username}',
  tokenLifetimeS: 1200,
  tokenVersion: 'scitoken:2.0',
  useJson: true,
  privateKeyAlgorithm: 'ES256',
  /** OAUTH2_CREDMON_PROVIDER_NAMES: every provider not claimed by another credmon. */
  oauthProviders: '*',
} as const;

/** upstream's ClientCredmon defaults that differ from the local issuer's, and ours. */
export const CLIENT_DEFAULTS = {
  tokenEndpointLifetimeS: 3600,
  /** RFC 6749 §2.3.1: every authorization server must support HTTP Basic; the body form is NOT RECOMMENDED. */
  clientAuth: 'client_secret_basic',
} as const;

export const DAEMON_DEFAULTS = {
  scanIntervalS: 60,
  refreshTimeoutS: 20,
  keyFileLifetimeS: 12 * 3600,
  refreshConcurrency: 50,
} as const;
