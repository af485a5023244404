/**
 * OIDC discovery (over fetch, which follows redirects) against a real server whose document never ends: the read
 * stops at MAX_DISCOVERY_BYTES and the connection is dropped, so the server stops sending.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { discoverTokenEndpoint, MAX_DISCOVERY_BYTES } from '../../src/oauth/index.js';
import { RefreshUnavailable } from '../../src/shared/errors.js';

it('a discovery document that never ends is cut at the cap and its connection dropped', async () => {
  let closed = false;
  let sent = 0;
  const server = createServer((req, res) => {
    req.socket.on('close', () => (closed = true));
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, ' ');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    res.write('{"issuer": "x", "padding": "');
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await assert.rejects(discoverTokenEndpoint(issuer, { timeoutMs: 10_000 }), (error: unknown) => {
      assert.ok(error instanceof RefreshUnavailable, String(error));
      assert.match(error.message, new RegExp(`larger than ${MAX_DISCOVERY_BYTES} bytes`));
      return true;
    });
    for (let i = 0; i < 100 && !closed; i++) await sleep(20);
    assert.ok(closed, `the connection is still open after the cap (${sent} bytes sent)`);
    assert.ok(sent < 64 * 2 ** 20, `${sent} bytes sent before the client let go`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
