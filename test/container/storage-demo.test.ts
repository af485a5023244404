/**
 * The token at work, OAuth mode (compose --profile demo): the storage also trusts the demo provider, whose issuer
 * URL (https://localhost:<port>) it reaches through a forwarder, fetching discovery and JWKS over HTTPS with the
 * sandbox CA.
 * A job with a demo token (read:/public, obtained through a real browser login) reads /public with curl and xrdcp;
 * writing there, reading /user/... and a request without a token are refused. /public is read-only whatever the token
 * (issue 15, item 5): neither a token a local user gets by running the code flow by hand with the public demo client
 * secret and demo/demo, nor a token of the demo issuer that does carry write scopes, can change it; the by-hand token
 * gets nothing under /user, which the storage trusts the demo issuer for because of the robot client's per-user tokens
 * (storage-demo-robot.ts: robot.sub on HTCondor 25, refused on 23.9).
 */
import assert from 'node:assert/strict';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { Browser } from 'playwright-core';
import { logInWithDemoProvider, loginUrlFrom } from '../helpers/demo-login.js';
import { dockerCli } from '../helpers/docker-cli.js';
import { startDemoSandbox, type DemoSandbox } from '../helpers/demo-sandbox.js';
import { httpsRequest } from '../helpers/https.js';
import { accessTokenOf, submitAndWait } from '../helpers/jobs.js';
import type { SandboxHandle } from '../helpers/sandbox.js';
import { assertNoSecretInOutputs } from '../helpers/run-secrets.js';
import { robotTests } from './storage-demo-robot.js';

const HELLO = 'Hello from the credmon-sandbox storage: anyone with read:/public can read this.';
const DEMO_KEYS = '/var/lib/credmon-sandbox/demo/signing-keys.json';
const CRED_DIR = '/var/lib/condor/oauth_credentials';
/** Every storage scope a token could carry for /public: what the attack asks for, and what the forged token holds. */
const WIDEST =
  'read:/public write:/public storage.read:/ storage.read:/public storage.modify:/ storage.create:/ write:/';
/** What the attack also asks for: the robot's per-user scopes for /user, which the storage trusts this issuer for. */
const USER_AREA = 'storage.read:/user/submitter storage.create:/user/submitter storage.modify:/user/submitter';

/**
 * The attack, as the local user `submitter` runs it in the sandbox: the code flow with curl (no browser), the demo
 * client's public secret and demo/demo, asking for WIDEST; then, with the token it got, reads and writes under /public
 * at the storage. Prints "scope: <granted>" and one "<METHOD> <path>: <status> <body>" line per request.
 */
function byHandScript(sandboxUrl: string): string {
  return `set -eu
umask 077
P=https://demo-provider:9443 S=https://storage:1094 RU='${sandboxUrl}/return/scitokens' ID=credmon-sandbox-scitokens
dir=$(mktemp -d) && : > "$dir/cookies"
v=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\\n')
ch=$(printf %s "$v" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\\n')
# Cookies by hand (name value lines, newest wins): forky's curl 8.22 keeps the provider's cookies in its jar but
# never sends them back to the dotless host demo-provider (trixie's 8.14 does).
trail=
step() {
  jar=$(tac "$dir/cookies" | awk '!seen[$1]++ && $2 != "" { printf "%s%s=%s", sep, $1, $2; sep = "; " }')
  out=$(curl -sS -D "$dir/headers" -H "Cookie: $jar" -o "$dir/page" -w '%{http_code} %{redirect_url}' "$@" \\
    2>>"$dir/err") || true
  tr -d '\\r' < "$dir/headers" | sed -nE 's/^set-cookie: *([^=]+)=([^;]*).*/\\1 \\2/Ip' >> "$dir/cookies"
  trail="$trail $(printf %s "$out" | cut -d' ' -f1)" && url=$(printf %s "$out" | cut -d' ' -f2-)
}
step -G "$P/auth" --data-urlencode response_type=code --data-urlencode client_id=$ID \\
  --data-urlencode "redirect_uri=$RU" --data-urlencode 'scope=${WIDEST} ${USER_AREA}' --data-urlencode state=by-hand \\
  --data-urlencode "code_challenge=$ch" --data-urlencode code_challenge_method=S256 \\
  --data-urlencode resource=https://localhost
step --data-urlencode prompt=login --data-urlencode username=demo --data-urlencode password=demo "$url"
for _ in 1 2 3 4 5 6; do
  case "$url" in
    "$P"/interaction/*) step --data-urlencode prompt=consent --data-urlencode decision=allow "$url" ;;
    "$P"/*) step "$url" ;;
    *) break ;;
  esac
done
code=$(printf %s "$url" | sed -nE 's/.*[?&]code=([^&]*).*/\\1/p')
if [ -z "$code" ]; then
  page=$(sed -e 's/<[^>]*>/ /g' "$dir/page" | tr -s ' \\n' ' ' | tail -c 300)
  echo "no code: statuses$trail, ended at $(printf %s "$url" | cut -d'?' -f1): $page"
  head -c 600 "$dir/err"
  exit 1
fi
curl -sS -o "$dir/token.json" -d grant_type=authorization_code --data-urlencode "code=$code" \\
  --data-urlencode "redirect_uri=$RU" --data-urlencode "code_verifier=$v" --data-urlencode client_id=$ID \\
  --data-urlencode client_secret=demo-scitokens-secret "$P/token"
echo "scope: $(sed -nE 's/.*"scope":"([^"]*)".*/\\1/p' "$dir/token.json")"
printf 'Authorization: Bearer %s\\n' "$(sed -nE 's/.*"access_token":"([^"]*)".*/\\1/p' "$dir/token.json")" > "$dir/auth"
op() {
  m=$1 p=$2 && shift 2
  c=$(curl -sS -o "$dir/body" -w '%{http_code}' -X "$m" -H @"$dir/auth" "$@" "$S$p")
  echo "$m $p: $c $(head -c 300 "$dir/body" | tr '\\n' ' ' | sed 's/ *$//')"
}
op GET /public/hello.txt
op PUT /public/hello.txt --data-binary overwritten
op PUT /public/by-hand.txt --data-binary new
op DELETE /public/hello.txt
op MKCOL /public/by-hand
op GET /public/hello.txt
op PUT /user/submitter/by-hand.txt --data-binary new
op GET /user/submitter/hello.txt
rm -rf "$dir"
`;
}

