/**
 * Upgrade: today's image started on the volumes an earlier release left behind after real use
 * (test/fixtures/volumes-<commit>.tar.gz, written by test/fixtures/make-release-volumes.sh from that release's own
 * image), then `docker compose down` and `up` again. The signing key, the CA and every user's credentials must
 * survive; old tokens still verify; every user's token is valid again after the start; new submits work.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { dockerCli } from '../helpers/docker-cli.js';
import { httpsGet } from '../helpers/https.js';
import { IMAGE } from '../helpers/image.js';
import { accessTokenOf, credentialFilesFrom, submitAndWait } from '../helpers/jobs.js';
import { ROOT } from '../helpers/root.js';
import { startSandbox, type SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const RELEASE = '43f4c36';
const FIXTURE = join(ROOT, 'test', 'fixtures', `volumes-${RELEASE}.tar.gz`);
const CRED_DIR = '/var/lib/condor/oauth_credentials';
const VOLUMES = ['credentials', 'keys', 'tls'];

/** One file of the release's volumes, as that release wrote it. */
function fromFixture(path: string): string {
  return execFileSync('tar', ['-xzOf', FIXTURE, path], { encoding: 'utf8' });
}

/** Creates the project's volumes (labelled as compose labels its own) and unpacks the release's files into them. */
async function restoreVolumes(projectName: string): Promise<void> {
  for (const volume of VOLUMES) {
    await dockerCli([
      'volume',
      'create',
      '--label',
      `com.docker.compose.project=${projectName}`,
      '--label',
      `com.docker.compose.volume=${volume}`,
      `${projectName}_${volume}`,
    ]);
  }
  const mounts = VOLUMES.flatMap((v) => ['-v', `${projectName}_${v}:/v/${v}`]);
  execFileSync(
    'docker',
    ['run', '--rm', '-i', ...mounts, '--entrypoint', 'tar', IMAGE, '-C', '/v', '--numeric-owner', '-xzf', '-'],
    {
      input: execFileSync('cat', [FIXTURE]),
      stdio: ['pipe', 'inherit', 'inherit'],
    },
  );
}

describe(`today's image on the volumes of release ${RELEASE}`, { timeout: 900_000 }, () => {
  let sandbox: SandboxHandle;
  let ca: string;
  const oldTokens = new Map(
    ['submitter', 'alice'].map((u) => [u, accessTokenOf(fromFixture(`credentials/${u}/scitokens.use`))]),
  );
  const issuer = String(decodeJwt(oldTokens.get('submitter') ?? '').iss);

  before(async () => {
    // The release's issuer URL is in its tokens; an upgrade keeps the site's settings, so the new image gets it too.
    sandbox = await startSandbox({ LOCAL_CREDMON_ISSUER: issuer }, [], { beforeUp: restoreVolumes });
    ca = await sandbox.ca();
  });

  after(async () => {
    await sandbox?.stop();
  });

  /** The JWKS the new image publishes (its discovery document names the release's issuer, served on our port). */
  async function jwks(): Promise<JSONWebKeySet> {
    const discovery = JSON.parse((await httpsGet(`${sandbox.baseUrl}/.well-known/openid-configuration`, ca)).body) as {
      issuer: string;
      jwks_uri: string;
    };
    assert.equal(discovery.issuer, issuer);
    const res = await httpsGet(`${sandbox.baseUrl}${new URL(discovery.jwks_uri).pathname}`, ca);
    assert.equal(res.status, 200);
    return JSON.parse(res.body) as JSONWebKeySet;
  }

  test("the CA, the TLS key and the signing key are the release's: tokens it signed verify with the new JWKS", async () => {
    assert.equal(ca, fromFixture('tls/ca.crt'));
    assert.equal(
      (await sandbox.exec(['cat', '/var/lib/credmon-sandbox/keys/scitokens-private.pem'])).output,
      fromFixture('keys/scitokens-private.pem'),
    );
    const keys = createLocalJWKSet(await jwks());
    for (const [user, token] of oldTokens) {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        currentDate: new Date(((decodeJwt(token).iat ?? 0) + 60) * 1000),
      });
      assert.equal(payload.sub, user);
    }
  });

  test("every user's token is valid after the start (the credmon renews what expired while the sandbox was down)", async () => {
    const keys = createLocalJWKSet(await jwks());
    for (const user of oldTokens.keys()) {
      await waitFor(
        async () => {
          const use = (await sandbox.exec(['cat', `${CRED_DIR}/${user}/scitokens.use`])).output;
          const { payload } = await jwtVerify(accessTokenOf(use), keys, { issuer });
          return payload.sub === user && (payload.exp ?? 0) > Date.now() / 1000 + 60;
        },
        30_000,
        `a valid token for ${user}`,
      );
    }
  });

  test('users of the release, and a new user, submit and their jobs get tokens from the same key', async () => {
    const res = await sandbox.exec([
      'sh',
      '-c',
      'for u in alice carol; do useradd -m -s /bin/bash $u; done && for u in alice carol; do cp /home/submitter/test.sub /home/submitter/test.sh /home/$u/ && chown $u: /home/$u/test.*; done',
    ]);
    assert.equal(res.exitCode, 0, res.output);
    const keys = createLocalJWKSet(await jwks());
    for (const user of ['submitter', 'alice', 'carol']) {
      const { submit, jobOutput } = await submitAndWait(sandbox, user);
      assert.equal(submit.exitCode, 0, submit.output);
      const use = credentialFilesFrom(jobOutput).get('scitokens.use');
      assert.ok(use, `the ${user} job saw no token:\n${jobOutput.slice(-1500)}`);
      const { payload } = await jwtVerify(accessTokenOf(use), keys, { issuer });
      assert.equal(payload.sub, user);
    }
  });

  test('docker compose down and up again keeps the key, the CA and every credential', async () => {
    const files = async (): Promise<string> =>
      (
        await sandbox.exec([
          'sh',
          '-c',
          `cd ${CRED_DIR} && sha256sum */scitokens.top /var/lib/credmon-sandbox/keys/* /var/lib/credmon-sandbox/tls/ca.*`,
        ])
      ).output;
    const before = await files();
    const jwksBefore = await jwks();
    await sandbox.recreate();
    assert.equal(await files(), before);
    assert.deepEqual(await jwks(), jwksBefore);
    assert.equal(await sandbox.ca(), ca);
    // Accounts made inside the container are gone with it (the image has `submitter`); the credentials are not.
    const { submit, jobOutput } = await submitAndWait(sandbox, 'submitter');
    assert.equal(submit.exitCode, 0, submit.output);
    assert.ok(credentialFilesFrom(jobOutput).get('scitokens.use'), jobOutput.slice(-1500));
  });
});
