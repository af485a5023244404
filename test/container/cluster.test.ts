/**
 * The cluster profile: `docker compose --profile cluster` with two execute nodes (startd only, no credd or credmon)
 * in the pool whose central manager and access point is the sandbox, secured with IDTOKENS from a pool key on a
 * shared volume and required encryption. Jobs must run on the execute nodes (HTCondor's own record says where), get a
 * token that verifies against the sandbox's JWKS, and a long job must see it refreshed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { dockerCli } from '../helpers/docker-cli.js';
import { assertTokensStayWithTheirOwner, runCrossUserAttack } from '../helpers/cross-user.js';
import { assertNoSecretInOutputs } from '../helpers/run-secrets.js';
import { httpsGet } from '../helpers/https.js';
import { IMAGE } from '../helpers/image.js';
import { accessTokenOf, credentialFilesFrom, submitAndWait } from '../helpers/jobs.js';
import { startSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const JOBS = 8;
const TOKEN_LIFETIME_S = 90;
/** A second user, present in the sandbox and on every node (SANDBOX_USERS), beside the image's submitter (uid 1000). */
const ENV = {
  SANDBOX_EXECUTE_NODES: '2',
  LOCAL_CREDMON_TOKEN_LIFETIME: String(TOKEN_LIFETIME_S),
  SANDBOX_USERS: 'sub2:1001',
};