describe('storage (XRootD + SciTokens) with the demo OAuth provider', { timeout: 1_200_000 }, () => {
  let sandbox: SandboxHandle;
  let browser: Browser;
  let ca: string;
  let demoPort: number;

  let demo: DemoSandbox | undefined;

  before(async () => {
    demo = await startDemoSandbox();
    ({ sandbox, browser, ca, demoPort } = demo);
  });

  after(() => demo?.[Symbol.asyncDispose]());

  async function jobDemoToken(): Promise<string> {
    return accessTokenOf((await sandbox.exec(['cat', `${CRED_DIR}/submitter/scitokens.use`])).output);
  }

  function getHello(token: string): Promise<{ status: number; body: string }> {
    const headers = { authorization: `Bearer ${token}` };
    return httpsRequest(`${sandbox.storageUrl}/public/hello.txt`, ca, { headers });
  }

  test('the storage trusts the demo issuer, reached at its own URL through a forwarder', async () => {
    const log = await sandbox.storageLogs();
    const forwarded = `127\\.0\\.0\\.1:${demoPort} is forwarded to demo-provider:9443`;
    assert.match(log, new RegExp(`demo issuer https://localhost:${demoPort}: ${forwarded}`));
    assert.match(
      log,
      new RegExp(`trusting ${sandbox.baseUrl} and https://localhost:${demoPort} \\(for /public and /user\\)`),
    );
  });

  test('storage-public.sub: after the login the job reads /public (curl, xrdcp), the rest is refused', async () => {
    const first = await sandbox.sh('submitter', 'condor_submit storage-public.sub');
    assert.equal(first.exitCode, 1, 'nothing is queued before the login');
    const loginUrl = loginUrlFrom(first.output, sandbox.baseUrl);
    await logInWithDemoProvider(browser, loginUrl, sandbox.baseUrl, `https://localhost:${demoPort}`);
    const files = ['storage-public.sub', 'storage-public.out', 'storage-public.log'] as const;
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter', ...files);
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

  test("from the test: the job's demo token reads /public; a local token with read:/public is refused", async () => {
    const demoToken = await jobDemoToken();
    const read = await getHello(demoToken);
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
    const refused = await getHello(local);
    assert.equal(refused.status, 403);
  });

  test('a local user runs the code flow by hand (public demo secret, demo/demo): /public read-only, no /user', async () => {
    const out = await sandbox.sh('submitter', byHandScript(sandbox.baseUrl));
    assert.equal(out.exitCode, 0, out.output);
    console.log(out.output.replace(/^/gm, '# by hand: '));
    const scope = /^scope: (.*)$/m.exec(out.output)?.[1]?.split(' ').sort();
    assert.deepEqual(scope, ['read:/public', 'storage.read:/public'], 'no write scope, nothing under /user');
    const answers = out.output.split('\n').filter((l) => /^[A-Z]+ \//.test(l));
    assert.match(answers.at(-2) ?? '', /^PUT \/user\/submitter\/by-hand\.txt: 403 /);
    assert.match(answers.at(-1) ?? '', /^GET \/user\/submitter\/hello\.txt: 403 /);
    assert.deepEqual(answers.slice(0, -2), [
      `GET /public/hello.txt: 200 ${HELLO}`,
      'PUT /public/hello.txt: 403 Unable to create /public/hello.txt; permission denied',
      'PUT /public/by-hand.txt: 403 Unable to create /public/by-hand.txt; permission denied',
      'DELETE /public/hello.txt: 403 Unable to remove /public/hello.txt; permission denied',
      'MKCOL /public/by-hand: 403 Unable to mkdir /public/by-hand; permission denied',
      `GET /public/hello.txt: 200 ${HELLO}`,
    ]);
  });

  test('a demo-issuer token that does carry write scopes cannot change /public (https and roots://)', async () => {
    // What a provider configured to grant writes would issue: the job's own demo token, re-signed with the demo
    // provider's key and the widest storage scopes. The storage must refuse it by itself.
    const real = await jobDemoToken();
    const keys = await dockerCli(['exec', `${sandbox.projectName}-demo-provider-1`, 'cat', DEMO_KEYS]);
    const jwks = JSON.parse(keys) as { keys: JWK[] };
    const header = decodeProtectedHeader(real);
    const key = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(key, 'the job token was signed with a key of the demo provider');
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...decodeJwt(real), scope: WIDEST, jti: randomUUID(), iat: now, nbf: now, exp: now + 300 };
    const { kid, typ } = header;
    assert.ok(kid !== undefined && typ !== undefined, JSON.stringify(header));
    const signingKey = await importJWK(key, 'ES256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ }).sign(signingKey);
    const auth = { authorization: `Bearer ${forged}` };
    const at = (path: string): string => `${sandbox.storageUrl}${path}`;
    const answers = [
      await httpsRequest(at('/public/hello.txt'), ca, { method: 'PUT', headers: auth, body: 'overwritten' }),
      await httpsRequest(at('/public/forged.txt'), ca, { method: 'PUT', headers: auth, body: 'new' }),
      await httpsRequest(at('/public/hello.txt'), ca, { method: 'DELETE', headers: auth }),
      await httpsRequest(at('/public/forged'), ca, { method: 'MKCOL', headers: auth }),
    ].map((r) => `${r.status} ${r.body.trim()}`);
    assert.deepEqual(answers, [
      '403 Unable to create /public/hello.txt; permission denied',
      '403 Unable to create /public/forged.txt; permission denied',
      '403 Unable to remove /public/hello.txt; permission denied',
      '403 Unable to mkdir /public/forged; permission denied',
    ]);
    const read = await httpsRequest(at('/public/hello.txt'), ca, { headers: auth });
    assert.deepEqual([read.status, read.body.trim()], [200, HELLO]);

    const xroot = async (command: string[]): Promise<{ exitCode: number; output: string }> =>
      sandbox.container.exec(command, { user: 'submitter', env: { BEARER_TOKEN: forged } });
    const copy = await xroot(['xrdcp', '-f', '/etc/hostname', 'roots://storage:1094//public/forged.txt']);
    assert.notEqual(copy.exitCode, 0);
    assert.match(copy.output, /Unable to create \/public\/forged\.txt; permission denied/);
    const remove = await xroot(['xrdfs', 'roots://storage:1094', 'rm', '/public/hello.txt']);
    assert.notEqual(remove.exitCode, 0);
    assert.match(remove.output, /Unable to remove \/public\/hello\.txt; permission denied/);
    const listing = (await sandbox.storage.exec(['ls', '-A', '/var/lib/credmon-sandbox/storage/public'])).output.trim();
    assert.equal(listing, 'hello.txt', 'nothing was added to /public');
  });

  robotTests(() => {
    assert.ok(demo, 'the demo sandbox started');
    return demo;
  });

  test('no token, refresh token, code, session id, client secret or private key of the run is output', async () => {
    const checked = await assertNoSecretInOutputs(sandbox.projectName);
    assert.ok(checked.secrets >= 8 && checked.outputs >= 6, JSON.stringify(checked));
  });
});
