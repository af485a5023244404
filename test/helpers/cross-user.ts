/**
 * Two users' jobs on one execute node, one of them trying to take the other's token: the victim's job holds its
 * token (`$_CONDOR_CREDS/<service>.use` and the wrapper's `.bearer_token`) while the attacker's job, started on the
 * same node while the victim's runs, tries to read every other job's token files in the node's execute directory.
 * What each job reports (its account and uid, what it could read) is what the tests assert on.
 */
import assert from 'node:assert/strict';
import { dockerCli } from './docker-cli.js';
import type { SandboxHandle } from './sandbox.js';
import { waitFor } from './wait-for.js';

export interface JobIdentity {
  readonly name: string;
  readonly uid: number;
}

export interface CrossUserResult {
  readonly victim: JobIdentity;
  readonly attacker: JobIdentity;
  /** Hash prefixes (16 hex) of the victim's token files, as the victim's job saw them. */
  readonly victimTokenHashes: readonly string[];
  /** Every other job's directory the attacker found in the execute directory (the victim's among them). */
  readonly otherDirs: readonly string[];
  /** `READ <path> <hash>` and `DENIED <path>` lines of the attacker, for the files of other jobs. */
  readonly attempts: readonly string[];
  readonly attackerOutput: string;
  readonly victimOutput: string;
}

const VICTIM_SCRIPT = (service: string): string =>
  [
    '#!/bin/bash',
    'echo "identity $(id -un) $(id -u)"',
    `use="$_CONDOR_CREDS/${service}.use"`,
    'for f in "$use" "$BEARER_TOKEN_FILE"; do [ -r "$f" ] && echo "token $(sha256sum "$f" | cut -c1-16)"; done',
    'echo "running in $PWD"',
    'for i in $(seq 1 90); do [ -e "$HOME_FLAG" ] && break; sleep 1; done',
  ].join('\n');

const ATTACKER_SCRIPT = (service: string): string =>
  [
    '#!/bin/bash',
    'echo "identity $(id -un) $(id -u)"',
    // Its own job directory: dir_N (HTCondor 23), or dir_N/scratch's parent (25).
    'own=$(echo "$PWD" | grep -o "dir_[0-9]*" | head -1)',
    'for d in /var/lib/condor/execute/dir_*; do',
    '  [ "$(basename "$d")" = "$own" ] && continue',
    '  echo "other $d"',
    `  for f in {"$d","$d/scratch"}/{.bearer_token,.condor_creds/${service}.use,.condor_creds/${service}.top}; do`,
    '    if h=$(sha256sum "$f" 2>/dev/null); then echo "READ $f ${h:0:16}"; else echo "DENIED $f"; fi',
    '  done',
    'done',
  ].join('\n');

async function writeUserFile(
  sandbox: SandboxHandle,
  user: string,
  name: string,
  body: string,
  mode: string,
): Promise<void> {
  const res = await sandbox.exec([
    'sh',
    '-c',
    `cat > /home/${user}/${name} <<'EOF'\n${body}\nEOF\nchown ${user}: /home/${user}/${name}; chmod ${mode} /home/${user}/${name}`,
  ]);
  assert.equal(res.exitCode, 0, res.output);
}

function submitFile(script: string, stem: string, service: string, machine: string, extra: string[] = []): string {
  return [
    `executable = ${script}`,
    `use_oauth_services = ${service}`,
    `requirements = Machine == "${machine}"`,
    'request_cpus = 1',
    'request_memory = 64',
    `output = ${stem}.out`,
    `error = ${stem}.err`,
    `log = ${stem}.log`,
    ...extra,
    'queue',
  ].join('\n');
}

function identityFrom(output: string, who: string): JobIdentity {
  const match = /^identity (\S+) (\d+)$/m.exec(output);
  assert.ok(match?.[1] && match[2], `the ${who}'s job printed no identity:\n${output}`);
  return { name: match[1], uid: Number(match[2]) };
}

