/**
 * The sandbox end to end in local-issuer mode: compose.yaml brings up the real image (HTCondor daemons, our credmon,
 * the web app behind nginx with real TLS); jobs submitted by real users must receive SciTokens that verify against the
 * JWKS the sandbox publishes over HTTPS (trusting the sandbox CA; TLS checks stay on).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { httpsGet } from '../helpers/https.js';
import { SERIES } from '../helpers/image.js';
import { accessTokenOf, credentialFilesFrom, submitAndWait } from '../helpers/jobs.js';
import { startSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { assertNoSecretInOutputs, harvestSecrets } from '../helpers/run-secrets.js';

const CRED_DIR = '/var/lib/condor/oauth_credentials';

describe('sandbox in local-issuer mode', { timeout: 1_200_000 }, () => {
  let sandbox: SandboxHandle;
  let ca: string;

  before(async () => {
    sandbox = await startSandbox();
    ca = await sandbox.ca();
  });

  after(async () => {
    await sandbox?.stop();
  });

  async function jwks(): Promise<JSONWebKeySet> {
    const discovery = await httpsGet(`${sandbox.baseUrl}/.well-known/openid-configuration`, ca);
    assert.equal(discovery.status, 200);
    const doc = JSON.parse(discovery.body) as { issuer: string; jwks_uri: string };
    const res = await httpsGet(doc.jwks_uri, ca);
    assert.equal(res.status, 200);
    return JSON.parse(res.body) as JSONWebKeySet;
  }

  async function verifyJobToken(jobOutput: string, user: string): Promise<{ payload: JWTPayload; token: string }> {
    const files = credentialFilesFrom(jobOutput);
    const use = files.get('scitokens.use');
    assert.ok(use, `the job saw no scitokens.use in $_CONDOR_CREDS; it printed:\n${jobOutput.slice(-2000)}`);
    const token = accessTokenOf(use);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await jwks()), {
      issuer: sandbox.baseUrl,
      audience: 'https://localhost',
      algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.kid, 'local');
    assert.equal(payload.sub, user);
    assert.equal(payload['scope'], `read:/user/${user} write:/user/${user}`);
    assert.equal(payload['ver'], 'scitoken:2.0');
    assert.ok((payload.exp ?? 0) > Date.now() / 1000, 'the token is not expired');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 1200);
    assert.equal((JSON.parse(use.split('\n')[0] ?? '{}') as { expires_in?: unknown }).expires_in, 1200);
    return { payload, token };
  }

  test('publishes an OpenID discovery document whose issuer is exactly the configured one, and a standard JWKS', async () => {
    const res = await httpsGet(`${sandbox.baseUrl}/.well-known/openid-configuration`, ca);
    assert.equal(res.status, 200);
    const doc = JSON.parse(res.body) as { issuer: string; jwks_uri: string };
    assert.equal(doc.issuer, sandbox.baseUrl);
    assert.ok(doc.jwks_uri.startsWith(`${sandbox.baseUrl}/`));
    const set = await jwks();
    assert.equal(set.keys.length, 1);
    const key = set.keys[0];
    assert.equal(key?.kty, 'EC');
    assert.equal(key?.crv, 'P-256');
    assert.equal(key?.alg, 'ES256');
    assert.equal(key?.use, 'sig');
    assert.equal(key?.kid, 'local');
    assert.match(key?.x ?? '', /^[A-Za-z0-9_-]{43}$/);
    console.log(`# healthy after ${sandbox.healthyAfterS.toFixed(1)} s`);
  });

  test('condor_master sees the credmon as alive and the pool as ready (keep-alives, no configuration change)', async () => {
    await waitFor(
      async () => /IsReady = true/.test((await sandbox.exec(['condor_who', '-quick'])).output),
      60_000,
      'condor_who -quick to say IsReady = true',
    );
    const who = (await sandbox.exec(['condor_who', '-quick'])).output;
    assert.match(who, /^CREDMON_OAUTH = "Alive"$/m);
    const pid = (await sandbox.exec(['cat', '/var/lib/condor/oauth_credentials/pid'])).output.trim();
    assert.match(
      who,
      new RegExp(`^CREDMON_OAUTH_PID = ${pid}$`, 'm'),
      'the PID the master started is the PID in <cred dir>/pid',
    );
  });

  let firstJti: unknown;
  test("submitter's first condor_submit test.sub gives the job a SciToken that verifies against the sandbox JWKS", async () => {
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter');
    assert.equal(submit.exitCode, 0, submit.output);
    assert.match(submit.output, /1 job\(s\) submitted/);
    const { payload } = await verifyJobToken(jobOutput, 'submitter');
    firstJti = payload.jti;
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
    const mode = await sandbox.exec(['stat', '-c', '%U %a', `${CRED_DIR}/submitter/scitokens.use`]);
    assert.equal(mode.output.trim(), 'root 400');
  });

  test('a second submit reuses the still-fresh token instead of signing a new one', async () => {
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter');
    assert.equal(submit.exitCode, 0, submit.output);
    const { payload } = await verifyJobToken(jobOutput, 'submitter');
    assert.equal(payload.jti, firstJti);
  });

  test('a second user gets a token of their own', async () => {
    const add = await sandbox.exec([
      'sh',
      '-c',
      'useradd -m -s /bin/bash alice && cp /home/submitter/test.sub /home/submitter/test.sh /home/alice/ && chown alice: /home/alice/test.*',
    ]);
    assert.equal(add.exitCode, 0, add.output);
    const { submit, jobOutput } = await submitAndWait(sandbox, 'alice');
    assert.equal(submit.exitCode, 0, submit.output);
    const { payload } = await verifyJobToken(jobOutput, 'alice');
    assert.notEqual(payload.jti, firstJti);
  });

  test('the credmon survives a malformed .top and an unsafe directory name, leaves them untouched, and keeps serving others', async () => {
    const pidBefore = (await sandbox.exec(['cat', `${CRED_DIR}/pid`])).output.trim();
    const setup = await sandbox.exec([
      'sh',
      '-c',
      `set -e; install -d -o condor -g condor -m 0700 ${CRED_DIR}/mallory ${CRED_DIR}/'bad name'; ` +
        `printf '{"refresh_token": broken' > ${CRED_DIR}/mallory/scitokens.top; chmod 600 ${CRED_DIR}/mallory/scitokens.top; ` +
        `kill -HUP ${pidBefore}`,
    ]);
    assert.equal(setup.exitCode, 0, setup.output);
    await waitFor(
      async () =>
        (await sandbox.exec(['grep', '-c', 'mallory/scitokens.top', '/var/log/condor/CredMonOAuthLog'])).exitCode === 0,
      30_000,
      'the credmon to report the malformed .top',
    );
    const log = (await sandbox.exec(['cat', '/var/log/condor/CredMonOAuthLog'])).output;
    assert.match(log, /Cannot use mallory\/scitokens\.top, leaving it as it is: .*not valid JSON/);
    assert.match(log, /not a valid user name/);
    const top = await sandbox.exec(['cat', `${CRED_DIR}/mallory/scitokens.top`]);
    assert.equal(top.output, '{"refresh_token": broken');
    const noUse = await sandbox.exec(['test', '-e', `${CRED_DIR}/mallory/scitokens.use`]);
    assert.notEqual(noUse.exitCode, 0, 'no token was written for the malformed request');

    const pidAfter = (await sandbox.exec(['cat', `${CRED_DIR}/pid`])).output.trim();
    assert.equal(pidAfter, pidBefore, 'the credmon did not restart');
    assert.equal((await sandbox.exec(['kill', '-0', pidAfter])).exitCode, 0);

    const add = await sandbox.exec([
      'sh',
      '-c',
      'useradd -m -s /bin/bash bob && cp /home/submitter/test.sub /home/submitter/test.sh /home/bob/ && chown bob: /home/bob/test.*',
    ]);
    assert.equal(add.exitCode, 0, add.output);
    const { submit, jobOutput } = await submitAndWait(sandbox, 'bob');
    assert.equal(submit.exitCode, 0, submit.output);
    await verifyJobToken(jobOutput, 'bob');
  });

  test('the credmon log never contains a token', async () => {
    const use = (await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.use`])).output;
    const token = accessTokenOf(use);
    const logs = (await sandbox.exec(['sh', '-c', 'cat /var/log/condor/CredMonOAuthLog /var/log/condor/MasterLog']))
      .output;
    assert.ok(!logs.includes(token.split('.')[2] ?? 'x'), 'a token signature appears in a log');
    assert.ok(!logs.includes('eyJ'), 'something JWT-shaped appears in a log');
  });

  test('a restart keeps the signing key, the CA and the credentials', async () => {
    const before = await jwks();
    const caBefore = ca;
    const use = (await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.use`])).output;
    await sandbox.restart();
    assert.equal(await sandbox.ca(), caBefore);
    assert.deepEqual(await jwks(), before);
    const token = accessTokenOf(use);
    assert.equal(decodeProtectedHeader(token).kid, 'local');
    await jwtVerify(token, createLocalJWKSet(await jwks()), { issuer: sandbox.baseUrl, audience: 'https://localhost' });
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter');
    assert.equal(submit.exitCode, 0, submit.output);
    await verifyJobToken(jobOutput, 'submitter');
  });

  /**
   * Restarts the credmon (it reads its knobs at start): it exits on SIGTERM and condor_master starts it again ten
   * seconds later (condor_restart -daemon needs a daemon with a command port). Waits for its first scan.
   */
  async function restartCredmon(): Promise<void> {
    const pid = (await sandbox.exec(['cat', `${CRED_DIR}/pid`])).output.trim();
    assert.equal((await sandbox.exec(['kill', pid])).exitCode, 0);
    await waitFor(
      async () => {
        const now = await sandbox.exec(['sh', '-c', `cat ${CRED_DIR}/pid && test -e ${CRED_DIR}/CREDMON_COMPLETE`]);
        return now.exitCode === 0 && now.output.trim() !== pid;
      },
      60_000,
      'condor_master to restart the credmon and the credmon to complete a scan',
    );
  }

  test("LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR and _AUTHZ_GROUP_REQUIREMENT: HTCondor 25 semantics with HTCondor's own classad_eval; 23.9 reports and ignores them", async () => {
    const knobs = [
      'LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR = ifThenElse(Username == "alice", strcat("read:/projects/", toUpper(Username)), undefined)',
      'LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE = /etc/condor/sandbox-groups',
      'LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT = physics',
    ].join('\n');
    const setup = await sandbox.exec([
      'sh',
      '-c',
      "printf '* alice physics\\n* submitter physics,chemistry\\n' > /etc/condor/sandbox-groups && " +
        `cat > /etc/condor/config.d/99-authz-test.conf <<'EOF'\n${knobs}\nEOF`,
    ]);
    assert.equal(setup.exitCode, 0, setup.output);
    await restartCredmon();
    try {
      const alice = await submitAndWait(sandbox, 'alice');
      assert.equal(alice.submit.exitCode, 0, alice.submit.output);
      const aliceToken = accessTokenOf(credentialFilesFrom(alice.jobOutput).get('scitokens.use') ?? '');
      const { payload } = await jwtVerify(aliceToken, createLocalJWKSet(await jwks()), {
        issuer: sandbox.baseUrl,
        audience: 'https://localhost',
      });
      const bob = await submitAndWait(sandbox, 'bob');
      assert.equal(bob.submit.exitCode, 0, `a user outside the group can still submit:\n${bob.submit.output}`);
      const bobUse = credentialFilesFrom(bob.jobOutput).get('scitokens.use') ?? '';
      const log = (await sandbox.exec(['cat', '/var/log/condor/CredMonOAuthLog'])).output;
      if (SERIES === '25') {
        assert.equal(payload['scope'], 'read:/user/alice write:/user/alice read:/projects/ALICE');
        assert.deepEqual(JSON.parse(bobUse), { access_token: '', expires_in: 1200 }, 'upstream writes an empty token');
        assert.match(
          log,
          /User bob request for a token from provider scitokens is denied as bob is not a member of group physics/,
        );
      } else {
        assert.equal(payload['scope'], 'read:/user/alice write:/user/alice');
        await verifyJobToken(bob.jobOutput, 'bob');
        assert.match(log, /LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR is set, but HTCondor 23\.9\.\d+ does not know it/);
        assert.match(log, /LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT is set, but HTCondor 23\.9\.\d+ does not know it/);
      }
    } finally {
      await sandbox.exec(['rm', '-f', '/etc/condor/config.d/99-authz-test.conf', '/etc/condor/sandbox-groups']);
      await restartCredmon();
    }
    // Back to the defaults: bob's next job gets a real token again.
    const again = await submitAndWait(sandbox, 'bob');
    assert.equal(again.submit.exitCode, 0, again.submit.output);
    await verifyJobToken(again.jobOutput, 'bob');
  });

  test('a LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR that does not parse stops the credmon at start on 25, naming the knob', async () => {
    // A second credmon by hand, on a credential directory of its own; on 23.9 it ignores the knob and keeps running.
    const run = await sandbox.exec([
      'sh',
      '-c',
      'install -d -m 0700 /tmp/authz-creds && _CONDOR_LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR=\'strcat("read:/", \' ' +
        'timeout 15 /usr/local/libexec/credmon-sandbox/credmon -n AUTHZ_TEST -c /tmp/authz-creds -l /tmp/authz.log -v 2>&1; ' +
        'echo "exit $?"',
    ]);
    if (SERIES === '25') {
      assert.match(
        run.output,
        /LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR of provider scitokens = strcat\("read:\/",: not a ClassAd expression \(classad_eval cannot parse it\)/,
      );
      assert.match(run.output, /^exit 1$/m);
    } else {
      assert.match(run.output, /LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR is set, but HTCondor 23\.9\.\d+ does not know it/);
      assert.match(run.output, /^exit 124$/m, 'it kept running until timeout stopped it');
    }
  });

  test('no token or private key of this run is in any log or container output', async () => {
    const checked = await assertNoSecretInOutputs(sandbox.projectName);
    // the users' tokens, the signing key and the TLS keys; and HTCondor's logs, nginx's, every container's output
    assert.ok(checked.secrets >= 5, `secrets harvested: ${checked.secrets}`);
    assert.ok(
      checked.outputs >= 3 && checked.bytes > 10_000,
      `outputs read: ${checked.outputs}, ${checked.bytes} bytes`,
    );

    // The check itself: one harvested secret, URL-encoded into an HTCondor log, is found.
    const secret = (await harvestSecrets(sandbox.projectName)).find((s) => /[+/]/.test(s));
    assert.ok(secret, 'a harvested secret with characters that URL-encoding changes');
    const canary = '/var/log/condor/secret-scan-canary.log';
    await sandbox.exec(['sh', '-c', `printf 'ok %s\\n' '${encodeURIComponent(secret)}' > ${canary}`]);
    await assert.rejects(assertNoSecretInOutputs(sandbox.projectName), (error: { actual?: unknown }) => {
      assert.match(
        String(error.actual),
        /url-encoded in cmtest-[0-9a-f]+-sandbox-1:\/var\/log\/condor\/secret-scan-canary\.log/,
      );
      return true;
    });
    await sandbox.exec(['rm', '-f', canary]);
  });
});
