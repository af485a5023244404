/**
 * A refresh whose answer cannot be written for a reason other than space (here: the user directory was swapped for a
 * symlink while the request was out, which the credential layer refuses to write through): the refresh ends as a
 * failure that may pass, never as an exception, nothing is written through the link, and the provider, which
 * answered, keeps its full concurrency (oauth-refresh.ts releases the provider's slot before writing).
 */
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { refreshOAuthCredential, providerOf } from '../../src/credmon/oauth-refresh.js';
import { ProviderGate } from '../../src/credmon/provider-gate.js';

const root = mkdtempSync(join(tmpdir(), 'credmon-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TOKEN_URL = 'https://provider.invalid/token';
const TOP = '{"refresh_token": "rt-old-SECRET-0001"}';

it('an answer that cannot be written: a transient failure, not an exception; the provider keeps its slots', async () => {
  const user = join(root, 'alice');
  mkdirSync(user, { mode: 0o700 });
  writeFileSync(join(user, 'mytokens.top'), TOP, { mode: 0o600 });
  writeFileSync(
    join(user, 'mytokens.meta'),
    `{"client_id": "c", "client_secret": "cs-SECRET", "token_url": "${TOKEN_URL}", "use_refresh_token": true}`,
  );
  writeFileSync(join(user, 'mytokens.use'), '{"access_token": "at-old", "expires_in": 10}');
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(join(user, 'mytokens.use'), hourAgo, hourAgo);

  const fakeFetch = (): Promise<Response> => {
    // While the request is out, the user directory becomes a symlink to another one.
    renameSync(user, join(root, 'elsewhere'));
    symlinkSync(join(root, 'elsewhere'), user);
    const body = { access_token: 'at-new', refresh_token: 'rt-new-SECRET-0002', expires_in: 3600 };
    const headers = { 'content-type': 'application/json' };
    return Promise.resolve(new Response(JSON.stringify(body), { status: 200, headers }));
  };
  const gate = new ProviderGate({ maxConcurrency: 4 });
  const outcome = await refreshOAuthCredential(
    {
      directory: new CredentialDirectory(root),
      gate,
      timeoutMs: 5000,
      now: Date.now,
      fetch: fakeFetch,
      isStopping: () => false,
    },
    'alice',
    'mytokens',
    { rejectedTopMtimeMs: undefined },
  );

  assert.equal(outcome.kind, 'unavailable', JSON.stringify(outcome));
  assert.match((outcome as { problem: string }).problem, /^Cannot store the refreshed mytokens tokens of user alice/);
  assert.doesNotMatch((outcome as { problem: string }).problem, /SECRET/);
  assert.equal(readFileSync(join(root, 'elsewhere', 'mytokens.top'), 'utf8'), TOP, 'nothing written through the link');
  assert.match(readFileSync(join(root, 'elsewhere', 'mytokens.use'), 'utf8'), /at-old/);
  assert.deepEqual(gate.status(providerOf(TOKEN_URL)), { active: 0, limit: 4, waiting: 0 });
});
