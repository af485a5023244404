/**
 * OAuth end to end with the demo profile: compose starts the real sandbox and the real demo authorization server
 * (oidc-provider); Debian's Chromium (playwright-core) follows the URL condor_submit prints, logs in, consents and comes
 * back; jobs then receive access tokens that verify against the demo provider's JWKS with the requested scope and
 * audience; the credmon refreshes them (with rotating refresh tokens) and running jobs see the new ones.
 */
import assert from 'node:assert/strict';

import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { Browser } from 'playwright-core';
import { dockerCli } from '../helpers/docker-cli.js';
import { PRIVATE_CREDD_LOG, assertNoSecretInOutputs } from '../helpers/run-secrets.js';
import { logInWithDemoProvider, loginUrlFrom } from '../helpers/demo-login.js';
import { demoJwks, startDemoSandbox, type DemoSandbox } from '../helpers/demo-sandbox.js';
import { httpsGet } from '../helpers/https.js';
import { accessTokenOf, credentialFilesFrom, submitAndWait } from '../helpers/jobs.js';
import type { SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const CRED_DIR = '/var/lib/condor/oauth_credentials';
const TTL_S = 90;

describe('sandbox with the demo OAuth provider', { timeout: 1_800_000 }, () => {
  let sandbox: SandboxHandle;
  let browser: Browser;
  let ca: string;
  let demoUrl: string;
  /** The login keys of every URL condor_submit printed: capabilities that must never reach a log. */
  const loginKeys: string[] = [];

  let demo: DemoSandbox | undefined;

  before(async () => {
    demo = await startDemoSandbox({ DEMO_ACCESS_TOKEN_TTL: String(TTL_S) });
    ({ sandbox, browser, ca, demoUrl } = demo);
  });

  after(() => demo?.[Symbol.asyncDispose]());

  async function verifyDemoToken(use: string | undefined, scope: string, context: string): Promise<JWTPayload> {
    assert.ok(use, `missing .use: ${context.slice(-1500)}`);
    const { payload } = await jwtVerify(accessTokenOf(use), createLocalJWKSet(await demoJwks({ demoUrl, ca })), {
      issuer: demoUrl,
      audience: 'https://localhost',
    });
    assert.equal(payload['scope'], scope);
    assert.equal(payload.sub, 'demo');
    assert.ok((payload.exp ?? 0) > Date.now() / 1000);
    assert.ok(!use.includes('refresh_token'), 'the refresh token never reaches a job');
    return payload;
  }

  /** Follows condor_submit's URL and logs in to every provider the page lists, as a person would. */
  function logInWithBrowser(output: string, expectedProviders: string[]): Promise<string> {
    const url = loginUrlFrom(output, sandbox.baseUrl);
    loginKeys.push(url.slice(url.lastIndexOf('/') + 1));
    return logInWithDemoProvider(browser, url, sandbox.baseUrl, demoUrl, expectedProviders);
  }

  async function writeSubmitFile(name: string, body: string): Promise<void> {
    const res = await sandbox.exec([
      'sh',
      '-c',
      `cat > /home/submitter/${name} <<'EOF'\n${body}\nEOF\nchown submitter: /home/submitter/${name}; chmod 755 /home/submitter/${name}`,
    ]);
    assert.equal(res.exitCode, 0, res.output);
  }

  test('test.sub: condor_submit prints a URL, the browser consents, the resubmitted job gets a verifiable token', async () => {
    const first = await sandbox.sh('submitter', 'condor_submit test.sub');
    assert.equal(first.exitCode, 1, 'nothing is queued before the login');
    assert.match(first.output, /Hellow, submitter\./);
    const page = await logInWithBrowser(first.output, ['scitokens']);
    assert.match(page, /read:\/public/);
    assert.match(page, /Logged in as demo/);

    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter');
    assert.equal(submit.exitCode, 0, submit.output);
    await verifyDemoToken(credentialFilesFrom(jobOutput).get('scitokens.use'), 'read:/public', jobOutput);
    const top = JSON.parse((await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.top`])).output) as Record<
      string,
      string
    >;
    assert.equal(top['scopes'], 'read:/public');
    assert.equal(top['audience'], 'https://localhost');
    const keyFiles = await sandbox.exec(['sh', '-c', `ls ${CRED_DIR} | grep -cE '^[0-9a-f]{64}$' || true`]);
    assert.equal(keyFiles.output.trim(), '0', 'the key file is removed once its logins are done');
  });

  test("a second job with the same scopes does not ask again; different scopes get HTCondor's mismatch message", async () => {
    const again = await sandbox.sh('submitter', 'condor_submit test.sub');
    assert.equal(again.exitCode, 0, again.output);
    assert.doesNotMatch(again.output, /Please visit/);
    await writeSubmitFile(
      'mismatch.sub',
      'executable = test.sh\nuse_oauth_services = scitokens\nscitokens_oauth_permissions = write:/public\nscitokens_oauth_resource = https://localhost\nqueue',
    );
    const mismatch = await sandbox.sh('submitter', 'condor_submit mismatch.sub');
    assert.notEqual(mismatch.exitCode, 0);
    assert.match(mismatch.output, /credentials exist that do not match the request/);
  });

  test('two-handles.sub: two logins from one key file give the job two tokens with their own scopes', async () => {
    const first = await sandbox.sh('submitter', 'condor_submit two-handles.sub');
    assert.equal(first.exitCode, 1, first.output);
    await logInWithBrowser(first.output, ['handle read', 'handle write']);
    const { submit, jobOutput } = await submitAndWait(
      sandbox,
      'submitter',
      'two-handles.sub',
      'two-handles.out',
      'two-handles.log',
    );
    assert.equal(submit.exitCode, 0, submit.output);
    const files = credentialFilesFrom(jobOutput);
    await verifyDemoToken(files.get('scitokens_read.use'), 'read:/public', jobOutput);
    await verifyDemoToken(files.get('scitokens_write.use'), 'write:/protected', jobOutput);
  });

  test('several-providers.sub: only the missing provider is asked for, and the job gets both tokens', async () => {
    const first = await sandbox.sh('submitter', 'condor_submit several-providers.sub');
    assert.equal(first.exitCode, 1, first.output);
    const page = await logInWithBrowser(first.output, ['demo']);
    assert.match(page, /1 of 1 done/, 'scitokens was already held, so only demo was asked for');
    const { submit, jobOutput } = await submitAndWait(
      sandbox,
      'submitter',
      'several-providers.sub',
      'several-providers.out',
      'several-providers.log',
    );
    assert.equal(submit.exitCode, 0, submit.output);
    const files = credentialFilesFrom(jobOutput);
    await verifyDemoToken(files.get('scitokens.use'), 'read:/public', jobOutput);
    await verifyDemoToken(files.get('demo.use'), 'read:/protected', jobOutput);
  });

  test('a forged callback is refused with a clear page and writes nothing', async () => {
    const before = (await sandbox.exec(['sh', '-c', `sha256sum ${CRED_DIR}/submitter/*`])).output;
    const page = await browser.newPage();
    const response = await page.goto(`${sandbox.baseUrl}/return/scitokens?code=stolen&state=${'A'.repeat(43)}`);
    assert.equal(response?.status(), 400);
    assert.match(await page.locator('main').innerText(), /cannot be accepted/);
    await page.close();
    assert.equal((await sandbox.exec(['sh', '-c', `sha256sum ${CRED_DIR}/submitter/*`])).output, before);
  });

  test('the credmon refreshes the token before it expires, rotating the refresh token, and a running job sees the new one', async () => {
    await writeSubmitFile(
      'watch.sh',
      '#!/bin/bash\nfor i in $(seq 1 15); do echo "tick $i $(sha256sum "$_CONDOR_CREDS/scitokens.use" | cut -c1-16)"; sleep 10; done\necho "==> $_CONDOR_CREDS/scitokens.use <=="\ncat "$_CONDOR_CREDS/scitokens.use"; echo',
    );
    await writeSubmitFile(
      'watch.sub',
      'executable = watch.sh\nuse_oauth_services = scitokens\nscitokens_oauth_permissions = read:/public\nscitokens_oauth_resource = https://localhost\noutput = watch.out\nerror = watch.err\nlog = watch.log\nqueue',
    );
    const topBefore = (await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.top`])).output;
    const useBefore = (await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.use`])).output;
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter', 'watch.sub', 'watch.out', 'watch.log');
    assert.equal(submit.exitCode, 0, submit.output);
    const seen = new Set([...jobOutput.matchAll(/^tick \d+ ([0-9a-f]{16})$/gm)].map((m) => m[1]));
    assert.ok(seen.size >= 2, `the running job saw ${seen.size} distinct token file(s):\n${jobOutput}`);
    const last = await verifyDemoToken(credentialFilesFrom(jobOutput).get('scitokens.use'), 'read:/public', jobOutput);
    assert.notEqual(last.jti, decodeJwt(accessTokenOf(useBefore)).jti, 'the job ended with a refreshed token');

    const topAfter = JSON.parse((await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.top`])).output) as Record<
      string,
      string
    >;
    const before = JSON.parse(topBefore) as Record<string, string>;
    assert.notEqual(topAfter['refresh_token'], before['refresh_token'], 'the rotated refresh token was saved');
    assert.equal(topAfter['scopes'], 'read:/public', 'scopes survive refreshes byte for byte');
    assert.equal(topAfter['audience'], 'https://localhost');
    const log = (await sandbox.exec(['cat', '/var/log/condor/CredMonOAuthLog'])).output;
    assert.match(log, /Successfully refreshed scitokens tokens for user submitter/);
    assert.ok(!log.includes(topAfter['refresh_token'] ?? 'x'), 'no refresh token in the log');
  });

  test('the demo provider keeps its grants across a restart: the credmon refreshes with the refresh token it held', async () => {
    const refreshToken = async (): Promise<string> =>
      (
        JSON.parse((await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.top`])).output) as {
          refresh_token: string;
        }
      ).refresh_token;
    const credmonLog = async (): Promise<string[]> =>
      (await sandbox.exec(['cat', '/var/log/condor/CredMonOAuthLog'])).output.split('\n');
    // Restart right after a refresh, so the next one comes after the provider is back, with a token from before.
    const first = await refreshToken();
    await waitFor(async () => (await refreshToken()) !== first, 3 * TTL_S * 1000, 'a refresh before the restart');
    const held = await refreshToken();
    const provider = `${sandbox.projectName}-demo-provider-1`;
    await dockerCli(['restart', '-t', '5', provider]);
    await waitFor(
      async () => (await dockerCli(['inspect', '-f', '{{.State.Health.Status}}', provider])).trim() === 'healthy',
      120_000,
      'the demo provider to be healthy again',
    );
    assert.equal(await refreshToken(), held, 'the refresh token held across the restart was issued before it');
    const linesBefore = (await credmonLog()).length;
    await waitFor(async () => (await refreshToken()) !== held, 3 * TTL_S * 1000, 'a refresh after the restart');
    const newLines = (await credmonLog()).slice(linesBefore - 1).join('\n');
    assert.doesNotMatch(newLines, /Failed to refresh scitokens/, 'no failed refresh after the provider restarted');
    assert.match(newLines, /Successfully refreshed scitokens tokens for user submitter/);
    await verifyDemoToken(
      (await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.use`])).output,
      'read:/public',
      'after the restart',
    );
  });

  test('a revoked refresh token: the credmon says the user must log in again and changes no file', async () => {
    const user = 'submitter';
    const hash = async (): Promise<string> =>
      (await sandbox.exec(['sh', '-c', `sha256sum ${CRED_DIR}/${user}/demo.*`])).output;
    const top = JSON.parse((await sandbox.exec(['cat', `${CRED_DIR}/${user}/demo.top`])).output) as {
      refresh_token: string;
    };
    const discovery = JSON.parse((await httpsGet(`${demoUrl}/.well-known/openid-configuration`, ca)).body) as {
      revocation_endpoint: string;
    };
    const status = await postForm(
      discovery.revocation_endpoint,
      {
        token: top.refresh_token,
        token_type_hint: 'refresh_token',
        client_id: 'credmon-sandbox-demo',
        client_secret: 'demo-demo-secret',
      },
      ca,
    );
    assert.equal(status, 200);
    const filesBefore = await hash();
    await waitFor(
      async () =>
        /Failed to refresh demo tokens for user submitter: .*invalid_grant.*must log in again/.test(
          (await sandbox.exec(['cat', '/var/log/condor/CredMonOAuthLog'])).output,
        ),
      4 * TTL_S * 1000,
      'the credmon to report the revoked refresh token',
    );
    assert.equal(await hash(), filesBefore, 'no credential file was changed or removed');
    const pid = (await sandbox.exec(['cat', `${CRED_DIR}/pid`])).output.trim();
    assert.equal((await sandbox.exec(['kill', '-0', pid])).exitCode, 0, 'the credmon is still running');
    // The other provider's token is still refreshed: one bad credential does not stop the others.
    const use = (await sandbox.exec(['cat', `${CRED_DIR}/${user}/scitokens.use`])).output;
    await waitFor(
      async () => (await sandbox.exec(['cat', `${CRED_DIR}/${user}/scitokens.use`])).output !== use,
      3 * TTL_S * 1000,
      'scitokens to be refreshed again',
    );
  });

  test('no token, refresh token, code, session id, client secret, private key or login key of this run is in any log', async () => {
    const checked = await assertNoSecretInOutputs(sandbox.projectName, [], { loginKeys });
    // HTCondor's credd logs login URLs: its log must be out of local users' reach.
    const privateLog = await sandbox.sh('submitter', `cat ${PRIVATE_CREDD_LOG}`);
    assert.notEqual(privateLog.exitCode, 0, 'a local user can read the credd log, and with it the login URLs');
    assert.match(privateLog.output, /Permission denied/);
    // A check that found nothing to look for, or nowhere to look, would prove nothing.
    assert.ok(loginKeys.length >= 3, `login keys seen: ${loginKeys.length}`);
    assert.ok(checked.secrets >= loginKeys.length + 10, `secrets harvested: ${checked.secrets}`);
    assert.ok(
      checked.outputs >= 4 && checked.bytes > 10_000,
      `outputs read: ${checked.outputs}, ${checked.bytes} bytes`,
    );
    console.log(
      `# ${checked.secrets} secrets in ${checked.encodings} encodings: none in ${checked.outputs} outputs (${checked.bytes} bytes)`,
    );
  });
});

function postForm(url: string, form: Record<string, string>, ca: string): Promise<number> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
