/**
 * HTCondor 24/25 parity in one sandbox: the WLCG token profile. With LOCAL_CREDMON_TOKEN_VERSION=wlcg:1.0 and WLCG
 * storage scopes, the credmon writes `"wlcg.ver": "1.0"` (no `ver`), and the storage (XRootD's SciTokens plugin, a
 * WLCG relying party) lets the job write and read its own area and nothing else. The daemon log bounded by
 * MAX_CREDMON_OAUTH_LOG as HTCondor bounds its own, and exit 44 when it cannot be opened. Runs on 23.9 and on 25.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT, createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { httpsGet, httpsRequest } from '../helpers/https.js';
import { accessTokenOf, submitAndWait } from '../helpers/jobs.js';
import { startSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const WLCG_SCOPES = 'storage.read:/user/{username} storage.create:/user/{username} storage.modify:/user/{username}';
const AUDIENCE = 'https://localhost';

describe(
  'HTCondor 24/25 parity: the WLCG token profile (LOCAL_CREDMON_TOKEN_VERSION=wlcg:1.0), a bounded log',
  { timeout: 1_200_000 },
  () => {
    let sandbox: SandboxHandle;
    let ca: string;
    let issuerKey: KeyObject;

    before(async () => {
      sandbox = await startSandbox({
        LOCAL_CREDMON_TOKEN_VERSION: 'wlcg:1.0',
        LOCAL_CREDMON_AUTHZ_TEMPLATE: WLCG_SCOPES,
      });
      ca = await sandbox.ca();
      const pem = await sandbox.exec(['cat', '/var/lib/credmon-sandbox/keys/scitokens-private.pem']);
      assert.equal(pem.exitCode, 0, pem.output);
      issuerKey = createPrivateKey(pem.output);
    });

    after(async () => {
      await sandbox?.stop();
    });

    test('storage.sub: the job writes and reads its own area with a wlcg.ver token; elsewhere is refused', async () => {
      const { submit, jobOutput: out } = await submitAndWait(
        sandbox,
        'submitter',
        'storage.sub',
        'storage.out',
        'storage.log',
      );
      assert.equal(submit.exitCode, 0, submit.output);
      const line = (re: RegExp): void => assert.match(out, re, out);
      line(/^write \/user\/submitter\/hello\.txt with curl: HTTP 201$/m);
      line(/^read \/user\/submitter\/hello\.txt with curl: HTTP 200\n {2}content: hello from job sandbox at /m);
      line(/^write \/user\/submitter\/hello-xrdcp\.txt with xrdcp: ok$/m);
      line(/^read \/user\/submitter\/hello-xrdcp\.txt with xrdcp: ok\n {2}content: hello from job sandbox at /m);
      line(/^write \/user\/someone-else\/hello\.txt with curl \(someone else's directory\): HTTP 403$/m);
      line(/^read \/user\/submitter\/hello\.txt with curl and no token: HTTP 403$/m);
      const stored = await sandbox.storage.exec(['cat', '/var/lib/credmon-sandbox/storage/user/submitter/hello.txt']);
      assert.match(stored.output, /^hello from job sandbox at /);
    });

    test("the credmon's token carries wlcg.ver 1.0, no ver, the WLCG scopes, and verifies against the JWKS", async () => {
      const use = await sandbox.exec(['cat', '/var/lib/condor/oauth_credentials/submitter/scitokens.use']);
      assert.equal(use.exitCode, 0, use.output);
      const discovery = JSON.parse(
        (await httpsGet(`${sandbox.baseUrl}/.well-known/openid-configuration`, ca)).body,
      ) as {
        jwks_uri: string;
      };
      const jwks = JSON.parse((await httpsGet(discovery.jwks_uri, ca)).body) as JSONWebKeySet;
      const { payload } = await jwtVerify(accessTokenOf(use.output), createLocalJWKSet(jwks), {
        issuer: sandbox.baseUrl,
        audience: AUDIENCE,
      });
      assert.equal(payload['wlcg.ver'], '1.0');
      assert.equal('ver' in payload, false, JSON.stringify(payload));
      assert.equal(payload.scope, WLCG_SCOPES.replaceAll('{username}', 'submitter'));
      assert.equal(payload.sub, 'submitter');
    });

    test('the storage accepts the WLCG claim and refuses the same token with ver "wlcg:1.0" (what 23.9 writes)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const sign = (profile: Record<string, string>): Promise<string> =>
        new SignJWT({ scope: WLCG_SCOPES.replaceAll('{username}', 'tester'), ...profile })
          .setProtectedHeader({ alg: 'ES256', kid: 'local', typ: 'JWT' })
          .setIssuer(sandbox.baseUrl)
          .setSubject('tester')
          .setAudience(AUDIENCE)
          .setIssuedAt(now)
          .setNotBefore(now)
          .setExpirationTime(now + 300)
          .setJti(randomUUID())
          .sign(issuerKey);
      const put = async (token: string, name: string): Promise<number> =>
        (
          await httpsRequest(`${sandbox.storageUrl}/user/tester/${name}`, ca, {
            method: 'PUT',
            headers: { authorization: `Bearer ${token}` },
            body: 'hello',
          })
        ).status;
      assert.equal(await put(await sign({ 'wlcg.ver': '1.0' }), 'wlcg.txt'), 201);
      assert.equal(await put(await sign({ ver: 'wlcg:1.0' }), 'ver.txt'), 403);
    });

    test('a log held to MAX_CREDMON_OAUTH_LOG = 4 Kb rotates to .old, and neither file ever exceeds it', async () => {
      const logFile = (await sandbox.exec(['condor_config_val', 'CREDMON_OAUTH_LOG'])).output.trim();
      assert.match(logFile, /^\/.+CredMonOAuthLog$/);
      const pidFile = '/var/lib/condor/oauth_credentials/pid';
      const before = (await sandbox.exec(['cat', pidFile])).output.trim();
      const conf = 'MAX_CREDMON_OAUTH_LOG = 4 Kb\nCREDMON_OAUTH_DEBUG = D_FULLDEBUG\n';
      assert.equal(
        (await sandbox.exec(['sh', '-c', `printf '${conf}' > /etc/condor/config.d/99-parity-log.conf`])).exitCode,
        0,
      );
      // The master restarts a credmon that dies; the new one reads the new bound at its start.
      assert.equal((await sandbox.exec(['sh', '-c', `kill -KILL ${before}`])).exitCode, 0);
      // What the earlier tests logged was written under the default bound: start from an empty log.
      assert.equal((await sandbox.exec(['sh', '-c', `truncate -s 0 ${logFile} && rm -f ${logFile}.old`])).exitCode, 0);
      let pid = '';
      await waitFor(
        async () => {
          pid = (await sandbox.exec(['cat', pidFile])).output.trim();
          return (
            pid !== before && /^\d+$/.test(pid) && (await sandbox.exec(['sh', '-c', `kill -0 ${pid}`])).exitCode === 0
          );
        },
        120_000,
        'the master to restart the credmon',
      );
      const sizes = new Set<string>();
      for (let round = 0; round < 20; round++) {
        // Each SIGHUP is a scan, logged at D_FULLDEBUG: some 40 SIGHUPs fill 4 KiB several times over.
        await sandbox.exec(['sh', '-c', `for i in 1 2 3 4 5; do kill -HUP ${pid}; sleep 0.05; done`]);
        const stat = await sandbox.exec(['sh', '-c', `stat -c '%n %s' ${logFile} ${logFile}.old 2>/dev/null; true`]);
        for (const line of stat.output.trim().split('\n')) if (line) sizes.add(line);
      }
      for (const line of sizes) assert.ok(Number(line.split(' ')[1]) <= 4096, `over the bound: ${line}`);
      const files = (await sandbox.exec(['sh', '-c', `ls ${logFile}*`])).output.trim().split('\n');
      assert.deepEqual(files.sort(), [logFile, `${logFile}.old`]);
      const current = (await sandbox.exec(['cat', logFile])).output;
      const old = (await sandbox.exec(['cat', `${logFile}.old`])).output;
      assert.match(
        `${old}\n${current}`,
        /Now in new log file .*CredMonOAuthLog; the previous one is .*CredMonOAuthLog\.old/,
      );
      assert.match(current, /Got SIGHUP/);
      assert.equal((await sandbox.exec(['rm', '/etc/condor/config.d/99-parity-log.conf'])).exitCode, 0);
    });

    test('a log file that cannot be opened: the credmon exits 44 with the reason on stderr', async () => {
      const run = await sandbox.exec([
        'sh',
        '-c',
        '/usr/local/libexec/credmon-sandbox/credmon -l /nonexistent-dir/CredMonOAuthLog -c /tmp/parity-creds; echo "exit $?"',
      ]);
      assert.match(
        run.output,
        /credmon: cannot open the log file \/nonexistent-dir\/CredMonOAuthLog: .*ENOENT/,
        run.output,
      );
      assert.match(run.output, /^exit 44$/m, run.output);
    });
  },
);
