#!/usr/bin/env node
/**
 * credmon-status: what the credmon knows of every credential, what needs attention first (docs/monitoring.md).
 *   credmon-status [--json] [--user NAME]
 * Reads `.credmon-status.json`, which the running credmon writes in the credential directory after its scans; root or
 * condor only (the file is root:condor 0640, as the directory's other files are the credmon's and the credd's).
 * Exit status: 0 shown, 1 no status to show (no file, unreadable, not running), 2 a usage mistake or not root/condor.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { CRED_DIR_KNOBS, parseCredDir, readCondorConfig } from '../config/index.js';
import { CredentialDirectory, STATUS_FILE } from '../credentials/index.js';
import { describeError } from '../shared/errors.js';
import { isProcessAlive } from '../shared/process-alive.js';
import { formatStatusTable, isStale, parseStatusFile, sortForAttention } from '../status/index.js';

const USAGE = 'usage: credmon-status [--json] [--user NAME]';

/** The effective user is condor (the account HTCondor's daemons run as in Debian's and HTCondor's packages). */
function isCondorUser(): boolean {
  try {
    return userInfo().uid === process.geteuid?.() && userInfo().username === 'condor';
  } catch {
    return false; // no passwd entry
  }
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { json: { type: 'boolean' }, user: { type: 'string' } }, strict: true }));
  } catch (error) {
    process.stderr.write(`credmon-status: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (process.geteuid?.() !== 0 && !isCondorUser()) {
    process.stderr.write('credmon-status: run it as root or condor: it lists every user and their credentials\n');
    return 2;
  }
  const problems: string[] = [];
  const credDir = parseCredDir(await readCondorConfig([...CRED_DIR_KNOBS], { subsystem: 'CREDMON_OAUTH' }), problems);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const text = await new CredentialDirectory(credDir).readStatusFile();
  if (!text) {
    process.stderr.write(
      `credmon-status: no ${credDir}/${STATUS_FILE}: the credmon has not written one (not running, or older)\n`,
    );
    return 1;
  }
  const file = parseStatusFile(`${credDir}/${STATUS_FILE}`, text.content);
  const nowMs = Date.now();
  const alive = isProcessAlive(file.pid);
  const credentials = sortForAttention(file.credentials.filter((c) => !values.user || c.user === values.user));
  if (values.json) {
    const credmon = { pid: file.pid, running: alive, stale: isStale(file, nowMs, alive) };
    const out = { credmon, writtenMs: file.writtenMs, lastScanMs: file.lastScanMs, credentials };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(formatStatusTable(file, credentials, nowMs, alive));
  }
  return 0;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`credmon-status: ${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
