/**
 * The credmon on an existing pool (issue 9, part 3): builds the release artifacts with `npm run package`'s script,
 * installs the .deb into a plain Debian trixie container with Debian's own minicondor and nodejs (not the sandbox
 * image), follows docs/install-on-existing-pool.md by running its `existing-pool-test` shell blocks exactly as written,
 * and checks what an admin and a user see: nothing changes at install, the credmon is alive after configuration, the
 * web app answers on its Unix socket (which no other user can reach or take), and an unprivileged user's job receives
 * a SciToken that verifies against the JWKS the web app serves. The container has no systemd: the doc's `systemctl`
 * blocks are done by hand (condor_master started directly, the web app started with the installed unit's User=,
 * Environment=, ExecStartPre= and ExecStart=).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { IMAGE, extraCaCerts } from '../helpers/image.js';
import { accessTokenOf } from '../helpers/jobs.js';
import { ROOT } from '../helpers/root.js';
import type { ExecResult } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { SOCKET, SOCKET_DIR, UNIT, docBlocks, hostChecks, run } from '../helpers/existing-pool-host.js';

const HOST_IMAGE = `${IMAGE}-existing-pool`;
const PACKAGE_IMAGE = `${IMAGE}-package`;
const DOC = join(ROOT, 'docs/install-on-existing-pool.md');
const CRED_DIR = '/var/lib/condor/oauth_credentials';
/** Container matters, not part of the documented setup: no cgroups without privileges; a pool that answers at once. */
const CONTAINER_CONFIG =
  'BASE_CGROUP =\nNEGOTIATOR_CYCLE_DELAY = 1\nNEGOTIATOR_MIN_INTERVAL = 1\nSCHEDD_MIN_INTERVAL = 1\n';

