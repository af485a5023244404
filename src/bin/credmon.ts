#!/usr/bin/env node
/**
 * condor_credmon_oauth replacement. condor_master starts it as the CREDMON_OAUTH daemon (as root, no arguments);
 * it may also be run by hand: `credmon -v -d` logs to stderr with debug detail.
 *   -n, --name NAME      subsystem name for knobs such as NAME_LOG (default CREDMON_OAUTH)
 *   -c, --cred-dir DIR   override SEC_CREDENTIAL_DIRECTORY_OAUTH
 *   -l, --log-file FILE  override CREDMON_OAUTH_LOG
 *   -d, --debug          debug logging (also CREDMON_OAUTH_DEBUG = D_FULLDEBUG)
 *   -v, --verbose        log to stderr as well as to the log file
 */
import { parseArgs } from 'node:util';
import {
  CREDMON_KNOB_PATTERNS,
  CREDMON_KNOBS,
  SUBSYSTEM_KNOB_SUFFIXES,
  logBoundKnobs,
  parseCredmonConfig,
  readCondorConfig,
  type CredmonConfig,
  type LogBounds,
} from '../config/index.js';
import { CredentialDirectory } from '../credentials/index.js';
import { Credmon, reportAlive, setUpClientProviders, setUpLocalIssuers } from '../credmon/index.js';
import type { LocalIssuer } from '../issuer/index.js';
import { createLogger, type RotationPolicy } from '../log/index.js';
import { providerLabelOf, serveCredmonMetrics } from '../metrics/index.js';
import { StatusWriter } from '../status/index.js';
import { ConfigInvalid, describeError } from '../shared/errors.js';

const EXIT_LOG_ERROR = 44;

