/**
 * OAuth client configuration at run time, the documented default: client ID and endpoints in the environment, the
 * client secret as a compose secret file. The credd must be able to read the secret (condor_submit's CHECK_CREDS
 * then returns a login URL whose key file carries it), and the secret must not leak into the environment or pages.
 * No provider is contacted: the endpoints point at a closed port on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { httpsGet } from '../helpers/https.js';
import { IMAGE, SERIES, extraCaCerts } from '../helpers/image.js';
import { ROOT } from '../helpers/root.js';
import { startSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { assertNoSecretInOutputs } from '../helpers/run-secrets.js';

const SECRET = 'compose-secret-7f3a9c2e';

/** `docker run --rm` of the image as an OAuth client (id and endpoints on a closed port) with `extra` arguments. */
function runImageOnce(extra: string[]): Promise<{ code: number; output: string }> {
  const client = [
    '-e',
    'SCITOKENS_CLIENT_ID=x',
    '-e',
    'SCITOKENS_AUTHORIZATION_URL=https://127.0.0.1:9/a',
    '-e',
    'SCITOKENS_TOKEN_URL=https://127.0.0.1:9/t',
  ];
  return new Promise((resolve) => {
    execFile('docker', ['run', '--rm', ...client, ...extra, IMAGE], { timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('OAuth client from the environment and a compose secret', { timeout: 600_000 }, () => {
  let sandbox: SandboxHandle;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credmon-secret-'));
    const secretFile = join(dir, 'scitokens.secret');
    await writeFile(secretFile, `${SECRET}\n`);
    // As the README has a user make it: their own file (uid 1000, which is submitter's in the container), mode 0600.
    await chmod(secretFile, 0o600);
    await chown(secretFile, 1000, 1000);
    // Start as a pure local issuer and get a local token, then switch the same volumes to OAuth mode.
    sandbox = await startSandbox();
    const local = await sandbox.sh('submitter', 'condor_submit test.sub');
    assert.equal(local.exitCode, 0, local.output);
    await sandbox.reconfigure({
      SCITOKENS_CLIENT_ID: 'my-client-id',
      SCITOKENS_AUTHORIZATION_URL: 'https://127.0.0.1:9/authorize',
      SCITOKENS_TOKEN_URL: 'https://127.0.0.1:9/token',
      SCITOKENS_CLIENT_SECRET_PATH: secretFile,
    });
  });

  after(async () => {
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('switching the volumes from local-issuer to OAuth mode removes the local scitokens credentials', async () => {
    assert.match(
      await sandbox.logs(),
      /switched from local to oauth mode: removed 2 credential file\(s\) of the previous mode/,
    );
    const left = await sandbox.exec(['sh', '-c', 'ls /var/lib/condor/oauth_credentials/submitter/']);
    assert.equal(left.output.trim(), '', 'no local token is left to be mistaken for an OAuth one');
  });

  test('the secret is installed root-only where the credd reads it, and is not in the environment', async () => {
    const stat = await sandbox.exec(['stat', '-c', '%U %a', '/etc/condor/.secrets/scitokens']);
    assert.equal(stat.output.trim(), 'root 600');
    const knob = await sandbox.exec(['condor_config_val', 'SCITOKENS_CLIENT_SECRET_FILE']);
    assert.equal(knob.output.trim(), '/etc/condor/.secrets/scitokens');
    const environ = await sandbox.exec(['sh', '-c', 'cat /proc/1/environ | tr "\\0" "\\n"']);
    assert.ok(!environ.output.includes(SECRET), 'the secret is not in the container environment');
  });

  test('no local user and no job can read the client secret, whatever the owner and mode of the host file', async () => {
    // A plain job (no OAuth service) of submitter that looks for the secret where it is mounted and installed.
    const job = [
      'executable = /bin/sh',
      'arguments = "-c \'cat /run/secrets/scitokens_client_secret /etc/condor/.secrets/scitokens; echo; id -un\'"',
      'output = secret.out',
      'error = secret.err',
      'log = secret.log',
      'queue',
    ].join('\n');
    const written = await sandbox.exec([
      'sh',
      '-c',
      `cat > /home/submitter/secret.sub <<'EOF'\n${job}\nEOF\nchown submitter: /home/submitter/secret.sub`,
    ]);
    assert.equal(written.exitCode, 0, written.output);
    const where = '/run /etc /var/lib/condor /var/lib/credmon-sandbox /home /tmp /opt';
    for (const mode of [0o600, 0o644]) {
      await chmod(join(dir, 'scitokens.secret'), mode);
      const shell = await sandbox.sh(
        'submitter',
        `cat /run/secrets/scitokens_client_secret; grep -rsF '${SECRET}' ${where}; echo done`,
      );
      assert.ok(
        !shell.output.includes(SECRET),
        `submitter read the secret (host file mode ${mode.toString(8)}):\n${shell.output}`,
      );
      assert.match(shell.output, /Permission denied/);
      const nobody = await sandbox.exec([
        'su',
        '-s',
        '/bin/sh',
        'nobody',
        '-c',
        `grep -rsF '${SECRET}' ${where}; echo done`,
      ]);
      assert.ok(!nobody.output.includes(SECRET), `nobody read the secret:\n${nobody.output}`);
      const run = await sandbox.sh(
        'submitter',
        'rm -f secret.out secret.log; condor_submit secret.sub && condor_wait -wait 120 secret.log',
      );
      assert.equal(run.exitCode, 0, run.output);
      const out = (await sandbox.sh('submitter', 'cat secret.out secret.err')).output;
      assert.match(out, /^submitter$/m, out);
      assert.ok(!out.includes(SECRET), `the job read the secret (host file mode ${mode.toString(8)}):\n${out}`);
    }
    // root (the credd) still reads the installed copy.
    assert.equal((await sandbox.exec(['cat', '/etc/condor/.secrets/scitokens'])).output.trim(), SECRET);
  });

  test('a client secret file that a local user can read is refused at start, naming the file and the reader', async () => {
    await chmod(join(dir, 'scitokens.secret'), 0o600);
    const result = await runImageOnce([
      '-v',
      `${join(dir, 'scitokens.secret')}:/srv/scitokens.secret:ro`,
      '-e',
      'SCITOKENS_CLIENT_SECRET_FILE=/srv/scitokens.secret',
    ]);
    assert.notEqual(result.code, 0, result.output);
    assert.match(
      result.output,
      /SCITOKENS_CLIENT_SECRET_FILE=\/srv\/scitokens.secret can be read by the local user submitter/,
    );
    assert.ok(!result.output.includes(SECRET), result.output);
  });

  test('condor_submit (after the switch) prints a login URL; the key file carries the client, scopes and audience; the page never shows the secret', async () => {
    const submit = await sandbox.sh('submitter', 'condor_submit test.sub');
    assert.equal(submit.exitCode, 1, submit.output);
    const url = /Please visit: (https:\/\/\S+\/key\/([0-9a-f]{64}))/.exec(submit.output);
    assert.ok(url?.[1] && url[2], submit.output);
    assert.equal(url[1], `${sandbox.baseUrl}/key/${url[2]}`);
    const keyFile = (await sandbox.exec(['cat', `/var/lib/condor/oauth_credentials/${url[2]}`])).output;
    assert.match(keyFile, /^ClientId = "my-client-id"$/m);
    assert.match(keyFile, new RegExp(`^ClientSecret = "${SECRET}"$`, 'm'));
    assert.match(keyFile, /^Scopes = "read:\/public"$/m);
    assert.match(keyFile, /^Audience = "https:\/\/localhost"$/m);
    assert.match(keyFile, new RegExp(`^ReturnUrl = "${sandbox.baseUrl}/return/scitokens"$`, 'm'));
    const page = await httpsGet(url[1], await sandbox.ca());
    assert.equal(page.status, 200);
    assert.match(page.body, /Log in to scitokens/);
    assert.ok(!page.body.includes(SECRET));
  });

  test('an OAuth client without a secret stops the container with a message that says what to provide', async () => {
    const result = await runImageOnce([]);
    assert.notEqual(result.code, 0);
    assert.match(
      result.output,
      /SCITOKENS_CLIENT_ID is set but no client secret was given: provide the compose secret scitokens_client_secret/,
    );
  });

  test('the client secret, and the login keys condor_submit printed, are in no log or container output', async () => {
    const submit = await sandbox.sh('submitter', 'condor_submit test.sub');
    const keys = [...submit.output.matchAll(/\/key\/([0-9a-f]{64})/g)].map((m) => m[1] ?? '');
    assert.ok(keys.length > 0, submit.output);
    const checked = await assertNoSecretInOutputs(sandbox.projectName, [SECRET], { loginKeys: keys });
    assert.ok(checked.secrets >= 2 && checked.outputs >= 2, JSON.stringify(checked));
  });
});

describe('OAuth client from build args, as the original project took it', { timeout: 600_000 }, () => {
  const image = `${IMAGE}-buildargs`;
  let container: StartedTestContainer;

  before(async () => {
    const built = await GenericContainer.fromDockerfile(ROOT, 'docker/Dockerfile')
      .withBuildArgs({
        HTCONDOR_SERIES: SERIES,
        EXTRA_CA_CERTS: extraCaCerts(),
        SCITOKENS_CLIENT_ID: 'built-in-client',
        SCITOKENS_CLIENT_SECRET: 'built-in-secret-42',
        SCITOKENS_AUTHORIZATION_URL: 'https://127.0.0.1:9/authorize',
        SCITOKENS_TOKEN_URL: 'https://127.0.0.1:9/token',
        SCITOKENS_USER_URL: 'https://127.0.0.1:9/userinfo',
      })
      .withCache(true)
      .build(image, { deleteOnExit: false });
    container = await built.withWaitStrategy(Wait.forHealthCheck()).withStartupTimeout(180_000).start();
  });

  after(async () => {
    await container?.stop({ removeVolumes: true });
    await new Promise<void>((resolve) => execFile('docker', ['rmi', '-f', image], () => resolve()));
  });

  test("the build args reach HTCondor's configuration and the credd can read the secret", async () => {
    const knobs = await container.exec([
      'condor_config_val',
      'SCITOKENS_CLIENT_ID',
      'SCITOKENS_AUTHORIZATION_URL',
      'SCITOKENS_TOKEN_URL',
      'SCITOKENS_USER_URL',
      'SCITOKENS_RETURN_URL_SUFFIX',
    ]);
    assert.equal(
      knobs.output.trim().split('\n').join(' '),
      'built-in-client https://127.0.0.1:9/authorize https://127.0.0.1:9/token https://127.0.0.1:9/userinfo /return/scitokens',
    );
    const secret = await container.exec([
      'sh',
      '-c',
      'stat -c "%U %a" /etc/condor/.secrets/scitokens; cat /etc/condor/.secrets/scitokens',
    ]);
    assert.equal(secret.output.trim(), 'root 600\nbuilt-in-secret-42');
    const submit = await container.exec(['su', '-l', 'submitter', '-c', 'condor_submit test.sub']);
    assert.equal(submit.exitCode, 1, submit.output);
    const key = /Please visit: \S+\/key\/([0-9a-f]{64})/.exec(submit.output)?.[1];
    assert.ok(key, submit.output);
    const keyFile = (await container.exec(['cat', `/var/lib/condor/oauth_credentials/${key}`])).output;
    assert.match(keyFile, /^ClientId = "built-in-client"$/m);
    assert.match(keyFile, /^ClientSecret = "built-in-secret-42"$/m);
  });
});
