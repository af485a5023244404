/**
 * A full disk during a refresh-token rotation, against a provider that revokes the refresh token it replaces
 * (rotatingRefreshTokens): the new refresh token cannot go to the `.top`, so the credmon holds it in memory, refreshes
 * with it, and writes it once space is back. Dropping it (the old behaviour) sends the revoked one: invalid_grant,
 * and the user has to log in again. The file system is a real tmpfs of 64 pages with no page free.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { parseTopFile, parseUseFile } from '../../src/credentials/index.js';
import { rotatingRefreshTokens, startTokenEndpoint, type FakeTokenEndpoint } from './fake-token-endpoint.js';
import { mountSmallTmpfs, needsUserNamespace, runInUserNamespace, type SmallTmpfs } from './small-tmpfs.js';
import { linesMatching, startTmpfsCredmon, type TmpfsCredmon } from './tmpfs-credmon.js';

const RT0 = 'rt-initial-secret-0000';
const SCOPES = 'read:/public  write:/home/erin';
const TOP = `{"refresh_token": "${RT0}", "scopes": "${SCOPES}", "audience": "https://storage.example"}`;
const OLD_USE = '{"access_token": "at-old-secret", "expires_in": 3600, "expires_at": 1}';
const HOUR_MS = 3600_000;
const HELD = /the new refresh token is held in memory until it can be written/;
const LOGIN_AGAIN = /must log in again|invalid_grant/;

function meta(tokenUrl: string): string {
  return `{"client_id": "sandbox", "client_secret": "cs", "token_url": "${tokenUrl}", "use_refresh_token": true}`;
}

function refreshTokenOnDisk(h: TmpfsCredmon): string {
  const top = parseTopFile('mytokens.top', h.read('erin', 'mytokens.top'));
  assert.equal(top.kind, 'oauth');
  return top.kind === 'oauth' ? top.refreshToken : '';
}

if (needsUserNamespace()) {
  it('runs the full-disk rotation tests in a user and mount namespace', () => runInUserNamespace(import.meta.url));
} else {
  describe('a refresh-token rotation on a full disk, with a provider that revokes the old token', () => {
    let fs: SmallTmpfs;
    let h: TmpfsCredmon | undefined;
    let endpoint: FakeTokenEndpoint | undefined;
    before(() => {
      fs = mountSmallTmpfs(64);
    });
    after(() => fs.unmount());
    afterEach(async () => {
      fs.freeSpace();
      await h?.close();
      await endpoint?.close();
      h = undefined;
      endpoint = undefined;
    });

    async function start(): Promise<{ h: TmpfsCredmon; provider: ReturnType<typeof rotatingRefreshTokens> }> {
      const provider = rotatingRefreshTokens(RT0);
      endpoint = await startTokenEndpoint(provider.responder);
      h = await startTmpfsCredmon(fs);
      h.put('erin', 'mytokens.meta', meta(endpoint.url));
      h.put('erin', 'mytokens.use', OLD_USE);
      h.put('erin', 'mytokens.top', TOP);
      h.nowMs += 2 * HOUR_MS; // the old .use is due
      return { h, provider };
    }

    it('holds the new refresh token, refreshes with it, and writes the newest to .top when space is back', async () => {
      const { h, provider } = await start();
      fs.leaveFree(0);
      await h.scan();
      assert.deepEqual(provider.presented, [RT0]);
      assert.equal(h.read('erin', 'mytokens.top'), TOP, 'the .top is as it was');
      assert.equal(h.read('erin', 'mytokens.use'), OLD_USE, 'the .use is as it was');

      h.nowMs += HOUR_MS; // still full: the retry refreshes with the held token, which rotates again
      await h.scan();
      assert.deepEqual(linesMatching(h.lines, LOGIN_AGAIN), [], 'the user is not asked to log in again');
      assert.deepEqual(provider.presented, [RT0, provider.issued[1]], 'the second refresh sent the held token');
      assert.equal(h.read('erin', 'mytokens.top'), TOP);
      const held = linesMatching(h.lines, HELD);
      assert.equal(held.length, 1, `the credmon says once that it holds the token:\n${h.lines.join('')}`);
      assert.match(held[0] ?? '', /WARN/);
      assert.match(held[0] ?? '', /A restart of the credmon before then loses it, and erin would have to log in again/);

      fs.freeSpace();
      h.nowMs += HOUR_MS;
      await h.scan();
      assert.deepEqual(provider.presented, [RT0, provider.issued[1], provider.issued[2]]);
      assert.equal(refreshTokenOnDisk(h), provider.current(), '.top ends with the newest refresh token');
      const top = JSON.parse(h.read('erin', 'mytokens.top')) as Record<string, unknown>;
      assert.equal(top['scopes'], SCOPES, 'the .top keeps its other keys byte for byte');
      assert.match(parseUseFile('mytokens.use', h.read('erin', 'mytokens.use')).accessToken, /^at-rotated-3-/);
      assert.equal(linesMatching(h.lines, /the refresh token held in memory is written to mytokens\.top/).length, 1);
      assert.equal(linesMatching(h.lines, /Writing to the credential directory \S+ works again/).length, 1);

      h.nowMs += HOUR_MS; // the next ordinary refresh starts from the .top on disk
      await h.scan();
      assert.equal(provider.presented.at(-1), provider.issued[3], 'the refresh token on disk is the valid one');
      assert.equal(refreshTokenOnDisk(h), provider.current());
      assert.deepEqual(linesMatching(h.lines, LOGIN_AGAIN), [], 'never asked to log in again');
      const secrets = linesMatching(h.lines, /secret/);
      assert.deepEqual(secrets, [], 'no refresh or access token in the log');
    });

    it('drops the held token when a new login replaces the .top, and refreshes with the new one', async () => {
      const { h, provider } = await start();
      fs.leaveFree(0);
      await h.scan();
      fs.freeSpace();
      const loginToken = 'rt-new-login-secret-9999';
      provider.login(loginToken);
      h.put('erin', 'mytokens.top', `{"refresh_token": "${loginToken}"}`);
      h.nowMs += HOUR_MS;
      await h.scan();
      assert.deepEqual(linesMatching(h.lines, LOGIN_AGAIN), []);
      assert.equal(provider.presented.at(-1), loginToken, "the new login's refresh token, not the held one");
      assert.equal(refreshTokenOnDisk(h), provider.current());
      assert.equal(linesMatching(h.lines, HELD).length, 1, 'the rotation was held before the login');
    });
  });
}
