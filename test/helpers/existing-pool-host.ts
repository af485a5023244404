/**
 * What test/container/existing-pool.test.ts needs besides its steps: the doc's marked blocks, a command on this
 * machine, and checks that run inside the plain Debian host through its `sh` (as root or as another user).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { ROOT } from './root.js';
import type { ExecResult } from './sandbox.js';
import { waitFor } from './wait-for.js';

export const UNIT = '/usr/lib/systemd/system/credmon-sandbox-web.service';
export const SOCKET_DIR = '/run/credmon-sandbox-web';
export const SOCKET = `${SOCKET_DIR}/web.sock`;

export type HostShell = (script: string, user?: string) => Promise<ExecResult>;

/** The code blocks (sh, nginx, apache) of the doc that follow `<!-- existing-pool-test: NAME -->`, in order. */
export function docBlocks(markdown: string, name: string): string[] {
  const blocks: string[] = [];
  const pattern = /<!-- existing-pool-test: ([a-z-]+) -->\n```(?:sh|nginx|apache)\n([\s\S]*?)```/g;
  for (const match of markdown.matchAll(pattern))
    if (match[1] === name && match[2] !== undefined) blocks.push(match[2]);
  assert.ok(blocks.length > 0, `docs/install-on-existing-pool.md has no block marked existing-pool-test: ${name}`);
  return blocks;
}

export function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024, timeout: 900_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`))
          : resolve(`${stdout}${stderr}`),
    );
  });
}

/** Checks on the host that the web app and the web servers in front of it do what the doc says. */
export function hostChecks(sh: HostShell): {
  startWebAsTheUnitSays: () => Promise<string>;
  assertProxied: (port: number, path?: string) => Promise<void>;
} {
  /** Starts the web app as the installed unit does: ExecStartPre=+ as root, then ExecStart as User=, Environment=. */
  async function startWebAsTheUnitSays(): Promise<string> {
    const unit = (await sh(`cat ${UNIT}`)).output;
    const user = /^User=(\S+)$/m.exec(unit)?.[1];
    const execStart = /^ExecStart=(\S+)$/m.exec(unit)?.[1];
    const environment = [...unit.matchAll(/^Environment=(\S+)$/gm)].map((m) => m[1] ?? '');
    const variables = new Map(environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const expand = (line: string): string =>
      line.replace(/\$\{(\w+)\}/g, (_, name: string) => variables.get(name) ?? '');
    const preStart = [...unit.matchAll(/^ExecStartPre=\+(.+)$/gm)].map((m) => expand(m[1] ?? ''));
    assert.equal(user, 'condor');
    assert.equal(execStart, '/usr/libexec/credmon-sandbox/web');
    assert.deepEqual(preStart, [`/usr/bin/install -d -o condor -g www-data -m 2750 ${SOCKET_DIR}`]);
    for (const line of preStart) assert.equal((await sh(line)).exitCode, 0, line);
    const start = await sh(
      `setsid runuser -u ${user} -- env ${environment.join(' ')} ${execStart} >> /tmp/web.log 2>&1 < /dev/null &`,
    );
    assert.equal(start.exitCode, 0, start.output);
    await waitFor(
      async () => (await sh(`curl -fsS --unix-socket ${SOCKET} http://localhost/healthz`)).exitCode === 0,
      60_000,
      'the web app to answer',
    );
    const pid = await sh(
      "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q '^/usr/bin/node /usr/lib/credmon-sandbox/dist/bin/web[.]js' && echo ${p#/proc/}; done",
    );
    assert.match(pid.output.trim(), /^\d+$/, `one web app runs: ${pid.output}`);
    return pid.output.trim();
  }

  /** The web app's own answers carry its security headers; a web server's own 404 does not. */
  async function reachesWebApp(url: string): Promise<boolean> {
    const headers = await sh(`curl -sS -o /dev/null -D - --cacert /etc/nginx/test.crt ${url}`);
    return /^content-security-policy:/im.test(headers.output);
  }

  /** Over TLS on `port`: the issuer's documents and the login pages (under `path`) reach the web app, nothing else. */
  async function assertProxied(port: number, path = ''): Promise<void> {
    const base = `https://localhost:${port}`;
    const discovery = await sh(`curl -fsS --cacert /etc/nginx/test.crt ${base}/.well-known/openid-configuration`);
    assert.equal(discovery.exitCode, 0, discovery.output);
    assert.equal((JSON.parse(discovery.output) as { issuer: string }).issuer, 'https://ap.example.org');
    const jwks = await sh(`curl -fsS --cacert /etc/nginx/test.crt ${base}/.well-known/jwks-uri`);
    assert.match(jwks.output, /"kid":"local"/);
    assert.ok(
      await reachesWebApp(`${base}${path}/key/${'0'.repeat(64)}`),
      `the login pages on ${port} reach the web app`,
    );
    assert.ok(
      await reachesWebApp(`${base}${path}/return/box?state=x`),
      `the return URL on ${port} reaches the web app`,
    );
    assert.ok(!(await reachesWebApp(`${base}/healthz`)), `other paths on ${port} stay with the site`);
    if (path !== '')
      assert.ok(!(await reachesWebApp(`${base}/key/${'0'.repeat(64)}`)), 'outside the path, the site answers');
  }

  return { startWebAsTheUnitSays, assertProxied };
}
