/**
 * Token requests over real TLS (src/oauth/http-answer.ts): a CA trusted through NODE_EXTRA_CA_CERTS, as the sandbox
 * and most sites trust theirs; connections kept alive and reused; an untrusted certificate refused with a clear,
 * scrubbed error. The client runs in a child process (tls-refresh-client.ts), as NODE_EXTRA_CA_CERTS is read at start.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { assertNoSecretLeak } from '../helpers/secret-scan.js';

const run = promisify(execFile);
const CLIENT_SCRIPT = join(import.meta.dirname, 'tls-refresh-client.ts');

describe('token requests over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'credmon-tls-'));
  const cert = join(dir, 'cert.pem');
  let server: Server;
  let url = '';
  let connections = 0;
  let requests = 0;

  before(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
    ], { stdio: 'ignore' }); // prettier-ignore
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(cert) }, (req, res) => {
      req.resume();
      req.on('end', () => {
        const n = ++requests;
        // Long enough that the parallel requests overlap and need connections of their own.
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ access_token: `at-${n}`, token_type: 'Bearer', expires_in: 60 }));
        }, 50);
      });
    });
    server.on('secureConnection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://localhost:${(server.address() as AddressInfo).port}/token`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function client(env: NodeJS.ProcessEnv, parallel: number): Promise<Array<Record<string, string>>> {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CLIENT_SCRIPT, url, String(parallel)], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: '', ...env },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Array<Record<string, string>>;
  }

  it('trusts a CA given in NODE_EXTRA_CA_CERTS and reuses its connections', async () => {
    connections = 0;
    requests = 0;
    const results = await client({ NODE_EXTRA_CA_CERTS: cert }, 10);
    assert.equal(results.length, 12);
    for (const result of results) assert.match(result['accessToken'] ?? JSON.stringify(result), /^at-\d+$/);
    assert.equal(requests, 12);
    // The two requests in turn share one connection; the ten at once need at most nine more.
    assert.ok(connections >= 2 && connections <= 10, `${connections} TLS connections for 12 requests`);
  });

  it('refuses a certificate it does not trust, saying so, with no secret in the message', async () => {
    requests = 0;
    const results = await client({}, 1);
    assert.equal(requests, 0, 'no request reaches a server that is not trusted');
    for (const result of results) {
      assert.equal(result['error'], 'RefreshUnavailable');
      assert.match(result['message'] ?? '', /unreachable: .*certificate/);
      assertNoSecretLeak(['rt-TLS-SECRET-0', 'cs-TLS-SECRET-0123'], result['message'] ?? '', 'error message');
    }
  });
});
