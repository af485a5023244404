#!/usr/bin/env node
/**
 * credmon-key: the local issuers' signing keys (docs/key-rotation.md).
 *   credmon-key status [--json]                              every local issuer's keys and their states
 *   credmon-key rotate [--provider NAME] [--now [--revoke-old]]  begin a rotation (as root)
 * Reads the HTCondor configuration as the credmon does, changes the key set under its lock, then sends the running
 * credmon SIGHUP (its pid file in the credential directory) so that it takes the change up at once.
 * Exit status: 0 done, 1 refused or failed (a rotation in progress, an unusable key file), 2 a usage mistake.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CREDMON_KNOB_PATTERNS, CREDMON_KNOBS, parseCredmonConfig, readCondorConfig } from '../config/index.js';
import { KeyCommandRefused, parseKeyCommand, runKeyCommand } from '../key-admin/index.js';
import { describeError } from '../shared/errors.js';

async function signalCredmon(credDir: string): Promise<string> {
  const pid = Number((await readFile(join(credDir, 'pid'), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return 'The credmon is not running: it takes the change up when it starts.\n';
  try {
    process.kill(pid, 'SIGHUP');
    return `Told the credmon (pid ${pid}) to take the change up now.\n`;
  } catch {
    return `The credmon (pid ${pid} in ${credDir}/pid) is not running: it takes the change up when it starts.\n`;
  }
}

async function main(): Promise<number> {
  let command;
  try {
    command = parseKeyCommand(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`credmon-key: ${(error as Error).message}\n`);
    return 2;
  }
  if (command.kind === 'rotate' && process.getuid?.() !== 0) {
    process.stderr.write("credmon-key: rotate must run as root: it writes the issuers' private keys\n");
    return 2;
  }
  try {
    const lookup = await readCondorConfig(CREDMON_KNOBS, {
      subsystem: 'CREDMON_OAUTH',
      patterns: CREDMON_KNOB_PATTERNS,
    });
    const config = parseCredmonConfig(lookup);
    process.stdout.write(await runKeyCommand(command, config, Date.now()));
    if (command.kind === 'rotate') process.stdout.write(await signalCredmon(config.credDir));
    return 0;
  } catch (error) {
    process.stderr.write(`credmon-key: ${describeError(error)}\n`);
    return error instanceof KeyCommandRefused ? 2 : 1;
  }
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`credmon-key: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
