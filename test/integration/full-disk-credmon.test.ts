/**
 * The credmon on a real, full file system (a tmpfs of 64 pages, filled so that exactly 0, 1 or 2 pages are free):
 * local tokens of 3 pages (a long LOCAL_CREDMON_AUTHZ_TEMPLATE) and an OAuth `.use` of 3 pages (a provider's large
 * access token). Every `.use` on disk stays the old one byte for byte, or becomes the whole new one, never a part;
 * the credmon says once that the disk is full, naming the credential directory, and once that writing works again.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { parseUseFile } from '../../src/credentials/index.js';
import { json, startTokenEndpoint, type FakeTokenEndpoint } from './fake-token-endpoint.js';
import { mountSmallTmpfs, needsUserNamespace, runInUserNamespace, type SmallTmpfs } from './small-tmpfs.js';
import { linesMatching, startTmpfsCredmon, type TmpfsCredmon } from './tmpfs-credmon.js';

const USERS = ['alice', 'bob', 'carol'];
const PAGE = 4096;
/** ~400 scopes: a JWT of about 10 KB, a `.use` of 3 pages. */
const LONG_TEMPLATE = Array.from({ length: 400 }, (_, i) => `read:/d/{username}/${i}`).join(' ');
const FULL = /Cannot write to the credential directory (\S+): no space left on its file system/;
const AGAIN = /Writing to the credential directory (\S+) works again/;
const HOUR_MS = 3600_000;

const AT_BIG = `at-big-secret-${'y'.repeat(10_000)}`;
const TOP = '{"refresh_token": "rt-dave-secret-1111"}';
function meta(tokenUrl: string): string {
  return `{"client_id": "sandbox", "client_secret": "cs", "token_url": "${tokenUrl}", "use_refresh_token": true}`;
}

/** A `.use` in a few words, so that a failed check shows "4096 bytes, unparsable" rather than 12 KB of text. */
function shape(content: string): { bytes: number; parses: boolean; sha256: string } {
  let parses = true;
  try {
    parseUseFile('x.use', content);
  } catch {
    parses = false;
  }
  return { bytes: Buffer.byteLength(content), parses, sha256: createHash('sha256').update(content).digest('hex') };
}

if (needsUserNamespace()) {
  it('runs the credmon full-disk tests in a user and mount namespace', () => runInUserNamespace(import.meta.url));
} else {
  describe('the credmon on a full tmpfs', () => {
    let fs: SmallTmpfs;
    let h: TmpfsCredmon | undefined;
    let endpoint: FakeTokenEndpoint | undefined;
    before(() => {
      fs = mountSmallTmpfs(64);
    });
    after(() => fs.unmount());
    afterEach(async () => {
      await h?.close();
      await endpoint?.close();
      h = undefined;
      endpoint = undefined;
      fs.freeSpace();
    });

    for (const freePages of [0, 1, 2]) {
      it(`local tokens of 3 pages, ${freePages} page(s) free: old files kept, one line each way`, async () => {
        h = await startTmpfsCredmon(fs, { LOCAL_CREDMON_AUTHZ_TEMPLATE: LONG_TEMPLATE });
        for (const user of USERS) h.put(user, 'scitokens.top', user);
        await h.scan();
        const old = new Map(USERS.map((user) => [user, h?.read(user, 'scitokens.use') ?? '']));
        for (const content of old.values()) assert.ok(Buffer.byteLength(content) > 2 * PAGE, 'a .use of 3 pages');

        fs.leaveFree(freePages);
        for (let scan = 1; scan <= 3; scan++) {
          h.nowMs += HOUR_MS; // past the renewal time, and past any backoff
          await h.scan();
          for (const user of USERS) {
            const now = shape(h.read(user, 'scitokens.use'));
            assert.deepEqual(now, shape(old.get(user) ?? ''), `after scan ${scan}, ${user}'s .use is the old one`);
          }
        }
        const full = linesMatching(h.lines, FULL);
        assert.equal(full.length, 1, `one line for the full disk, not one per token and scan:\n${h.lines.join('')}`);
        assert.equal(FULL.exec(full[0] ?? '')?.[1], h.credDir, 'it names the credential directory');
        assert.match(full[0] ?? '', /ERROR/);
        assert.deepEqual(linesMatching(h.lines, /ERROR: Failed to renew/), [], 'no error line per token');
        assert.deepEqual(linesMatching(h.lines, AGAIN), []);

        fs.freeSpace();
        h.nowMs += HOUR_MS;
        await h.scan();
        for (const user of USERS) {
          const now = parseUseFile(`${user}.use`, h.read(user, 'scitokens.use'));
          assert.notEqual(h.read(user, 'scitokens.use'), old.get(user), `${user} has a new token`);
          assert.equal(decodeJwt(now.accessToken).sub, user);
        }
        const again = linesMatching(h.lines, AGAIN);
        assert.equal(again.length, 1, 'one line when writing works again');
        assert.equal(AGAIN.exec(again[0] ?? '')?.[1], h.credDir);
        h.nowMs += HOUR_MS;
        await h.scan();
        assert.equal(linesMatching(h.lines, FULL).length + linesMatching(h.lines, AGAIN).length, 2, 'and no more');
      });
    }

    it('an OAuth .use of 3 pages with 1 page free: the old .use kept, retried, whole once space is back', async () => {
      h = await startTmpfsCredmon(fs);
      const big = { access_token: AT_BIG, token_type: 'Bearer', expires_in: 3600 };
      endpoint = await startTokenEndpoint(() => json(200, big));
      const oldUse = '{"access_token": "at-old-secret", "expires_in": 3600, "expires_at": 1}';
      h.put('dave', 'mytokens.meta', meta(endpoint.url));
      h.put('dave', 'mytokens.use', oldUse);
      h.put('dave', 'mytokens.top', TOP);
      h.nowMs += 2 * HOUR_MS; // the old .use is due
      fs.leaveFree(1);
      for (let attempt = 1; attempt <= 2; attempt++) {
        await h.scan();
        h.nowMs += HOUR_MS;
        const now = shape(h.read('dave', 'mytokens.use'));
        assert.deepEqual(now, shape(oldUse), `after attempt ${attempt}, the old .use`);
        assert.equal(h.read('dave', 'mytokens.top'), TOP);
      }
      assert.equal(endpoint.requests.length, 2, 'the refresh is retried');
      assert.equal(linesMatching(h.lines, FULL).length, 1);
      assert.deepEqual(linesMatching(h.lines, /held in memory/), [], 'no rotation, nothing held');
      assert.deepEqual(linesMatching(h.lines, /secret/), [], 'no token in the log');

      fs.freeSpace();
      await h.scan();
      assert.equal(parseUseFile('mytokens.use', h.read('dave', 'mytokens.use')).accessToken, AT_BIG);
      assert.equal(linesMatching(h.lines, AGAIN).length, 1);
      assert.equal(linesMatching(h.lines, /Successfully refreshed mytokens tokens for user dave/).length, 1);
    });
  });
}
