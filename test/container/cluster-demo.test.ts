/**
 * The cluster and demo profiles together: a user logs in to the demo OAuth provider through the URL condor_submit
 * prints, and the job then runs on an execute node (startd only: no credd, no credmon there) and finds the OAuth
 * token the sandbox's credmon refreshes, as a local-issuer token does in cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Browser } from 'playwright-core';
import { logInWithDemoProvider, loginUrlFrom } from '../helpers/demo-login.js';
import { assertTokensStayWithTheirOwner, runCrossUserAttack } from '../helpers/cross-user.js';
import { dockerCli } from '../helpers/docker-cli.js';
import { assertNoSecretInOutputs } from '../helpers/run-secrets.js';
import { startDemoSandbox, type DemoSandbox } from '../helpers/demo-sandbox.js';
import { httpsGet } from '../helpers/https.js';
import { accessTokenOf, credentialFilesFrom, submitAndWait } from '../helpers/jobs.js';
import type { SandboxHandle } from '../helpers/sandbox.js';

/**
 * The demo provider's access-token lifetime: the credmon renews at half-life and the execute node's starter fetches
 * credentials every SEC_CREDENTIAL_REFRESH (30 s), so a job's token is at most about 30 + 30 s old.
 */
const TTL_S = 90;
const ENV = { SANDBOX_EXECUTE_NODES: '1', DEMO_ACCESS_TOKEN_TTL: String(TTL_S), SANDBOX_USERS: 'sub2:1001' };

