/**
 * Every HTCondor knob the credmon and the web app read, with upstream's defaults (HTCondor 23.9.6).
 * Knob names appear only in src/config/. Values are raw strings as `condor_config_val` prints them.
 */
export const CREDMON_KNOBS = [
  'SEC_CREDENTIAL_DIRECTORY_OAUTH',
  'SEC_CREDENTIAL_DIRECTORY',
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
] as const;

/** Knobs read with the daemon's subsystem prefix (`<NAME>_LOG`, ...); `NAME` is CREDMON_OAUTH unless -n says otherwise. */
export const SUBSYSTEM_KNOB_SUFFIXES = [
  'LOG',
  'DEBUG',
  'SCAN_INTERVAL',
  'REFRESH_TIMEOUT',
  'KEY_FILE_LIFETIME',
  'REFRESH_CONCURRENCY',
  'SIGNING_THREADS',
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
} as const;

export const DAEMON_DEFAULTS = {
  scanIntervalS: 60,
  refreshTimeoutS: 20,
  keyFileLifetimeS: 12 * 3600,
  refreshConcurrency: 50,
} as const;
