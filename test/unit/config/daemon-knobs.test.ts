import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseDaemonLog, parseDaemonTimings, parseThreadCount } from '../../../src/config/daemon-knobs.js';

const lookup = (knobs: Record<string, string>) => lookupFrom(new Map(Object.entries(knobs)));
const SECONDS = 'expected a positive whole number of seconds';

describe('parseDaemonLog', () => {
  it('has no log file when neither <NAME>_LOG nor LOG is set, and no debug', () => {
    const problems: string[] = [];
    assert.deepEqual(parseDaemonLog(lookup({}), 'CREDMON_OAUTH', problems), {
      logFile: undefined,
      debug: false,
      logBounds: {
        limit: { unit: 'bytes', value: 10 * 1024 * 1024 },
        maxRotated: 1,
        truncateOnOpen: false,
        knob: 'MAX_DEFAULT_LOG',
      },
    });
    assert.deepEqual(problems, []);
  });

  it('defaults to $(LOG)/CredmonOauthLog; <NAME>_LOG overrides it', () => {
    const problems: string[] = [];
    const fromLog = parseDaemonLog(lookup({ LOG: '/var/log/condor//' }), 'CREDMON_OAUTH', problems);
    assert.equal(fromLog.logFile, '/var/log/condor/CredmonOauthLog');
    const own = parseDaemonLog(lookup({ LOG: '/var/log/condor', MYCRED_LOG: '/tmp/my.log' }), 'MYCRED', problems);
    assert.equal(own.logFile, '/tmp/my.log');
    assert.deepEqual(problems, []);
  });

  it('refuses a relative <NAME>_LOG, naming it, and keeps the default', () => {
    const problems: string[] = [];
    const knobs = lookup({ LOG: '/var/log', CREDMON_OAUTH_LOG: 'credmon.log' });
    const log = parseDaemonLog(knobs, 'CREDMON_OAUTH', problems);
    assert.equal(log.logFile, '/var/log/CredmonOauthLog');
    assert.deepEqual(problems, ['CREDMON_OAUTH_LOG = credmon.log: expected an absolute path']);
  });

  it('debugs with D_FULLDEBUG, D_ALL or D_VERBOSE in <NAME>_DEBUG, any case', () => {
    for (const [flags, debug] of [
      ['D_FULLDEBUG', true],
      ['D_ALWAYS d_all', true],
      ['D_VERBOSE', true],
      ['D_ALWAYS', false],
      ['D_FULLDEBUGX', false],
    ] as const) {
      assert.equal(parseDaemonLog(lookup({ CREDMON_OAUTH_DEBUG: flags }), 'CREDMON_OAUTH', []).debug, debug, flags);
    }
  });
});

describe('parseDaemonTimings', () => {
  it("uses the daemon's defaults", () => {
    const problems: string[] = [];
    assert.deepEqual(parseDaemonTimings(lookup({}), 'CREDMON_OAUTH', problems), {
      scanIntervalS: 60,
      refreshTimeoutS: 20,
      keyFileLifetimeS: 12 * 3600,
      refreshConcurrency: 50,
      signingThreads: 0,
    });
    assert.deepEqual(problems, []);
  });

  it('reads the knobs with the subsystem prefix', () => {
    const knobs = {
      MYCRED_SCAN_INTERVAL: '5',
      MYCRED_REFRESH_TIMEOUT: '6',
      MYCRED_KEY_FILE_LIFETIME: '7',
      MYCRED_REFRESH_CONCURRENCY: '8',
      MYCRED_SIGNING_THREADS: '2',
      CREDMON_OAUTH_SCAN_INTERVAL: '99',
    };
    assert.deepEqual(parseDaemonTimings(lookup(knobs), 'MYCRED', []), {
      scanIntervalS: 5,
      refreshTimeoutS: 6,
      keyFileLifetimeS: 7,
      refreshConcurrency: 8,
      signingThreads: 2,
    });
  });

  it('reports each bad value, in order, naming its knob, and keeps the default', () => {
    const problems: string[] = [];
    const knobs = { CREDMON_OAUTH_SCAN_INTERVAL: '1m', CREDMON_OAUTH_REFRESH_CONCURRENCY: '0' };
    const timings = parseDaemonTimings(lookup(knobs), 'CREDMON_OAUTH', problems);
    assert.equal(timings.scanIntervalS, 60);
    assert.equal(timings.refreshConcurrency, 50);
    const [scan, concurrency, ...more] = problems;
    assert.equal(scan, `CREDMON_OAUTH_SCAN_INTERVAL = 1m: ${SECONDS}`);
    assert.equal(concurrency, `CREDMON_OAUTH_REFRESH_CONCURRENCY = 0: ${SECONDS}`);
    assert.deepEqual(more, []);
  });
});

describe('parseThreadCount', () => {
  it('is 0 (one per core) when unset, blank or 0, else a positive whole number', () => {
    const problems: string[] = [];
    assert.equal(parseThreadCount('T', undefined, problems), 0);
    assert.equal(parseThreadCount('T', ' ', problems), 0);
    assert.equal(parseThreadCount('T', ' 0 ', problems), 0);
    assert.equal(parseThreadCount('T', '3', problems), 3);
    assert.deepEqual(problems, []);
    assert.equal(parseThreadCount('T', 'many', problems), 0);
    assert.deepEqual(problems, [`T = many: ${SECONDS}`]);
  });
});
