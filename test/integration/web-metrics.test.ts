/**
 * The web app's Prometheus metrics (issue 19): logins by provider and outcome, request durations by route pattern,
 * through the login flow's harness (a real credential directory and token endpoint). No series carries a user, a
 * login key, a state, a code or a token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { json } from './fake-token-endpoint.js';
import {
  USER,
  ad,
  callback,
  get,
  h,
  newKey,
  openKey,
  respond,
  startLogin,
  state,
  tokenResponse,
  useHarness,
  writeKeyFile,
} from './web-login-harness.js';

useHarness();

const series = async (): Promise<string[]> =>
  (await h.metrics.expose()).body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('web app metrics', () => {
  it('count logins started and finished by provider and outcome, and time requests by route pattern', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', ''), ad(h.endpoint.url, 'mytokens', 'read')]);
    respond(() => json(200, tokenResponse('m')));
    const { cookie } = await openKey(key);
    const first = await startLogin(cookie, key, 'scitokens');
    assert.equal((await callback(cookie, 'scitokens', state(first), 'code-SECRET-ok')).statusCode, 303);
    const second = await startLogin(cookie, key, 'mytokens_read');
    const denied = await get(`/return/mytokens?error=access_denied&state=${state(second)}`, cookie);
    assert.equal(denied.statusCode, 403);
    const forged = randomBytes(32).toString('base64url');
    assert.equal((await callback(cookie, 'scitokens', forged, 'code-SECRET-forged')).statusCode, 400);
    assert.equal((await get(`/nothing/${key}`)).statusCode, 404);

    const lines = await series();
    const has = (line: string): boolean => lines.includes(line);
    assert.ok(has('credmon_web_logins_started_total{provider="scitokens"} 1'), lines.join('\n'));
    assert.ok(has('credmon_web_logins_started_total{provider="mytokens"} 1'));
    assert.ok(has('credmon_web_logins_total{provider="scitokens",outcome="completed"} 1'));
    assert.ok(has('credmon_web_logins_total{provider="mytokens",outcome="denied"} 1'));
    assert.ok(has('credmon_web_logins_total{provider="unknown",outcome="invalid_state"} 1'));
    const count = (route: string, status: number): string =>
      `credmon_web_request_duration_seconds_count{method="GET",route="${route}",status_code="${status}"}`;
    assert.ok(has(`${count('/key/:key', 200)} 1`));
    assert.ok(has(`${count('/login/:key/:name', 303)} 2`));
    assert.ok(has(`${count('/return/:provider', 303)} 1`));
    assert.ok(has(`${count('unmatched', 404)} 1`));
    const text = lines.join('\n');
    for (const secret of [key, key.slice(0, 8), USER, forged, 'code-SECRET', state(first), ...h.secrets]) {
      assert.ok(!text.includes(secret), `${secret} in the metrics`);
    }
  });
});