/**
 * Runs the victim's job on `machine` (the execute node's container `container`), then the attacker's on the same machine while the victim's still runs. Both
 * users must hold a token for `service` already (local issuer: they get one at submit; OAuth: after their login).
 */
export async function runCrossUserAttack(
  sandbox: SandboxHandle,
  options: { victim: string; attacker: string; machine: string; container: string; service: string },
): Promise<CrossUserResult> {
  const { victim, attacker, machine, container, service } = options;
  // Where the node's root tells the victim's job to end (a job's /tmp may be its own).
  const flag = `/var/lib/condor/cross-user-${Date.now()}`;
  await writeUserFile(sandbox, victim, 'victim.sh', VICTIM_SCRIPT(service), '755');
  await writeUserFile(
    sandbox,
    victim,
    'victim.sub',
    submitFile('victim.sh', 'victim', service, machine, [`environment = "HOME_FLAG=${flag}"`, 'stream_output = true']),
    '644',
  );
  await writeUserFile(sandbox, attacker, 'attacker.sh', ATTACKER_SCRIPT(service), '755');
  await writeUserFile(
    sandbox,
    attacker,
    'attacker.sub',
    submitFile('attacker.sh', 'attacker', service, machine),
    '644',
  );
  await sandbox.sh(victim, 'rm -f victim.out victim.err victim.log');
  await sandbox.sh(attacker, 'rm -f attacker.out attacker.err attacker.log');

  const submitted = await sandbox.sh(victim, 'condor_submit victim.sub');
  assert.equal(submitted.exitCode, 0, submitted.output);
  // The victim's job runs (and has written its token files) once its streamed output names its directory.
  await waitFor(
    async () => /^running in /m.test((await sandbox.sh(victim, 'cat victim.out')).output),
    180_000,
    `${victim}'s job to run on ${machine}`,
  );
  const attack = await sandbox.sh(attacker, 'condor_submit attacker.sub && condor_wait -wait 180 attacker.log');
  assert.equal(attack.exitCode, 0, attack.output);
  // The victim's job ends when the flag appears on its node; its output comes back with it.
  await dockerCli(['exec', container, 'touch', flag]);
  const waited = await sandbox.sh(victim, 'condor_wait -wait 120 victim.log');
  assert.equal(waited.exitCode, 0, waited.output);
  const victimOutput = (await sandbox.sh(victim, 'cat victim.out victim.err')).output;
  const attackerOutput = (await sandbox.sh(attacker, 'cat attacker.out attacker.err')).output;
  return {
    victim: identityFrom(victimOutput, victim),
    attacker: identityFrom(attackerOutput, attacker),
    victimTokenHashes: [...victimOutput.matchAll(/^token ([0-9a-f]{16})$/gm)].map((m) => m[1] ?? ''),
    otherDirs: [...attackerOutput.matchAll(/^other (\S+)$/gm)].map((m) => m[1] ?? ''),
    attempts: attackerOutput.split('\n').filter((line) => /^(READ|DENIED) /.test(line)),
    attackerOutput,
    victimOutput,
  };
}

/**
 * The assertions every such run must pass: the attacker saw the victim's job directory (so the attempt was real),
 * read none of its files, and never ran under the victim's uid.
 */
export function assertTokensStayWithTheirOwner(result: CrossUserResult): void {
  const context = `attacker:\n${result.attackerOutput}\nvictim:\n${result.victimOutput}`;
  assert.ok(result.victimTokenHashes.length >= 2, `the victim's job held its token files:\n${context}`);
  assert.ok(result.otherDirs.length >= 1, `the attacker's job ran beside the victim's on one node:\n${context}`);
  assert.notEqual(result.attacker.uid, result.victim.uid, `the two users' jobs ran under one uid:\n${context}`);
  const read = result.attempts.filter((line) => line.startsWith('READ '));
  assert.deepEqual(read, [], `the attacker's job read another job's token files:\n${context}`);
  for (const hash of result.victimTokenHashes) assert.ok(!result.attackerOutput.includes(hash), context);
}