describe('cluster and demo profiles: OAuth tokens reach jobs on an execute node', { timeout: 1_200_000 }, () => {
  let sandbox: SandboxHandle;
  let browser: Browser;
  let ca: string;
  let demoUrl: string;
  let executeHost: string;
  let env: Record<string, string>;
  const loginKeys: string[] = [];

  let demo: DemoSandbox | undefined;

  before(async () => {
    demo = await startDemoSandbox(ENV, ['cluster', 'demo']);
    ({ sandbox, browser, ca, demoUrl, env } = demo);
    const node = `${sandbox.projectName}-execute-1`;
    executeHost = (await dockerCli(['inspect', '-f', '{{.Config.Hostname}}', node])).trim();
  });

  after(() => demo?.[Symbol.asyncDispose]());

  async function verifyDemoToken(use: string | undefined, context: string, at?: Date): Promise<void> {
    assert.ok(use, `the job saw no scitokens.use:\n${context.slice(-1500)}`);
    const discovery = JSON.parse((await httpsGet(`${demoUrl}/.well-known/openid-configuration`, ca)).body) as {
      jwks_uri: string;
    };
    const jwks = JSON.parse((await httpsGet(discovery.jwks_uri, ca)).body) as JSONWebKeySet;
    const { payload } = await jwtVerify(accessTokenOf(use), createLocalJWKSet(jwks), {
      issuer: demoUrl,
      audience: 'https://localhost',
      ...(at ? { currentDate: at } : {}),
    });
    assert.equal(payload.sub, 'demo');
    assert.equal(payload['scope'], 'read:/public');
    assert.ok(!use.includes('refresh_token'), 'the refresh token never reaches a job');
  }

  async function hostOf(submitOutput: string): Promise<string> {
    const cluster = /submitted to cluster (\d+)/.exec(submitOutput)?.[1];
    assert.ok(cluster, submitOutput);
    const history = (await sandbox.sh('submitter', `condor_history ${cluster} -af LastRemoteHost`)).output;
    return history.trim().replace(/^.*@/, '');
  }

  test('after the browser login, the job runs on the execute node and gets a verifiable OAuth token', async () => {
    const first = await sandbox.sh('submitter', 'condor_submit test.sub');
    assert.equal(first.exitCode, 1, `nothing is queued before the login:\n${first.output}`);
    const url = loginUrlFrom(first.output, sandbox.baseUrl);
    loginKeys.push(url.slice(url.lastIndexOf('/') + 1));
    await logInWithDemoProvider(browser, url, sandbox.baseUrl, demoUrl, ['scitokens']);

    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter');
    assert.equal(submit.exitCode, 0, submit.output);
    assert.equal(await hostOf(submit.output), executeHost, 'the job ran on the execute node');
    await verifyDemoToken(credentialFilesFrom(jobOutput).get('scitokens.use'), jobOutput);
  });

  test('a job running longer than the access token on the execute node always holds a valid, refreshed one', async () => {
    // Each tick: the time, the token's exp (its JWT payload, read with the image's python3) and a hash of the file.
    const script = [
      '#!/bin/bash',
      'exp() { python3 -c \'import base64,json,sys; p=json.load(open(sys.argv[1]))["access_token"].split(".")[1]; ' +
        'print(json.loads(base64.urlsafe_b64decode(p+"==="))["exp"])\' "$_CONDOR_CREDS/scitokens.use"; }',
      `for i in $(seq 1 ${Math.ceil((TTL_S * 1.5) / 10)}); do`,
      '  echo "tick $i $(date +%s) $(exp) $(sha256sum "$_CONDOR_CREDS/scitokens.use" | cut -c1-16)"; sleep 10',
      'done',
      'echo "ended $(date +%s)"',
      'echo "==> $_CONDOR_CREDS/scitokens.use <=="; cat "$_CONDOR_CREDS/scitokens.use"; echo',
    ].join('\n');
    const submitFile =
      'executable = oauth-watch.sh\nuse_oauth_services = scitokens\n' +
      'output = oauth-watch.out\nerror = oauth-watch.err\nlog = oauth-watch.log\nqueue';
    const written = await sandbox.exec([
      'sh',
      '-c',
      `cd /home/submitter && cat > oauth-watch.sh <<'EOF'\n${script}\nEOF\ncat > oauth-watch.sub <<'EOF'\n${submitFile}\nEOF\n` +
        'chown submitter: oauth-watch.*; chmod 755 oauth-watch.sh',
    ]);
    assert.equal(written.exitCode, 0, written.output);
    const { submit, jobOutput } = await submitAndWait(
      sandbox,
      'submitter',
      'oauth-watch.sub',
      'oauth-watch.out',
      'oauth-watch.log',
    );
    assert.equal(submit.exitCode, 0, submit.output);
    assert.equal(await hostOf(submit.output), executeHost, 'the job ran on the execute node');
    const ticks = [...jobOutput.matchAll(/^tick \d+ (\d+) (\d+) ([0-9a-f]{16})$/gm)].map((m) => ({
      at: Number(m[1]),
      exp: Number(m[2]),
      hash: m[3],
    }));
    assert.ok(ticks.length >= 10, `the job reported its token at every tick:\n${jobOutput}`);
    const credmonLog = async (): Promise<string> =>
      (await sandbox.exec(['sh', '-c', 'grep -i scitokens /var/log/condor/CredMonOAuthLog | tail -30'])).output;
    for (const tick of ticks) {
      assert.ok(
        tick.exp > tick.at,
        `at ${tick.at} the job held a token that expired at ${tick.exp}:\n${jobOutput}\n${await credmonLog()}`,
      );
    }
    assert.ok(new Set(ticks.map((t) => t.hash)).size >= 2, `the running job never saw a new token:\n${jobOutput}`);
    // The token the job holds at its end was valid then, and it verifies against the provider's keys.
    const ended = Number(/^ended (\d+)$/m.exec(jobOutput)?.[1]);
    assert.ok(ended > 0, jobOutput);
    await verifyDemoToken(credentialFilesFrom(jobOutput).get('scitokens.use'), jobOutput, new Date(ended * 1000));
  });

  test("two users' OAuth jobs on the node run as their owners, and neither reads the other's token", async () => {
    const first = await sandbox.sh('sub2', 'condor_submit test.sub');
    assert.equal(first.exitCode, 1, `sub2 must log in first:\n${first.output}`);
    const url = loginUrlFrom(first.output, sandbox.baseUrl);
    loginKeys.push(url.slice(url.lastIndexOf('/') + 1));
    await logInWithDemoProvider(browser, url, sandbox.baseUrl, demoUrl, ['scitokens']);
    const container = `${sandbox.projectName}-execute-1`;
    const result = await runCrossUserAttack(sandbox, {
      victim: 'sub2',
      attacker: 'submitter',
      machine: executeHost,
      container,
      service: 'scitokens',
    });
    assert.deepEqual(result.victim, { name: 'sub2', uid: 1001 }, result.victimOutput);
    assert.deepEqual(result.attacker, { name: 'submitter', uid: 1000 }, result.attackerOutput);
    assertTokensStayWithTheirOwner(result);
  });

  test("with SANDBOX_EXECUTE_ACCOUNTS=slot, the OAuth jobs run under their slots' accounts: still no shared uid", async () => {
    await sandbox.reconfigure({ ...env, SANDBOX_EXECUTE_ACCOUNTS: 'slot' });
    const container = `${sandbox.projectName}-execute-1`;
    executeHost = (await dockerCli(['inspect', '-f', '{{.Config.Hostname}}', container])).trim();
    const result = await runCrossUserAttack(sandbox, {
      victim: 'sub2',
      attacker: 'submitter',
      machine: executeHost,
      container,
      service: 'scitokens',
    });
    assert.match(result.victim.name, /^slot1_\d+$/, result.victimOutput);
    assert.match(result.attacker.name, /^slot1_\d+$/, result.attackerOutput);
    assertTokensStayWithTheirOwner(result);
  });

  test('no token, client secret, login key or pool secret of this run is in any output', async () => {
    const checked = await assertNoSecretInOutputs(sandbox.projectName, [], { loginKeys });
    assert.ok(checked.secrets >= 5 && checked.outputs >= 10, JSON.stringify(checked));
  });
});
