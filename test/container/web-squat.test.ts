/**
 * Issue 15, item 2: no local user can stand in for the web app behind nginx. As the unprivileged `submitter`, a
 * squatter loops on taking the web app's place (binding the old 127.0.0.1:8080 and the Unix socket, planting files in
 * the socket's directory, removing the socket), while root kills the web app with SIGKILL three times. The web app must
 * come back every time, the squatter must never answer a request (the JWKS through nginx holds exactly the key on
 * disk), and the container must stay healthy. Then the failures the healthcheck exists for, simulated as root: a fake
 * server in the web app's place (its socket replaced while it runs, or the web app stopped) and a JWKS that is not the
 * key on disk, each with its own reason. Its own sandbox: the test stops and replaces the web app.
 */
import assert from 'node:assert/strict';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import { httpsGet } from '../helpers/https.js';
import { startSandbox, type ExecResult, type SandboxHandle } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const SOCKET_DIR = '/run/credmon-sandbox-web';
const SOCKET = `${SOCKET_DIR}/web.sock`;
const PUBLIC_KEY = '/var/lib/credmon-sandbox/keys/scitokens.pem';
const HEALTHCHECK = '/usr/local/libexec/credmon-sandbox/healthcheck';
const SQUAT_LOG = '/tmp/squat.log';

/**
 * The squatter (run with node inside the container). `squat`: every 10 ms, as whoever runs it, try to listen on
 * 127.0.0.1:8080 and on the socket, to create a file in the socket's directory, to remove the socket, and to reach the
 * web app directly; log every success. `impostor`: remove the socket and listen there (root can). Whatever listens
 * answers /healthz with 200 and serves the real JWKS (argv[3]) plus a key of its own, as the reported attacker did.
 */
const SQUATTER = String.raw`
import { appendFileSync, chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
const [mode, realJwks] = process.argv.slice(2);
const log = (line) => appendFileSync('${SQUAT_LOG}', new Date().toISOString() + ' ' + line + '\n');
const attackerKey = { kty: 'EC', crv: 'P-256', kid: 'local', use: 'sig', alg: 'ES256',
  x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM' };
const jwks = { keys: [...JSON.parse(realJwks).keys, attackerKey] };
function serve(where, options) {
  const server = createServer((req, res) => {
    log('served ' + req.url + ' on ' + where);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/healthz' ? { status: 'ok' } : jwks));
  });
  server.once('error', () => setTimeout(() => serve(where, options), 10));
  server.listen(options, () => {
    log('bound ' + where);
    if (options.path) chmodSync(options.path, 0o666);
  });
}
const attempt = (what, work) => { try { work(); log(what); } catch {} };
if (mode === 'impostor') {
  attempt('removed the socket', () => unlinkSync('${SOCKET}'));
  serve('${SOCKET}', { path: '${SOCKET}' });
} else {
  serve('127.0.0.1:8080', { host: '127.0.0.1', port: 8080 });
  serve('${SOCKET}', { path: '${SOCKET}' });
  setInterval(() => {
    attempt('created a file in ${SOCKET_DIR}', () => writeFileSync('${SOCKET_DIR}/planted', 'x'));
    attempt('removed the socket', () => unlinkSync('${SOCKET}'));
    const probe = connect('${SOCKET}', () => { log('reached the web app directly'); probe.destroy(); });
    probe.on('error', () => undefined);
  }, 10);
}
log('started as ' + mode);
`;