describe('cluster profile: the sandbox and two execute nodes', { timeout: 1_200_000 }, () => {
  let sandbox: SandboxHandle;
  let ca: string;
  let executeHosts: string[];

  before(async () => {
    sandbox = await startSandbox(ENV, ['cluster']);
    ca = await sandbox.ca();
    executeHosts = await hostsOfNodes();
  });

  const hostsOfNodes = (): Promise<string[]> =>
    Promise.all([1, 2].map(async (i) => (await dockerCli(['inspect', '-f', '{{.Config.Hostname}}', node(i)])).trim()));
  const node = (i: number): string => `${sandbox.projectName}-execute-${i}`;

  after(async () => {
    await sandbox?.stop();
  });

  async function jwks(): Promise<ReturnType<typeof createLocalJWKSet>> {
    const res = await httpsGet(`${sandbox.baseUrl}/.well-known/openid-configuration`, ca);
    const path = new URL((JSON.parse(res.body) as { jwks_uri: string }).jwks_uri).pathname;
    return createLocalJWKSet(JSON.parse((await httpsGet(`${sandbox.baseUrl}${path}`, ca)).body) as JSONWebKeySet);
  }

  async function writeFile(name: string, body: string, mode = '644'): Promise<void> {
    const res = await sandbox.exec([
      'sh',
      '-c',
      `cat > /home/submitter/${name} <<'EOF'\n${body}\nEOF\nchown submitter: /home/submitter/${name}; chmod ${mode} /home/submitter/${name}`,
    ]);
    assert.equal(res.exitCode, 0, res.output);
  }

  test('the pool: two execute nodes joined with IDTOKENS, and the sandbox no longer starts jobs itself', async () => {
    const slots = (await sandbox.exec(['condor_status', '-af', 'Machine', 'Start', 'SandboxExecuteNode'])).output;
    for (const host of executeHosts) assert.match(slots, new RegExp(`^${host} true true$`, 'm'), slots);
    assert.match(slots, /^sandbox false undefined$/m, slots);
    const config = await dockerCli([
      'exec',
      `${sandbox.projectName}-execute-1`,
      'condor_config_val',
      'DAEMON_LIST',
      'SEC_DEFAULT_ENCRYPTION',
      'TRUST_DOMAIN',
    ]);
    assert.match(
      config,
      /^MASTER,? STARTD\s*$/m,
      `an execute node runs a startd only (no credd, no credmon):\n${config}`,
    );
    assert.match(config, /^REQUIRED$/m);
    assert.match(config, /^sandbox$/m);
  });

  test(`${JOBS} jobs run on both execute nodes, none in the sandbox, and each sees a token that verifies`, async () => {
    // Each job takes a few seconds, so the first negotiation cycle fills the slots of both nodes.
    await writeFile(
      'cluster.sh',
      '#!/bin/bash\nsleep 5\necho "host $(hostname)"\nfor f in "$_CONDOR_CREDS"/*; do echo "==> $f <=="; cat "$f"; echo; done',
      '755',
    );
    await writeFile(
      'cluster.sub',
      [
        'executable = cluster.sh',
        'use_oauth_services = scitokens',
        'request_cpus = 1',
        'request_memory = 64',
        'output = cluster.$(Process).out',
        'error = cluster.$(Process).err',
        'log = cluster.log',
        `queue ${JOBS}`,
      ].join('\n'),
    );
    await sandbox.sh('submitter', 'rm -f cluster.*.out cluster.log');
    const { submit } = await submitAndWait(sandbox, 'submitter', 'cluster.sub', 'cluster.0.out', 'cluster.log');
    assert.equal(submit.exitCode, 0, submit.output);
    const cluster = /submitted to cluster (\d+)/.exec(submit.output)?.[1];
    assert.ok(cluster, submit.output);
    const history = (await sandbox.sh('submitter', `condor_history ${cluster} -af ProcId LastRemoteHost ExitCode`))
      .output;
    const rows = history
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    assert.equal(rows.length, JOBS, history);
    const hosts = new Set(rows.map(([, host]) => (host ?? '').replace(/^.*@/, '')));
    assert.ok(!hosts.has('sandbox'), `a job ran in the sandbox:\n${history}`);
    for (const host of executeHosts) assert.ok(hosts.has(host), `no job ran on ${host}:\n${history}`);
    const keys = await jwks();
    for (const [proc, , exitCode] of rows) {
      assert.equal(exitCode, '0', history);
      const out = (await sandbox.sh('submitter', `cat cluster.${proc}.out`)).output;
      const use = credentialFilesFrom(out).get('scitokens.use');
      assert.ok(use, `job ${proc} saw no scitokens.use:\n${out.slice(-1500)}`);
      const { payload } = await jwtVerify(accessTokenOf(use), keys, {
        issuer: sandbox.baseUrl,
        audience: 'https://localhost',
      });
      assert.equal(payload.sub, 'submitter');
    }
  });

  test('a job running longer than its token on an execute node sees the token refreshed', async () => {
    await writeFile(
      'watch.sh',
      [
        '#!/bin/bash',
        `for i in $(seq 1 ${Math.ceil((TOKEN_LIFETIME_S * 1.3) / 10)}); do`,
        '  echo "tick $i $(sha256sum "$_CONDOR_CREDS/scitokens.use" | cut -c1-16)"; sleep 10',
        'done',
        'echo "host $(hostname)"',
      ].join('\n'),
      '755',
    );
    await writeFile(
      'watch.sub',
      'executable = watch.sh\nuse_oauth_services = scitokens\noutput = watch.out\nerror = watch.err\nlog = watch.log\nqueue',
    );
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter', 'watch.sub', 'watch.out', 'watch.log');
    assert.equal(submit.exitCode, 0, submit.output);
    const host = /^host (\S+)$/m.exec(jobOutput)?.[1];
    assert.ok(host && executeHosts.includes(host), `the job ran on ${host}, not on an execute node:\n${jobOutput}`);
    const seen = new Set([...jobOutput.matchAll(/^tick \d+ ([0-9a-f]{16})$/gm)].map((m) => m[1]));
    assert.ok(seen.size >= 2, `the running job saw ${seen.size} distinct token file(s):\n${jobOutput}`);
  });

  test('an execute node without the pool key stops at start and says what to do', async () => {
    const output = await dockerCli([
      'run',
      '--rm',
      '--entrypoint',
      '/usr/local/libexec/credmon-sandbox/execute',
      IMAGE,
    ]);
    assert.match(output, /execute: ERROR: no pool signing key at \/var\/lib\/credmon-sandbox\/pool\/POOL/);
    assert.match(output, /docker compose --profile cluster up/);
  });

  test('a node with another pool key, or without encryption, cannot join: jobs never go there', async () => {
    const project = sandbox.projectName;
    const label = ['--label', `com.docker.compose.project=${project}`];
    const run = (name: string, pool: string, env: string[]): Promise<string> =>
      dockerCli([
        'run',
        '-d',
        ...label,
        '--name',
        `${project}-${name}`,
        '--hostname',
        name,
        '--network',
        `${project}_default`,
        '-v',
        `${pool}:/var/lib/credmon-sandbox/pool:ro`,
        ...env,
        '--entrypoint',
        '/usr/local/libexec/credmon-sandbox/execute',
        IMAGE,
      ]);
    // "rogue": a key of its own (not the sandbox's). "plain": the pool's key, but SEC_DEFAULT_ENCRYPTION = NEVER.
    await dockerCli(['volume', 'create', ...label, `${project}_rogue`]);
    await dockerCli([
      'run',
      '--rm',
      '-v',
      `${project}_rogue:/p`,
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'openssl rand -base64 32 | condor_store_cred -c add -f /p/POOL -i -',
    ]);
    await run('rogue', `${project}_rogue`, []);
    await run('plain', `${project}_pool`, ['-e', 'CONDOR_EXECUTE_EXTRA_CONFIG=SEC_DEFAULT_ENCRYPTION = NEVER']);
    const startLog = (name: string): Promise<string> =>
      dockerCli(['exec', `${project}-${name}`, 'cat', '/var/log/condor/StartLog']);
    await waitFor(
      async () => /Failed to authenticate using IDTOKENS/.test(await startLog('rogue')),
      60_000,
      'the rogue node to be refused',
    );
    await waitFor(
      async () => /SECMAN:2011/.test(await startLog('plain')),
      60_000,
      'the unencrypted node to be refused',
    );
    const machines = (await sandbox.exec(['condor_status', '-af', 'Machine'])).output;
    assert.doesNotMatch(machines, /^(rogue|plain)$/m, machines);
    assert.match(
      (await sandbox.exec(['cat', '/var/log/condor/CollectorLog'])).output,
      /DC_AUTHENTICATE: required authentication of .* failed/,
    );
    const { submit } = await submitAndWait(sandbox, 'submitter', 'cluster.sub', 'cluster.0.out', 'cluster.log');
    assert.equal(submit.exitCode, 0, submit.output);
    const cluster = /submitted to cluster (\d+)/.exec(submit.output)?.[1];
    const hosts = (await sandbox.sh('submitter', `condor_history ${cluster} -af LastRemoteHost`)).output;
    assert.doesNotMatch(hosts, /@(rogue|plain)$/m, hosts);
    await dockerCli(['rm', '-f', `${project}-rogue`, `${project}-plain`]);
  });

  test("two users' jobs on one node run as their owners, and neither reads the other's token", async () => {
    const host = executeHosts[0] ?? '';
    const result = await runCrossUserAttack(sandbox, {
      victim: 'sub2',
      attacker: 'submitter',
      machine: host,
      container: node(1),
      service: 'scitokens',
    });
    assert.deepEqual(result.victim, { name: 'sub2', uid: 1001 }, result.victimOutput);
    assert.deepEqual(result.attacker, { name: 'submitter', uid: 1000 }, result.attackerOutput);
    assertTokensStayWithTheirOwner(result);
  });

  test("with SANDBOX_EXECUTE_ACCOUNTS=slot, each job runs under its slot's own account: still no shared uid", async () => {
    await sandbox.reconfigure({ ...ENV, SANDBOX_EXECUTE_ACCOUNTS: 'slot' });
    executeHosts = await hostsOfNodes();
    const host = executeHosts[0] ?? '';
    const result = await runCrossUserAttack(sandbox, {
      victim: 'sub2',
      attacker: 'submitter',
      machine: host,
      container: node(1),
      service: 'scitokens',
    });
    assert.match(result.victim.name, /^slot1_\d+$/, result.victimOutput);
    assert.match(result.attacker.name, /^slot1_\d+$/, result.attackerOutput);
    assertTokensStayWithTheirOwner(result);
    const starterLogs = await dockerCli(['exec', node(1), 'sh', '-c', 'cat /var/log/condor/StarterLog*']);
    assert.match(starterLogs, /SLOT1_\d+_USER set, so running job as slot1_\d+/, starterLogs.slice(-3000));
    assert.doesNotMatch(starterLogs, /Running job as user nobody/, 'no job ran as nobody');
  });

  test('no token, pool key or IDTOKEN of this run is in any output of the sandbox or the execute nodes', async () => {
    const checked = await assertNoSecretInOutputs(sandbox.projectName);
    assert.ok(checked.secrets >= 5 && checked.outputs >= 10, JSON.stringify(checked));
  });
});
