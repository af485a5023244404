/**
 * The token at work, local-issuer mode: compose starts the sandbox and the storage service (XRootD with its SciTokens
 * plugin). Jobs use their tokens there with curl (HTTPS) and xrdcp/xrdfs (roots://) through WLCG bearer token
 * discovery; the test itself presents forged, expired, foreign-audience and read-only tokens, and reads the storage's
 * own reason for each refusal from its log. The storage learns the issuer's key only from the discovery document and
 * JWKS it fetches over HTTPS.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { httpsRequest } from '../helpers/https.js';
import { submitAndWait } from '../helpers/jobs.js';
import { startSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { assertNoSecretInOutputs } from '../helpers/run-secrets.js';

const LIFETIME_S = 60;
const AUDIENCE = 'https://localhost';

describe('storage (XRootD + SciTokens) with the local issuer', { timeout: 1_200_000 }, () => {
  let sandbox: SandboxHandle;
  let ca: string;
  let issuerKey: KeyObject;

  before(async () => {
    // Short-lived tokens, so a job can outlive its first token within the test.
    sandbox = await startSandbox({ LOCAL_CREDMON_TOKEN_LIFETIME: String(LIFETIME_S) });
    ca = await sandbox.ca();
    const pem = await sandbox.exec(['cat', '/var/lib/credmon-sandbox/keys/scitokens-private.pem']);
    assert.equal(pem.exitCode, 0, pem.output);
    issuerKey = createPrivateKey(pem.output);
  });

  after(async () => {
    await sandbox?.stop();
  });

  interface TokenOptions {
    readonly scope?: string;
    readonly audience?: string;
    readonly issuer?: string;
    readonly issuedAtS?: number;
    readonly expiresAtS?: number;
    readonly key?: KeyObject;
  }

  /** A token shaped like the credmon's (ES256, kid "local", scitoken:2.0), signed by the issuer's key unless told. */
  async function token(options: TokenOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const iat = options.issuedAtS ?? now;
    return new SignJWT({ scope: options.scope ?? 'read:/user/tester write:/user/tester', ver: 'scitoken:2.0' })
      .setProtectedHeader({ alg: 'ES256', kid: 'local', typ: 'JWT' })
      .setIssuer(options.issuer ?? sandbox.baseUrl)
      .setSubject('tester')
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(options.expiresAtS ?? now + 300)
      .setJti(randomUUID())
      .sign(options.key ?? issuerKey);
  }

  async function storage(
    method: string,
    path: string,
    bearer?: string,
    body?: string,
  ): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
    return httpsRequest(`${sandbox.storageUrl}${path}`, ca, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
  }

  /**
   * Runs `request` and returns what the storage logged meanwhile: XRootD logs to the container's stdout, so a marker
   * line written there first separates this request's lines from earlier ones.
   */
  async function logDuring<T>(request: () => Promise<T>): Promise<{ result: T; log: string }> {
    const marker = `# storage test marker ${randomUUID()}`;
    assert.equal((await sandbox.storage.exec(['sh', '-c', `echo '${marker}' > /proc/1/fd/1`])).exitCode, 0);
    const result = await request();
    await new Promise((r) => setTimeout(r, 500));
    const log = await sandbox.storageLogs();
    const at = log.indexOf(marker);
    assert.ok(at >= 0, 'the marker reached the storage log');
    return { result, log: log.slice(at) };
  }

  test('storage.sub: the job writes, reads back and lists /user/submitter with curl and xrdcp; the refusals are refused', async () => {
    const { submit, jobOutput } = await submitAndWait(
      sandbox,
      'submitter',
      'storage.sub',
      'storage.out',
      'storage.log',
    );
    assert.equal(submit.exitCode, 0, submit.output);
    const out = jobOutput;
    const line = (re: RegExp): void => assert.match(out, re, out);
    line(/^storage: https:\/\/storage:1094 and roots:\/\/storage:1094, user submitter$/m);
    // HTCondor 25 runs jobs in dir_N/scratch (STARTER_NESTED_SCRATCH).
    line(/^token: BEARER_TOKEN_FILE=\/var\/lib\/condor\/execute\/dir_\d+\/(?:scratch\/)?\.bearer_token mode 600$/m);
    line(/^write \/user\/submitter\/hello\.txt with curl: HTTP 201$/m);
    line(/^read \/user\/submitter\/hello\.txt with curl: HTTP 200\n {2}content: hello from job sandbox at /m);
    line(/^write \/user\/submitter\/hello-xrdcp\.txt with xrdcp: ok$/m);
    line(/^read \/user\/submitter\/hello-xrdcp\.txt with xrdcp: ok\n {2}content: hello from job sandbox at /m);
    line(
      /^list \/user\/submitter with xrdfs: ok\n(?: {2}.*\n)* {2}-rw\S* xrootd xrootd +\d+ .* \/user\/submitter\/hello-xrdcp\.txt$/m,
    );
    line(/^ {2}-rw\S* xrootd xrootd +\d+ .* \/user\/submitter\/hello\.txt$/m);
    line(/^write \/user\/someone-else\/hello\.txt with curl \(someone else's directory\): HTTP 403$/m);
    line(/^read \/user\/someone-else\/hello\.txt with curl \(someone else's directory\): HTTP 403$/m);
    line(
      /^write \/user\/someone-else\/hello\.txt with xrdcp \(someone else's directory\): refused \(.*permission denied.*\)$/m,
    );
    line(/^read \/user\/submitter\/hello\.txt with curl and no token: HTTP 403$/m);
    line(/^read \/user\/submitter\/hello-xrdcp\.txt with xrdcp and no token: refused \(.*Auth failed.*\)$/m);

    // What the storage holds and what it said.
    const stored = await sandbox.storage.exec(['cat', '/var/lib/credmon-sandbox/storage/user/submitter/hello.txt']);
    assert.match(stored.output, /^hello from job sandbox at /);
    const none = await sandbox.storage.exec(['test', '-e', '/var/lib/credmon-sandbox/storage/user/someone-else']);
    assert.notEqual(none.exitCode, 0, 'nothing was created for someone else');
    const log = await sandbox.storageLogs();
    assert.match(log, /login as submitter/, 'the xroot login carried the token (ztn)');
    assert.match(log, /Unable to \w+ \/user\/someone-else\/hello\.txt; permission denied/);
    assert.ok(!log.includes('eyJ'), 'no token in the storage log');
  });

  test('every job has SANDBOX_STORAGE_URL; a job without tokens gets no BEARER_TOKEN_FILE', async () => {
    const plain = await sandbox.exec([
      'sh',
      '-c',
      "printf 'executable = /usr/bin/env\\noutput = plain.out\\nerror = plain.err\\nlog = plain.log\\nqueue\\n' > /home/submitter/plain.sub; chown submitter: /home/submitter/plain.sub",
    ]);
    assert.equal(plain.exitCode, 0, plain.output);
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter', 'plain.sub', 'plain.out', 'plain.log');
    assert.equal(submit.exitCode, 0, submit.output);
    assert.match(jobOutput, /^SANDBOX_STORAGE_URL=https:\/\/storage:1094$/m);
    assert.doesNotMatch(jobOutput, /BEARER_TOKEN/);
  });

  test('a job running longer than its first token keeps a fresh BEARER_TOKEN_FILE and still writes at the end', async () => {
    const script = `#!/bin/bash
first=$(cat "$BEARER_TOKEN_FILE")
python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["access_token"])' "$_CONDOR_CREDS/scitokens.use" | cmp -s - "$BEARER_TOKEN_FILE" && echo "bare token is the access_token of scitokens.use"
for i in $(seq 1 12); do echo "tick $i $(sha256sum < "$BEARER_TOKEN_FILE" | cut -c1-16) $(stat -c %a "$BEARER_TOKEN_FILE")"; sleep 10; done
(umask 077; printf 'Authorization: Bearer %s\\n' "$(cat "$BEARER_TOKEN_FILE")" > auth.hdr)
echo "late write with the current file: HTTP $(curl -s -o /dev/null -w '%{http_code}' -X PUT -H @auth.hdr --data-binary late "$SANDBOX_STORAGE_URL/user/$(id -un)/late.txt")"
(umask 077; printf 'Authorization: Bearer %s\\n' "$first" > auth.hdr)
echo "late write with the token the job started with: HTTP $(curl -s -o /dev/null -w '%{http_code}' -X PUT -H @auth.hdr --data-binary late "$SANDBOX_STORAGE_URL/user/$(id -un)/late-first.txt")"
rm -f auth.hdr
`;
    const setup = await sandbox.exec([
      'sh',
      '-c',
      `cat > /home/submitter/long.sh <<'EOF'\n${script}EOF\n` +
        "printf 'executable = long.sh\\nuse_oauth_services = scitokens\\noutput = long.out\\nerror = long.err\\nlog = long.log\\nqueue\\n' > /home/submitter/long.sub;" +
        'chown submitter: /home/submitter/long.*; chmod 755 /home/submitter/long.sh',
    ]);
    assert.equal(setup.exitCode, 0, setup.output);
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter', 'long.sub', 'long.out', 'long.log');
    assert.equal(submit.exitCode, 0, submit.output);
    assert.match(jobOutput, /^bare token is the access_token of scitokens\.use$/m, jobOutput);
    const ticks = [...jobOutput.matchAll(/^tick \d+ ([0-9a-f]{16}) (\d+)$/gm)];
    assert.equal(ticks.length, 12, jobOutput);
    assert.ok(
      new Set(ticks.map((t) => t[1])).size >= 2,
      `the bare token file changed while the job ran:\n${jobOutput}`,
    );
    assert.ok(
      ticks.every((t) => t[2] === '600'),
      `the file stays mode 0600:\n${jobOutput}`,
    );
    assert.match(jobOutput, /^late write with the current file: HTTP 201$/m);
    assert.match(
      jobOutput,
      /^late write with the token the job started with: HTTP 403$/m,
      'a copy taken at the start would have expired',
    );
    assert.match(
      await sandbox.storageLogs(),
      /Failed to deserialize SciToken: (?:token verification failed: )?token expired/,
    );
  });

  test('the test itself: a valid token of the issuer writes and reads (the control for the refusals below)', async () => {
    const t = await token();
    assert.equal((await storage('PUT', '/user/tester/control.txt', t, 'control')).status, 201);
    const read = await storage('GET', '/user/tester/control.txt', t);
    assert.equal(read.status, 200);
    assert.equal(read.body, 'control');
  });

  test('a token signed by another key under the same kid is refused: "invalid signature"', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { result, log } = await logDuring(async () =>
      storage('GET', '/user/tester/control.txt', await token({ key: privateKey })),
    );
    assert.equal(result.status, 403);
    assert.match(log, /Failed to deserialize SciToken: invalid signature/);
    assert.match(log, /Unable to open \/user\/tester\/control\.txt; permission denied/);
  });

  test('an expired token is refused: "token expired"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { result, log } = await logDuring(async () =>
      storage('GET', '/user/tester/control.txt', await token({ issuedAtS: now - 600, expiresAtS: now - 300 })),
    );
    assert.equal(result.status, 403);
    assert.match(log, /Failed to deserialize SciToken: (?:token verification failed: )?token expired/);
  });

  test('a token for another audience is refused: "\'aud\' claim verification failed"', async () => {
    const { result, log } = await logDuring(async () =>
      storage('GET', '/user/tester/control.txt', await token({ audience: 'https://elsewhere.example' })),
    );
    assert.equal(result.status, 403);
    assert.match(log, /token verification failed: 'aud' claim verification failed/);
  });

  test('a token from an issuer the storage does not trust is refused: "not in list of allowed issuers"', async () => {
    const { result, log } = await logDuring(async () =>
      storage('GET', '/user/tester/control.txt', await token({ issuer: 'https://localhost:1' })),
    );
    assert.equal(result.status, 403);
    assert.match(log, /Token issuer (?:"[^"]*" )?is not in list of allowed issuers/);
  });

  test('a read-only token reads but cannot write: "Unable to create ... permission denied"', async () => {
    const readOnly = await token({ scope: 'read:/user/tester' });
    assert.equal((await storage('GET', '/user/tester/control.txt', readOnly)).status, 200);
    const { result, log } = await logDuring(() => storage('PUT', '/user/tester/read-only.txt', readOnly, 'no'));
    assert.equal(result.status, 403);
    assert.match(log, /Unable to create \/user\/tester\/read-only\.txt; permission denied/);
    const none = await sandbox.storage.exec([
      'test',
      '-e',
      '/var/lib/credmon-sandbox/storage/user/tester/read-only.txt',
    ]);
    assert.notEqual(none.exitCode, 0, 'nothing was written');
  });

  test('no token, or a token that is not a JWT: refused, never a hang or a 5xx', async () => {
    assert.equal((await storage('GET', '/user/tester/control.txt')).status, 403);
    assert.equal((await storage('PUT', '/user/tester/anon.txt', undefined, 'x')).status, 403);
    assert.equal((await storage('GET', '/user/tester/control.txt', 'not-a-token')).status, 403);
  });

  test('when the issuer cannot be reached, the storage refuses and says so in its log', async () => {
    // Drop the keys the storage fetched earlier, and take the issuer's HTTPS server away.
    assert.equal((await sandbox.storage.exec(['sh', '-c', 'rm -rf /var/cache/credmon-sandbox-storage/*'])).exitCode, 0);
    assert.equal((await sandbox.exec(['supervisorctl', 'stop', 'nginx'])).exitCode, 0);
    try {
      const { result, log } = await logDuring(async () => storage('GET', '/user/tester/control.txt', await token()));
      assert.equal(result.status, 403);
      assert.match(log, /Failed to deserialize SciToken: .*(connect|Could not|Couldn't|refused|fetch|retrieve)/i, log);
    } finally {
      await sandbox.exec(['supervisorctl', 'start', 'nginx']);
    }
    // scitokens-cpp 1.4 (HTCondor 25's forky) remembers the failed fetch (SCITOKEN_CONFIG_KEYCACHE_UPDATE_INTERVAL_S,
    // a minute in the sandbox); 1.1 fetches again at once.
    await waitFor(
      async () => (await storage('GET', '/user/tester/control.txt', await token())).status === 200,
      120_000,
      'the storage to accept tokens again once the issuer is back',
    );
  });

  test('no token or private key of this run is in the storage log, the sandbox logs or any container output', async () => {
    const checked = await assertNoSecretInOutputs(sandbox.projectName);
    assert.ok(checked.secrets >= 3 && checked.outputs >= 4, JSON.stringify(checked));
  });
});