describe('a local user cannot stand in for the web app (issue 15, item 2)', { timeout: 1_200_000 }, () => {
  let sandbox: SandboxHandle;
  let ca: string;

  before(async () => {
    sandbox = await startSandbox();
    ca = await sandbox.ca();
    const copy = await sandbox.exec([
      'sh',
      '-c',
      `cat > /tmp/squatter.mjs <<'EOF'\n${SQUATTER}\nEOF\nchmod 0644 /tmp/squatter.mjs`,
    ]);
    assert.equal(copy.exitCode, 0, copy.output);
  });

  after(async () => {
    await sandbox?.stop();
  });

  const root = (script: string): Promise<ExecResult> => sandbox.exec(['sh', '-c', script]);
  const supervisor = async (): Promise<string> => (await root('supervisorctl status web')).output.trim();
  const webPid = async (): Promise<string> => (await root('supervisorctl pid web')).output.trim();

  /** The served JWKS (through nginx, as relying parties see it) and the public key on disk, as JWKs. */
  async function servedAndDisk(): Promise<{ served: JSONWebKeySet; disk: JsonWebKey }> {
    const res = await httpsGet(`${sandbox.baseUrl}/.well-known/jwks-uri`, ca);
    assert.equal(res.status, 200, res.body);
    const pem = (await root(`cat ${PUBLIC_KEY}`)).output;
    return { served: JSON.parse(res.body) as JSONWebKeySet, disk: createPublicKey(pem).export({ format: 'jwk' }) };
  }

  async function assertServesExactlyTheDiskKey(): Promise<void> {
    const { served, disk } = await servedAndDisk();
    assert.deepEqual(
      served.keys.map((k) => ({ x: k.x, y: k.y })),
      [{ x: disk.x, y: disk.y }],
      'the JWKS through nginx is exactly the key on disk',
    );
  }

  /** Starts the squatter detached (output in SQUAT_LOG) as `user`, with the real JWKS `served`; returns its pid. */
  async function startSquatter(user: string, mode: 'squat' | 'impostor', served: JSONWebKeySet): Promise<string> {
    const run = `setsid node /tmp/squatter.mjs ${mode} '${JSON.stringify(served)}' >> ${SQUAT_LOG} 2>&1 < /dev/null & echo $!`;
    const started = user === 'root' ? await root(run) : await sandbox.sh(user, run);
    assert.equal(started.exitCode, 0, started.output);
    const pid = started.output.trim().split('\n').pop() ?? '';
    await waitFor(
      async () => (await root(`grep -q 'started as ${mode}' ${SQUAT_LOG}`)).exitCode === 0,
      15_000,
      `the ${mode} to start`,
    );
    return pid;
  }

  /** The healthcheck with every check done now (Docker's own runs skip the JWKS for 30 s once it passed). */
  async function healthcheck(env = ''): Promise<ExecResult> {
    return root(`${env} ${HEALTHCHECK} --full`);
  }

  test('killed three times while submitter tries to take its place, the web app comes back and the squatter never answers', async () => {
    await assertServesExactlyTheDiskKey();
    const squatter = await startSquatter('submitter', 'squat', (await servedAndDisk()).served);
    try {
      for (let round = 1; round <= 3; round++) {
        const pid = await webPid();
        assert.match(pid, /^\d+$/, `supervisord runs the web app before round ${round}: ${await supervisor()}`);
        assert.equal((await root(`kill -9 ${pid}`)).exitCode, 0);
        await waitFor(
          async () => /RUNNING/.test(await supervisor()) && (await webPid()) !== pid,
          30_000,
          `supervisord to restart the web app after kill -9 (round ${round})`,
        ).catch(async (error: Error) => {
          const squat = (await root(`cat ${SQUAT_LOG}`)).output;
          throw new Error(
            `${error.message}\nsupervisorctl status web: ${await supervisor()}\nsquatter:\n${squat.slice(-1500)}`,
          );
        });
        await waitFor(
          async () => (await httpsGet(`${sandbox.baseUrl}/healthz`, ca)).status === 200,
          30_000,
          '/healthz answers 200',
        );
        await assertServesExactlyTheDiskKey();
      }
    } finally {
      await root(`kill ${squatter}`);
    }
    const squat = (await root(`cat ${SQUAT_LOG}`)).output;
    const what = new Set(squat.split('\n').map((line) => line.replace(/^\S+ /, '')));
    console.log(`# the squatter, as submitter, managed: ${[...what].filter(Boolean).join('; ')}`);
    assert.match(squat, /started as squat/);
    assert.doesNotMatch(squat, /served |bound \/run|created a file|removed the socket|reached the web app/, squat);
    assert.equal((await root(`test -e ${SOCKET_DIR}/planted`)).exitCode, 1, 'no file was planted');
    const health = await healthcheck();
    assert.equal(health.exitCode, 0, health.output);
    assert.match(health.output, /^healthy$/m);
    const perms = await root(`stat -c '%U:%G %a %F' ${SOCKET_DIR} ${SOCKET}`);
    assert.equal(perms.output.trim(), 'condor:www-data 2750 directory\ncondor:www-data 660 socket');
  });

  test('a fake server in place of the running web app (its socket replaced) makes the healthcheck fail, naming it', async () => {
    await root(`: > ${SQUAT_LOG}`);
    const impostor = await startSquatter('root', 'impostor', (await servedAndDisk()).served);
    try {
      await waitFor(
        async () => (await root(`grep -q 'bound ${SOCKET}' ${SQUAT_LOG}`)).exitCode === 0,
        15_000,
        'the impostor to listen',
      );
      const { served } = await servedAndDisk();
      assert.equal(served.keys.length, 2, 'the impostor does answer through nginx');
      const health = await healthcheck();
      assert.equal(health.exitCode, 1, health.output);
      assert.match(
        health.output,
        /^unhealthy: something other than the web app supervisord started listens on \/run\/credmon-sandbox-web\/web\.sock \(socket \d+; web: RUNNING, pid \d+\)$/m,
      );
    } finally {
      await root(`kill ${impostor}`);
    }
    // The web app, restarted, removes the stale socket and takes its place back.
    assert.equal((await root('supervisorctl restart web')).exitCode, 0);
    await waitFor(
      async () => (await healthcheck()).exitCode === 0,
      60_000,
      'healthy again after supervisorctl restart web',
    );
    await assertServesExactlyTheDiskKey();
  });

  test('with the web app stopped, a fake server on its socket makes the healthcheck fail, naming it', async () => {
    await root(`: > ${SQUAT_LOG}`);
    const { served } = await servedAndDisk();
    assert.equal((await root('supervisorctl stop web')).exitCode, 0);
    const impostor = await startSquatter('root', 'impostor', served);
    try {
      await waitFor(
        async () => (await httpsGet(`${sandbox.baseUrl}/healthz`, ca)).status === 200,
        15_000,
        'the impostor to answer /healthz',
      );
      const health = await healthcheck();
      assert.equal(health.exitCode, 1, health.output);
      assert.match(
        health.output,
        /^unhealthy: something other than the web app supervisord started listens on \/run\/credmon-sandbox-web\/web\.sock \(socket \d+; web: STOPPED\)$/m,
      );
    } finally {
      await root(`kill ${impostor}`);
      await root('supervisorctl start web');
    }
    await waitFor(
      async () => (await healthcheck()).exitCode === 0,
      60_000,
      'healthy again after supervisorctl start web',
    );
  });

  test('a JWKS that is not exactly the key on disk makes the healthcheck fail, naming the key file', async () => {
    const other = await root(
      `openssl ecparam -name prime256v1 -genkey -noout | openssl ec -pubout -out /tmp/other.pem 2>&1`,
    );
    assert.equal(other.exitCode, 0, other.output);
    const health = await healthcheck('_CONDOR_LOCAL_CREDMON_PUBLIC_KEY=/tmp/other.pem');
    assert.equal(health.exitCode, 1, health.output);
    assert.match(
      health.output,
      /^unhealthy: the JWKS served through nginx is not exactly the key in \/tmp\/other\.pem \(LOCAL_CREDMON_PUBLIC_KEY\): it holds another key$/m,
    );
    const healthy = await healthcheck();
    assert.equal(healthy.exitCode, 0, healthy.output);
  });
});
