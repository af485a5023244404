export { readCondorConfig, parseConfigDump, lookupFrom } from './condor-config.js';
export {
  EXIT_DAEMON_NO_RESTART,
  parseCredmonConfig,
  type ClientAuthMethod,
  type ClientProviderConfig,
  type CredmonConfig,
  type LocalIssuerConfig,
  type PrivateKeyAlgorithm,
} from './credmon-config.js';
export { CREDMON_KNOB_PATTERNS, CREDMON_KNOBS, SUBSYSTEM_KNOB_SUFFIXES } from './knobs.js';
export { formatTemplate } from './format-template.js';
export { parseBoolean, parseHttpUrl, parsePositiveInteger, type KnobLookup } from './values.js';
export { parseWebConfig, WEB_DEFAULTS, WEB_ENVIRONMENT, WEB_KNOBS, type WebConfig } from './web-config.js';
export { logBoundKnobs, type LogBounds } from './log-limit.js';
export {
  KEY_ROTATION_DEFAULTS,
  parseKeyRotation,
  retainSFor,
  SCITOKENS_CPP_KEY_REFRESH_S,
  type KeyRotationConfig,
} from './key-rotation.js';
export { CRED_DIR_KNOBS, parseCredDir } from './cred-dir.js';
export { parseMetricsAddress, type MetricsAddress } from './metrics-address.js';
