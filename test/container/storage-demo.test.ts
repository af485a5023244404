/**
 * The token at work, OAuth mode (compose --profile demo): the storage also trusts the demo provider, whose issuer URL
 * (https://localhost:<port>) it reaches through a forwarder, fetching discovery and JWKS over HTTPS with the sandbox CA.
 * A job with a demo token (read:/public, obtained through a real browser login) reads /public with curl and xrdcp;
 * writing there, reading /user/... and a request without a token are refused.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { logInWithDemoProvider, loginUrlFrom } from '../helpers/demo-login.js';
import { accessTokenOf, freePort, httpsRequest, startSandbox, submitAndWait, type SandboxHandle } from '../helpers/sandbox.js';
import { assertNoSecretInOutputs } from '../helpers/run-secrets.js';

describe('storage (XRootD + SciTokens) with the demo OAuth provider', { timeout: 1_200_000 }, () => {
  let sandbox: SandboxHandle;
  let browser: Browser;
  let ca: string;
  let demoPort: number;

  before(async () => {
    demoPort = await freePort();
    sandbox = await startSandbox({ DEMO_HTTPS_PORT: String(demoPort) }, ['demo']);
    ca = await sandbox.ca();
    const certs = await Promise.all(
      ['server', 'demo-provider'].map(async (n) => (await sandbox.exec(['cat', `/var/lib/credmon-sandbox/tls/${n}.crt`])).output),
    );
    browser = await launchBrowser(ca, certs);
  });

  after(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  test('the storage trusts the demo issuer, reached at its own URL through a forwarder', async () => {
    const log = await sandbox.storageLogs();
    assert.match(log, new RegExp(`demo issuer https://localhost:${demoPort}: 127\\.0\\.0\\.1:${demoPort} is forwarded to demo-provider:9443`));
    assert.match(log, new RegExp(`trusting ${sandbox.baseUrl} and https://localhost:${demoPort} \\(for /public\\)`));
  });

  test('storage-public.sub: after the browser login the job reads /public with curl and xrdcp; the rest is refused', async () => {
    const first = await sandbox.sh('submitter', 'condor_submit storage-public.sub');
    assert.equal(first.exitCode, 1, 'nothing is queued before the login');
    await logInWithDemoProvider(browser, loginUrlFrom(first.output, sandbox.baseUrl), sandbox.baseUrl, `https://localhost:${demoPort}`);
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter', 'storage-public.sub', 'storage-public.out', 'storage-public.log');
    assert.equal(submit.exitCode, 0, submit.output);
    console.log(jobOutput.replace(/^/gm, '# storage-public.out: '));
    const line = (re: RegExp): void => assert.match(jobOutput, re, jobOutput);
    line(/^token: BEARER_TOKEN_FILE=\S+\/\.bearer_token mode 600$/m);
    line(/^read \/public\/hello\.txt with curl: HTTP 200\n {2}content: Hello from the credmon-sandbox storage/m);
    line(/^read \/public\/hello\.txt with xrdcp: ok\n {2}content: Hello from the credmon-sandbox storage/m);
    line(/^write \/public\/submitter\.txt with curl \(the token only reads\): HTTP 403$/m);
    line(/^read \/user\/submitter\/hello\.txt with curl \(not in the token's scope\): HTTP 403$/m);
    line(/^read \/public\/hello\.txt with curl and no token: HTTP 403$/m);
    const log = await sandbox.storageLogs();
    assert.match(log, /Unable to create \/public\/submitter\.txt; permission denied/);
    assert.ok(!log.includes('eyJ'), 'no token in the storage log');
  });

  test("from the test: the job's demo token reads /public; a local-issuer token claiming read:/public is refused", async () => {
    const use = (await sandbox.exec(['cat', '/var/lib/condor/oauth_credentials/submitter/scitokens.use'])).output;
    const demoToken = accessTokenOf(use);
    const read = await httpsRequest(`${sandbox.storageUrl}/public/hello.txt`, ca, { headers: { authorization: `Bearer ${demoToken}` } });
    assert.equal(read.status, 200);
    assert.match(read.body, /^Hello from the credmon-sandbox storage/);

    // The local issuer is trusted only under /user: its key cannot grant /public.
    const pem = (await sandbox.exec(['cat', '/var/lib/credmon-sandbox/keys/scitokens-private.pem'])).output;
    const now = Math.floor(Date.now() / 1000);
    const local = await new SignJWT({ scope: 'read:/public', ver: 'scitoken:2.0' })
      .setProtectedHeader({ alg: 'ES256', kid: 'local', typ: 'JWT' })
      .setIssuer(sandbox.baseUrl)
      .setSubject('submitter')
      .setAudience('https://localhost')
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(createPrivateKey(pem));
    const refused = await httpsRequest(`${sandbox.storageUrl}/public/hello.txt`, ca, { headers: { authorization: `Bearer ${local}` } });
    assert.equal(refused.status, 403);
  });

  test('no token, refresh token, code, session id, client secret or private key of this run is in any output', async () => {
    const checked = await assertNoSecretInOutputs(sandbox.projectName);
    assert.ok(checked.secrets >= 8 && checked.outputs >= 6, JSON.stringify(checked));
  });
});
