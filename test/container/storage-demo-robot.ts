/**
 * The client-credentials credmon in the demo sandbox (issue 17): the demo provider's robot client, whose secret only
 * root reads, and robot.sub. On HTCondor 25 the credmon gets robot.use with the client-credentials grant, no browser,
 * and the job writes and reads its own /user area at the storage with it. On 23.9 (no client-credentials support in
 * HTCondor) condor_submit refuses robot.sub and nothing is queued. Defined inside storage-demo.test.ts's describe so
 * that they share its sandbox (not a test file of its own: run.mjs runs only *.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { demoJwks, type DemoSandbox } from '../helpers/demo-sandbox.js';
import { SERIES } from '../helpers/image.js';
import { accessTokenOf, submitAndWait } from '../helpers/jobs.js';

const CRED_DIR = '/var/lib/condor/oauth_credentials';
const VOLUME_SECRET = '/var/lib/credmon-sandbox/robot/client-secret';

/** Adds the robot tests to the enclosing describe; `demo()` is its started sandbox. */
export function robotTests(demo: () => DemoSandbox): void {
  test('the robot client secret: root-only in the sandbox, installed for the credmon, never readable by a user', async () => {
    const { sandbox } = demo();
    const installed = await sandbox.exec(['stat', '-c', '%U:%G %a', '/etc/condor/.secrets/robot']);
    assert.equal(installed.output.trim(), 'root:root 600');
    const same = await sandbox.exec(['cmp', VOLUME_SECRET, '/etc/condor/.secrets/robot']);
    assert.equal(same.exitCode, 0, same.output);
    const asUser = await sandbox.sh('submitter', `cat ${VOLUME_SECRET} /etc/condor/.secrets/robot`);
    assert.notEqual(asUser.exitCode, 0);
    assert.equal((asUser.output.match(/Permission denied/g) ?? []).length, 2, asUser.output);
    const names = await sandbox.exec(['condor_config_val', 'CLIENT_CREDMON_PROVIDER_NAMES']);
    assert.equal(names.output.trim(), 'robot', 'robot is a client provider');
    const browser = await sandbox.exec(['condor_config_val', 'robot_CLIENT_ID']);
    assert.notEqual(browser.exitCode, 0, 'and not a browser (OAuth) provider');
    assert.match(browser.output, /Not defined: ROBOT_CLIENT_ID/);
  });

  if (SERIES === '25') {
    test('robot.sub on HTCondor 25: no login, the credmon gets robot.use, the job uses it at the storage', async () => {
      const { sandbox, ca, demoUrl } = demo();
      const files = ['robot.sub', 'robot.out', 'robot.log'] as const;
      const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter', ...files);
      assert.equal(submit.exitCode, 0, submit.output);
      assert.doesNotMatch(submit.output, /https:\/\//, 'no login URL');
      console.log(jobOutput.replace(/^/gm, '# robot.out: '));
      const line = (re: RegExp): void => assert.match(jobOutput, re, jobOutput);
      line(/^write \/user\/submitter\/hello\.txt with curl: HTTP 201$/m);
      line(/^read \/user\/submitter\/hello\.txt with curl: HTTP 200\n {2}content: hello from job sandbox at /m);
      line(/^write \/user\/submitter\/hello-xrdcp\.txt with xrdcp: ok$/m);
      line(/^read \/user\/submitter\/hello-xrdcp\.txt with xrdcp: ok\n {2}content: hello from job sandbox at /m);
      line(/^list \/user\/submitter with xrdfs: ok$/m);
      line(/^write \/user\/someone-else\/hello\.txt with curl \(someone else's directory\): HTTP 403$/m);
      line(/^read \/user\/submitter\/hello\.txt with curl and no token: HTTP 403$/m);

      const use = (await sandbox.exec(['cat', `${CRED_DIR}/submitter/robot.use`])).output;
      const { payload } = await jwtVerify(accessTokenOf(use), createLocalJWKSet(await demoJwks({ demoUrl, ca })), {
        issuer: demoUrl,
        audience: 'https://localhost',
      });
      assert.equal(payload.sub, 'robot');
      assert.equal(payload['wlcg.ver'], '1.0');
      const scopes = String(payload['scope']).split(' ').sort();
      const own = ['read', 'create', 'modify'].map((what) => `storage.${what}:/user/submitter`);
      assert.deepEqual(scopes, ['condor.user:submitter', ...own, 'wlcg'].sort());
      const top = await sandbox.exec(['stat', '-c', '%s', `${CRED_DIR}/submitter/robot.top`]);
      assert.equal(top.exitCode, 0, 'the credd wrote robot.top for the credmon');
    });
  } else {
    test('robot.sub on HTCondor 23.9: condor_submit refuses it (no client-credentials credmon), nothing queued', async () => {
      const { sandbox } = demo();
      const submit = await sandbox.sh('submitter', 'condor_submit robot.sub');
      assert.notEqual(submit.exitCode, 0, submit.output);
      assert.match(submit.output, /client secret for service robot/i);
      const queued = await sandbox.sh('submitter', 'condor_q -af UserLog | grep -c robot.log || true');
      assert.equal(queued.output.trim(), '0');
      const log = (await sandbox.exec(['cat', '/var/log/condor/CredMonOAuthLog'])).output;
      assert.match(log, /CLIENT_CREDMON_PROVIDER_NAMES.*ignored; no client-credentials tokens/);
      const use = await sandbox.exec(['test', '-e', `${CRED_DIR}/submitter/robot.use`]);
      assert.notEqual(use.exitCode, 0, 'no robot.use on 23.9');
    });
  }
}
