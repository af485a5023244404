import { ConfigInvalid } from '../shared/errors.js';
import { createKnobGate, parseCondorVersion } from './condor-version.js';
import { parseCredDir } from './cred-dir.js';
import { parseDaemonLog, parseDaemonTimings } from './daemon-knobs.js';
import { createLocalKnobReader } from './local-knob-reader.js';
import { parseLocalProvider, readProviderKnobs, type LocalIssuerConfig } from './local-provider.js';
import { parseClientProvider, readClientKnobs, type ClientProviderConfig } from './client-provider.js';
import { checkProviderNames, parseNameRules, parseProviderNames } from './provider-names.js';
import type { LogBounds } from './log-limit.js';
import type { KnobLookup } from './values.js';
import { parseKeyRotation, type KeyRotationConfig } from './key-rotation.js';
import { parseMetricsAddress, type MetricsAddress } from './metrics-address.js';

export { parseVersion, versionBefore } from './condor-version.js';
export type { LocalIssuerConfig, PrivateKeyAlgorithm } from './local-provider.js';
export type { ClientAuthMethod, ClientProviderConfig } from './client-provider.js';

export interface CredmonConfig {
  readonly subsystem: string;
  readonly credDir: string;
  /** The HTCondor-style daemon log; undefined when neither `<NAME>_LOG` nor `LOG` is set. */
  readonly logFile: string | undefined;
  readonly debug: boolean;
  readonly logBounds: LogBounds;
  readonly scanIntervalS: number;
  readonly refreshTimeoutS: number;
  readonly keyFileLifetimeS: number;
  /** Token-endpoint requests in flight per provider (token endpoint origin) when it is healthy. */
  readonly refreshConcurrency: number;
  /** Worker threads that sign and write local tokens in bulk; 0 = one per core (at most 4). */
  readonly signingThreads: number;
  /** LOCAL_CREDMON_KEY_ROTATION_*: the lead of a rotation and automatic rotation (docs/key-rotation.md). */
  readonly keyRotation: KeyRotationConfig;
  /** `<NAME>_METRICS_ADDRESS`: where the Prometheus metrics are served; undefined = nowhere (docs/monitoring.md). */
  readonly metricsAddress: MetricsAddress | undefined;
  /** The first local provider (LOCAL_CREDMON_PROVIDER_NAME on 23.9). */
  readonly local: LocalIssuerConfig;
  /** Every local provider, in the order LOCAL_CREDMON_PROVIDER_NAMES lists them (one on 23.9). */
  readonly localProviders: readonly LocalIssuerConfig[];
  /** OAUTH2_CREDMON_PROVIDER_NAMES; `*` means every provider that is not a local one. */
  readonly oauthProviders: readonly string[];
  /** CLIENT_CREDMON_PROVIDER_NAMES (24.3+), in order: tokens by the client-credentials grant. */
  readonly clientProviders: readonly ClientProviderConfig[];
  /** `<provider>_<handle>` names (25.13.2+ without CREDMON_ALLOW_SPECIAL_CHAR_NAMES), or whole names (23.9). */
  readonly handles: boolean;
  /** The running HTCondor's version (CONDOR_VERSION), or undefined when it does not say. */
  readonly condorVersion: string | undefined;
  /** One line per knob that is set but that the running HTCondor does not know, saying what the credmon does. */
  readonly warnings: readonly string[];
  /** Whether `<provider>_CLIENT_ID` is configured: OAuth tokens of other providers are left alone (upstream). */
  isOAuthClientConfigured(provider: string): boolean;
}

/** DAEMON_NO_RESTART (src/condor_includes/exit.h): upstream's exit status on a disallowed provider name. */
export const EXIT_DAEMON_NO_RESTART = 99;

/**
 * Turns raw knob values into one validated, frozen configuration. Every problem is reported at once, each naming
 * its knob, so an admin fixes the configuration in one round. The running HTCondor's version (CONDOR_VERSION)
 * decides which knobs count: a knob it does not know is ignored, as it would ignore it, and reported in `warnings`.
 * A provider name upstream disallows comes first and makes the error carry exit status DAEMON_NO_RESTART.
 */
export function parseCredmonConfig(lookup: KnobLookup, subsystem = 'CREDMON_OAUTH'): CredmonConfig {
  const problems: string[] = [];
  const credDir = parseCredDir(lookup, problems);
  const log = parseDaemonLog(lookup, subsystem, problems);
  const gate = createKnobGate(lookup, parseCondorVersion(lookup, problems));
  const rules = parseNameRules(gate, problems);
  const names = parseProviderNames(gate);
  const nameProblems = checkProviderNames(rules, names);
  const disallowed = nameProblems.filter((p) => p.disallowed).map((p) => p.message);
  problems.push(...nameProblems.filter((p) => !p.disallowed).map((p) => p.message));
  const read = createLocalKnobReader(gate);
  const localProviders = names.local.map((name) => {
    const knobs = readProviderKnobs(read, lookup, name);
    return parseLocalProvider(name, knobs, problems);
  });
  const clientProviders = names.client.map((name) =>
    parseClientProvider(name, readClientKnobs(lookup, name), problems, gate.warnings),
  );
  const timings = parseDaemonTimings(lookup, subsystem, problems);
  const keyRotation = parseKeyRotation(lookup, problems, gate.warnings);
  const metricsKnob = `${subsystem}_METRICS_ADDRESS`;
  const metricsAddress = parseMetricsAddress(metricsKnob, lookup(metricsKnob), problems);
  const config: CredmonConfig = Object.freeze({
    subsystem,
    credDir,
    ...log,
    ...timings,
    keyRotation,
    metricsAddress,
    local: localProviders[0] as LocalIssuerConfig,
    localProviders: Object.freeze(localProviders),
    oauthProviders: Object.freeze(names.oauth),
    clientProviders: Object.freeze(clientProviders),
    handles: rules.handles,
    condorVersion: gate.condorVersion,
    warnings: Object.freeze(gate.warnings),
    isOAuthClientConfigured: (provider: string): boolean => lookup(`${provider}_CLIENT_ID`) !== undefined,
  });
  const noRestart = { exitStatus: EXIT_DAEMON_NO_RESTART };
  if (disallowed.length > 0) throw new ConfigInvalid([...disallowed, ...problems], noRestart);
  if (problems.length > 0) throw new ConfigInvalid(problems);
  return config;
}