describe(
  'the credmon on an existing pool (plain Debian with minicondor, from the .deb)',
  { timeout: 1_200_000 },
  () => {
    let releaseDir: string;
    let deb: string;
    let tarball: string;
    let host: StartedTestContainer;
    let doc: string;

    async function sh(script: string, user = 'root'): Promise<ExecResult> {
      const result = await host.exec(user === 'root' ? ['bash', '-c', script] : ['su', '-l', user, '-c', script]);
      return { output: result.output, exitCode: result.exitCode };
    }

    const { startWebAsTheUnitSays, assertProxied } = hostChecks(sh);

    /** Runs the doc's blocks NAME as root in `cwd`, each with `set -e`, and returns their output. */
    async function runDoc(name: string, cwd = '/root'): Promise<string> {
      let output = '';
      for (const block of docBlocks(doc, name)) {
        const result = await sh(`set -euo pipefail; cd ${cwd}\n${block}`);
        assert.equal(result.exitCode, 0, `the doc's "${name}" block failed:\n${block}\n${result.output}`);
        output += result.output;
      }
      return output;
    }

    before(async () => {
      doc = await readFile(DOC, 'utf8');
      releaseDir = await mkdtemp(join(tmpdir(), 'credmon-release-'));
      const env = { ...process.env, EXTRA_CA_CERTS: extraCaCerts(), CREDMON_PACKAGE_IMAGE: PACKAGE_IMAGE };
      const started = Date.now();
      await run('sh', ['packaging/build.sh', releaseDir], env);
      const debs = (await readdir(releaseDir)).filter((f) => f.endsWith('_all.deb'));
      assert.equal(debs.length, 1, `expected one .deb in ${releaseDir}`);
      deb = debs[0] ?? '';
      const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.equal(deb, `credmon-sandbox_${version}_all.deb`, 'the .deb carries package.json version');
      tarball = `credmon-sandbox-${version}.tar.gz`;
      assert.ok((await readdir(releaseDir)).includes(tarball), `no ${tarball} in ${releaseDir}`);
      console.log(
        `# artifacts built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${(await readdir(releaseDir)).join(', ')}`,
      );

      await GenericContainer.fromDockerfile(ROOT, 'packaging/test-host/Dockerfile')
        .withBuildArgs({ EXTRA_CA_CERTS: extraCaCerts() })
        .withCache(true)
        .build(HOST_IMAGE, { deleteOnExit: false });
      host = await new GenericContainer(HOST_IMAGE)
        .withCommand(['sleep', 'infinity'])
        .withCopyFilesToContainer([
          { source: join(releaseDir, deb), target: `/root/${deb}` },
          { source: join(releaseDir, tarball), target: `/root/${tarball}` },
        ])
        .withStartupTimeout(60_000)
        .start();
    });

    after(async () => {
      await host?.stop({ timeout: 10_000 }).catch(() => undefined);
      if (releaseDir) await rm(releaseDir, { recursive: true, force: true });
    });

    test('without Node.js, dpkg refuses the .deb and names the dependency; nothing is configured', async () => {
      const bare = await new GenericContainer('debian:trixie')
        .withCommand(['sleep', 'infinity'])
        .withCopyFilesToContainer([{ source: join(releaseDir, deb), target: `/root/${deb}` }])
        .start();
      try {
        const install = await bare.exec(['dpkg', '-i', `/root/${deb}`]);
        assert.notEqual(install.exitCode, 0, install.output);
        assert.match(install.output, /credmon-sandbox depends on nodejs \(>= 20\.11\)/);
        const status = await bare.exec(['dpkg-query', '-W', '-f', '${Status}', 'credmon-sandbox']);
        assert.doesNotMatch(status.output, /install ok installed/);
      } finally {
        await bare.stop({ timeout: 5_000 }).catch(() => undefined);
      }
    });

    test("installing the .deb as the doc says changes nothing in HTCondor: the site's credmon stays", async () => {
      const before = (await sh('condor_config_val CREDMON_OAUTH; ls /etc/condor/config.d')).output;
      await runDoc('install');
      const afterInstall = (await sh('condor_config_val CREDMON_OAUTH; ls /etc/condor/config.d')).output;
      assert.equal(afterInstall, before);
      assert.match(afterInstall, /^\/usr\/sbin\/condor_credmon_oauth$/m);
      const files = await sh(
        'test -x /usr/libexec/credmon-sandbox/credmon && test -x /usr/libexec/credmon-sandbox/web && ls /usr/share/doc/credmon-sandbox/examples',
      );
      assert.equal(files.exitCode, 0, files.output);
      assert.match(files.output, /60-credmon-sandbox\.conf/);
    });

    test('the launchers stop with a clear message when Node.js is missing or too old, and the web app refuses root', async () => {
      const missing = await sh('CREDMON_SANDBOX_NODE=/nonexistent/node /usr/libexec/credmon-sandbox/credmon');
      assert.equal(missing.exitCode, 1);
      assert.match(
        missing.output,
        /credmon-sandbox-credmon: Node\.js not found \(\/nonexistent\/node is not an executable\): install Node\.js 20\.11 or newer/,
      );
      const old = await sh(
        "printf '#!/bin/sh\\necho v18.19.1\\n' > /tmp/node18 && chmod +x /tmp/node18 && CREDMON_SANDBOX_NODE=/tmp/node18 /usr/libexec/credmon-sandbox/web",
        'root',
      );
      assert.equal(old.exitCode, 1);
      assert.match(
        old.output,
        /credmon-sandbox-web: \/tmp\/node18 is Node\.js v18\.19\.1; credmon-sandbox needs 20\.11 or newer/,
      );
      const asRoot = await sh('/usr/libexec/credmon-sandbox/web');
      assert.equal(asRoot.exitCode, 1);
      assert.match(asRoot.output, /refusing to run as root: run it as the user condor/);
    });

    test('configured as the doc says, condor_master runs our credmon and it completes a scan', async () => {
      const container = await sh(
        `printf '${CONTAINER_CONFIG.replace(/\n/g, '\\n')}' > /etc/condor/config.d/99-container.conf`,
      );
      assert.equal(container.exitCode, 0, container.output);
      const configured = await runDoc('configure');
      assert.match(configured, /^\/usr\/libexec\/credmon-sandbox\/credmon$/m);
      assert.match(configured, new RegExp(`^${CRED_DIR}$`, 'm'));
      assert.match(configured, /^https:\/\/ap\.example\.org$/m);
      // The doc's `systemctl restart condor`:
      const master = await sh('condor_master');
      assert.equal(master.exitCode, 0, master.output);
      await waitFor(
        async () => (await sh(`test -e ${CRED_DIR}/CREDMON_COMPLETE`)).exitCode === 0,
        90_000,
        'CREDMON_COMPLETE',
      );
      await waitFor(
        async () => /^CREDMON_OAUTH = "Alive"$/m.test((await sh('condor_who -quick')).output),
        90_000,
        'condor_who: CREDMON_OAUTH = "Alive"',
      );
      const pid = (await sh(`cat ${CRED_DIR}/pid`)).output.trim();
      assert.match((await sh('condor_who -quick')).output, new RegExp(`^CREDMON_OAUTH_PID = ${pid}$`, 'm'));
      const log = (await sh('cat /var/log/condor/CredMonOAuthLog')).output;
      assert.match(log, /Generated a new ES256 signing key/);
      assert.match(log, /First scan complete/);
    });

    test("credmon-key from the .deb is on root's PATH and reads the same configuration as the credmon", async () => {
      const status = await sh('PATH=/usr/sbin:/usr/bin:/sbin:/bin credmon-key status');
      assert.equal(status.exitCode, 0, status.output);
      assert.match(status.output, /^provider scitokens \(issuer https:\/\/ap\.example\.org\)$/m);
      assert.match(status.output, /one key, kid local \(ES256\), no key set yet/);
    });

    test('credmon-status from the .deb: root sees what the running credmon knows; another user is refused', async () => {
      const status = await sh('PATH=/usr/sbin:/usr/bin:/sbin:/bin credmon-status');
      assert.equal(status.exitCode, 0, status.output);
      assert.match(status.output, /^credmon pid \d+ \(running\), status written \d+s ago, last scan \d+s ago$/m);
      assert.match(status.output, /^No credentials\.$/m);
      const json = JSON.parse((await sh('/usr/sbin/credmon-status --json')).output) as {
        credmon: { running: boolean };
      };
      assert.equal(json.credmon.running, true);
      const asUser = await sh('su -s /bin/sh nobody -c /usr/sbin/credmon-status');
      assert.equal(asUser.exitCode, 2, asUser.output);
      assert.match(asUser.output, /run it as root or condor/);
    });

    test("the web app, started as the installed unit says, listens only on its socket, out of other users' reach", async () => {
      const unit = (await sh(`cat ${UNIT}`)).output;
      assert.match(unit, /^Restart=always$/m, 'systemd restarts it after any exit');
      assert.match(unit, /^StartLimitIntervalSec=0$/m, 'and never gives up');
      // The doc's `systemctl enable --now credmon-sandbox-web`:
      const pid = await startWebAsTheUnitSays();
      const check = await runDoc('check');
      assert.match(check, /"status":"ok"/);
      const discovery = JSON.parse(check.slice(check.indexOf('}') + 1)) as { issuer: string; jwks_uri: string };
      assert.equal(discovery.issuer, 'https://ap.example.org');
      assert.equal(discovery.jwks_uri, 'https://ap.example.org/.well-known/jwks-uri');
      // No TCP: no listening socket on port 8080 (0x1F90), on any address.
      assert.doesNotMatch((await sh('cat /proc/net/tcp /proc/net/tcp6 2>/dev/null')).output, /:1F90 [0-9A-F]+:0000 0A/);
      assert.equal((await sh(`stat -c %U /proc/${pid}`)).output.trim(), 'condor', 'the web app runs as condor');
      const perms = await sh(`stat -c '%U:%G %a %F' ${SOCKET_DIR} ${SOCKET}`);
      assert.equal(perms.output.trim(), 'condor:www-data 2750 directory\ncondor:www-data 660 socket');
      // Another user can neither reach the web app directly nor create, replace or remove anything in its place.
      const connect = `node -e "require('net').connect('${SOCKET}').on('error', (e) => console.log(e.code)).on('connect', () => console.log('connected'))"`;
      assert.equal((await sh(connect, 'submitter')).output.trim(), 'EACCES');
      const plant = await sh(`touch ${SOCKET_DIR}/planted; rm -f ${SOCKET}; ls ${SOCKET_DIR}`, 'submitter');
      assert.match(plant.output, /cannot touch .*Permission denied/);
      assert.match(plant.output, /cannot open directory .*Permission denied/);
      // Killed with SIGKILL (its socket left behind), it comes back as systemd would restart it, on the same socket.
      assert.equal((await sh(`kill -9 ${pid}`)).exitCode, 0);
      const again = await startWebAsTheUnitSays();
      assert.notEqual(again, pid);
      assert.equal((await sh(`stat -c '%U:%G %a' ${SOCKET}`)).output.trim(), 'condor:www-data 660');
    });

    test("nginx with the doc's snippets (and with the shipped example) serves the issuer over TLS and nothing else", async () => {
      const [snippet] = docBlocks(doc, 'nginx');
      const [prefixed] = docBlocks(doc, 'nginx-prefix');
      const setup = await sh(
        [
          'set -euo pipefail',
          'cd /etc/nginx',
          'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost ' +
            '-addext subjectAltName=DNS:localhost -keyout /etc/nginx/test.key -out /etc/nginx/test.crt 2>/dev/null',
          `cat > /etc/nginx/credmon-doc-snippet.conf <<'SNIPPET'\n${snippet ?? ''}SNIPPET`,
          `cat > /etc/nginx/credmon-doc-prefix.conf <<'SNIPPET'\n${prefixed ?? ''}SNIPPET`,
          'rm -f /etc/nginx/sites-enabled/default',
          'for port in 8443 8444 8447; do',
          '  case $port in 8443) inc=/etc/nginx/credmon-doc-snippet.conf;;',
          '    8444) inc=/usr/share/doc/credmon-sandbox/examples/nginx-credmon-sandbox.conf;;',
          '    8447) inc=/etc/nginx/credmon-doc-prefix.conf;; esac',
          '  printf "server {\\n listen 127.0.0.1:%s ssl;\\n server_name localhost;\\n ssl_certificate /etc/nginx/test.crt;\\n ' +
            'ssl_certificate_key /etc/nginx/test.key;\\n include %s;\\n}\\n" $port $inc',
          'done > /etc/nginx/conf.d/credmon-test.conf',
          'nginx -t 2>&1 && nginx',
        ].join('\n'),
      );
      assert.equal(setup.exitCode, 0, setup.output);
      await assertProxied(8443);
      await assertProxied(8444);
      await assertProxied(8447, '/credmon');
    });

    test("Apache httpd with the doc's snippet (and with the shipped example) serves the issuer over TLS and nothing else", async () => {
      const [snippet] = docBlocks(doc, 'apache');
      const vhost = (port: number, include: string): string =>
        `Listen 127.0.0.1:${port}\n<VirtualHost 127.0.0.1:${port}>\n  SSLEngine on\n` +
        '  SSLCertificateFile /etc/nginx/test.crt\n  SSLCertificateKeyFile /etc/nginx/test.key\n' +
        `  Include ${include}\n</VirtualHost>\n`;
      const setup = await sh(
        [
          'set -euo pipefail',
          `cat > /etc/apache2/credmon-doc-snippet.conf <<'SNIPPET'\n${snippet ?? ''}SNIPPET`,
          `cat > /etc/apache2/sites-available/credmon-test.conf <<'VHOST'\n${vhost(8445, '/etc/apache2/credmon-doc-snippet.conf')}` +
            `${vhost(8446, '/usr/share/doc/credmon-sandbox/examples/apache-credmon-sandbox.conf')}VHOST`,
          'a2enmod -q ssl proxy_http headers && a2dissite -q 000-default && a2ensite -q credmon-test',
          'apache2ctl configtest 2>&1 && apache2ctl start',
        ].join('\n'),
      );
      assert.equal(setup.exitCode, 0, setup.output);
      await waitFor(
        async () =>
          (await sh('curl -fsS --cacert /etc/nginx/test.crt https://localhost:8445/.well-known/jwks-uri')).exitCode ===
          0,
        30_000,
        'Apache on 8445',
      );
      await assertProxied(8445);
      await assertProxied(8446);
    });

    test('the tarball, unpacked under /opt as the doc says for RHEL-like hosts, runs the same web app from its own tree', async () => {
      const [block] = docBlocks(doc, 'tarball');
      assert.match(
        block ?? '',
        new RegExp(`^tarball=${tarball.replace(/\./g, '\\.')}$`, 'm'),
        `the doc must name ${tarball} (package.json's version)`,
      );
      // A container without systemd has no /etc/systemd/system; a RHEL host has it.
      assert.equal((await sh('install -d /etc/systemd/system')).exitCode, 0);
      await runDoc('tarball');
      const unit = (await sh('cat /etc/systemd/system/credmon-sandbox-web.service')).output;
      assert.match(unit, /^ExecStart=\/opt\/credmon-sandbox\/libexec\/web$/m);
      assert.match(unit, /^User=condor$/m);
      const start = await sh(
        'setsid runuser -u condor -- env WEB_LISTEN_PORT=8081 /opt/credmon-sandbox/libexec/web > /tmp/web-tarball.log 2>&1 < /dev/null & echo $! > /tmp/web-tarball.pid',
      );
      assert.equal(start.exitCode, 0, start.output);
      try {
        await waitFor(
          async () => (await sh('curl -fsS http://127.0.0.1:8081/healthz')).exitCode === 0,
          60_000,
          'the tarball web app on 8081',
        );
        const discovery = JSON.parse(
          (await sh('curl -fsS http://127.0.0.1:8081/.well-known/openid-configuration')).output,
        ) as { issuer: string };
        assert.equal(discovery.issuer, 'https://ap.example.org');
        const owner = await sh(
          "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q '^/usr/bin/node /opt/credmon-sandbox-[0-9.]*/dist/bin/web[.]js' && echo $p; done",
        );
        assert.match(owner.output, /^\/proc\/\d+$/m, 'the web app runs from the unpacked tree');
      } finally {
        await sh(
          "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q '/opt/credmon-sandbox-[0-9.]*/dist/bin/web[.]js' && kill ${p#/proc/}; done",
        );
      }
    });

    test("an unprivileged user's job (the doc's example) gets a SciToken that verifies against the web app's JWKS", async () => {
      const submit = await sh(`set -euo pipefail\n${docBlocks(doc, 'try')[0] ?? ''}`, 'submitter');
      assert.equal(
        submit.exitCode,
        0,
        `${submit.output}\n${(await sh('condor_q -better-analyze -nobatch | tail -30')).output}`,
      );
      assert.match(submit.output, /1 job\(s\) submitted/);
      const use = (await sh('cat token.out', 'submitter')).output;
      const token = accessTokenOf(use);
      const jwks = JSON.parse(
        (await sh(`curl -fsS --unix-socket ${SOCKET} http://localhost/.well-known/jwks-uri`)).output,
      ) as JSONWebKeySet;
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: 'https://ap.example.org',
        audience: 'https://storage.example.org',
        algorithms: ['ES256'],
      });
      assert.equal(protectedHeader.kid, 'local');
      assert.equal(payload.sub, 'submitter');
      assert.equal(payload['scope'], 'read:/user/submitter write:/user/submitter');
      assert.equal(payload['ver'], 'scitoken:2.0');
      assert.ok((payload.exp ?? 0) > Date.now() / 1000);
      const key = (await sh(`stat -c '%U %a' /etc/condor/scitokens-private.pem ${CRED_DIR}/submitter/scitokens.use`))
        .output;
      assert.equal(key.trim(), 'root 600\nroot 400');
    });

    test('removing the package while HTCondor still points at it warns; switching back as the doc says restores the default', async () => {
      const remove = await sh('DEBIAN_FRONTEND=noninteractive apt-get remove -y credmon-sandbox');
      assert.equal(remove.exitCode, 0, remove.output);
      assert.match(
        remove.output,
        /credmon-sandbox: WARNING: HTCondor's CREDMON_OAUTH is still \/usr\/libexec\/credmon-sandbox\/credmon/,
      );
      const switched = await runDoc('switch-back');
      assert.match(switched, /^\/usr\/sbin\/condor_credmon_oauth$/m);
      const kept = await sh(
        `test -s /etc/condor/scitokens-private.pem && test -s ${CRED_DIR}/submitter/scitokens.use && echo kept`,
      );
      assert.equal(kept.output.trim(), 'kept', 'the signing key and the credentials stay for the next credmon');
    });
  },
);