/** The log file's rotation policy from MAX_<NAME>_LOG and friends. */
function rotationOf(bounds: LogBounds): RotationPolicy {
  const { limit, maxRotated, truncateOnOpen, knob } = bounds;
  const maxBytes = limit.unit === 'bytes' ? limit.value : 0;
  const maxSeconds = limit.unit === 'seconds' ? limit.value : 0;
  return { maxBytes, maxSeconds, maxRotated, truncateOnOpen, knob };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      name: { type: 'string', short: 'n', default: 'CREDMON_OAUTH' },
      'cred-dir': { type: 'string', short: 'c' },
      'log-file': { type: 'string', short: 'l' },
      debug: { type: 'boolean', short: 'd', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
    },
    strict: true,
  });
  const subsystem = (args.name ?? 'CREDMON_OAUTH').toUpperCase();

  let config: CredmonConfig;
  try {
    const knobs = [
      ...CREDMON_KNOBS,
      ...SUBSYSTEM_KNOB_SUFFIXES.map((s) => `${subsystem}_${s}`),
      ...logBoundKnobs(subsystem),
    ];
    const lookup = await readCondorConfig(knobs, { subsystem, patterns: CREDMON_KNOB_PATTERNS });
    const overrides = new Map<string, string>();
    if (args['cred-dir']) overrides.set('SEC_CREDENTIAL_DIRECTORY_OAUTH', args['cred-dir']);
    if (args['log-file']) overrides.set(`${subsystem}_LOG`, args['log-file']);
    config = parseCredmonConfig((name) => overrides.get(name) ?? lookup(name), subsystem);
  } catch (error) {
    process.stderr.write(`credmon: ${error instanceof ConfigInvalid ? error.message : describeError(error)}\n`);
    // 99 (DAEMON_NO_RESTART) on a disallowed provider name, as upstream's credmon: condor_master does not restart us.
    process.exit(error instanceof ConfigInvalid ? error.exitStatus : 1);
  }

  let log: ReturnType<typeof createLogger>;
  try {
    const debug = config.debug || (args.debug ?? false);
    log = createLogger({
      name: 'credmon',
      debug,
      file: config.logFile,
      rotation: rotationOf(config.logBounds),
      stderr: args.verbose ?? false,
    });
  } catch (error) {
    // 44 is HTCondor's DPRINTF_ERROR: the daemon could not open its log (src/condor_includes/exit.h).
    process.stderr.write(`credmon: cannot open the log file ${config.logFile ?? ''}: ${describeError(error)}\n`);
    process.exit(EXIT_LOG_ERROR);
  }
  log.info(
    {
      pid: process.pid,
      credDir: config.credDir,
      condorVersion: config.condorVersion,
      issuer: config.local.issuer,
      localProviders: config.localProviders.map((p) => p.providerName),
      oauthProviders: config.oauthProviders,
      clientProviders: config.clientProviders.map((p) => p.providerName),
      handles: config.handles,
    },
    'credmon starting',
  );
  for (const warning of config.warnings) log.warn(warning);

  const directory = new CredentialDirectory(config.credDir);
  try {
    await directory.prepare();
  } catch (error) {
    log.fatal(describeError(error));
    await exitSoon(1);
  }

  let issuers: ReadonlyMap<string, LocalIssuer | Error>;
  try {
    issuers = await setUpLocalIssuers(config.localProviders, log, { classadPath: process.env['PATH'] });
  } catch (error) {
    // A scope expression that cannot be evaluated at all (bad syntax, no classad_eval) is a configuration error.
    log.fatal(error instanceof ConfigInvalid ? error.message : describeError(error));
    return exitSoon(1);
  }
  const clients = await setUpClientProviders(config.clientProviders, log, process.geteuid?.() ?? 0);
  const credmon = new Credmon({ config, directory, issuers, clients, log: log.child({ module: 'scan' }) });

  let stopping = false;
  process.on('SIGHUP', () => {
    log.info('Got SIGHUP: Triggering READ of Credential Directory');
    credmon.wake();
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info(`Got signal ${signal}, terminating.`);
      // Refreshes in flight end within the HTTP timeout; nothing else may hold the exit up (the master waits for us).
      setTimeout(() => {
        log.warn(`Still busy ${STOP_GRACE_MS / 1000} s after ${signal}; exiting now`);
        void exitSoon(0);
      }, STOP_GRACE_MS).unref();
      void credmon.stop().finally(() => exitSoon(0));
    });
  }

  const providerOf = providerLabelOf(config);
  await serveCredmonMetrics(credmon, config, providerOf, log.child({ module: 'metrics' }));
  new StatusWriter(credmon, { directory, providerOf, scanIntervalS: config.scanIntervalS, log });
  await credmon.start();
  log.info('First scan complete; CREDMON_COMPLETE written');
  // Keep-alives make the master show us as ready, and let it restart us if the scan loop ever stops.
  let lastAliveMs = 0;
  const sendAlive = async (): Promise<void> => {
    if (Date.now() - lastAliveMs < KEEPALIVE_EVERY_MS) return;
    lastAliveMs = Date.now();
    const ok = await reportAlive(subsystem, KEEPALIVE_TIMEOUT_S, log, process.env);
    if (ok && !reported) log.info('Reported ready to condor_master');
    reported ||= ok;
  };
  let reported = false;
  await sendAlive();
  credmon.on('scan.completed', () => void sendAlive());
}

/** How long SIGTERM waits for refreshes in flight before exiting anyway. */
const STOP_GRACE_MS = 10_000;

/** How often the scan loop proves it is alive, and how long the master waits before declaring us hung. */
const KEEPALIVE_EVERY_MS = 5 * 60_000;
const KEEPALIVE_TIMEOUT_S = 30 * 60;

function exitSoon(code: number): Promise<never> {
  // Give the log destination a moment to flush.
  return new Promise(() => setTimeout(() => process.exit(code), 50));
}

main().catch((error: unknown) => {
  process.stderr.write(`credmon: fatal: ${describeError(error)}\n`);
  process.exit(1);
});
