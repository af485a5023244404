/**
 * Both atomic writers on a real, full file system: a tmpfs of 16 pages, filled so that exactly 0, 1, 2 or 3 pages are
 * free, replacing a 3-page file. A full disk takes part of a write (a short write) and refuses the rest: the old file
 * must stay byte for byte, no temp file may remain, and the error must say the disk is full (DiskFull,
 * ERR_DISK_FULL); with 3 pages free the new file is written whole.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { replaceFileSync, writeFileAtomically } from '../../src/credentials/atomic-write.js';
import { parseUseFile, pythonJson } from '../../src/credentials/index.js';
import { DiskFull } from '../../src/shared/errors.js';
import { mountSmallTmpfs, needsUserNamespace, runInUserNamespace, type SmallTmpfs } from './small-tmpfs.js';

const PAGE = 4096;
/** A local issuer `.use` of 12 KB (3 pages): upstream's JSON form around a long JWT-like token. */
function localUse(fill: string): string {
  const head = '{"access_token": "eyJ';
  const tail = '", "expires_in": 1200}';
  return head + fill.repeat(3 * PAGE - head.length - tail.length) + tail;
}
/** An OAuth `.use` of 10 KB (3 pages): a provider's large JWT, as formatOAuthUseFile writes it. */
function oauthUse(fill: string): string {
  return pythonJson({ access_token: `eyJ${fill.repeat(10_000)}`, token_type: 'Bearer', expires_in: 3600 });
}

/** A `.use` in a few words: a failed check shows "4096 bytes, unparsable" rather than 12 KB of text. */
function summary(content: string): { bytes: number; sha256: string; parses: boolean } {
  let parses = true;
  try {
    parseUseFile('x.use', content);
  } catch {
    parses = false;
  }
  return { bytes: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex'), parses };
}

function caught(run: () => void): unknown {
  try {
    run();
    return undefined;
  } catch (error) {
    return error;
  }
}

function assertDiskFull(error: unknown, path: string): true {
  assert.ok(error instanceof DiskFull, `a DiskFull error, got ${String(error)}`);
  assert.equal(error.code, 'ERR_DISK_FULL');
  assert.equal(error.path, path);
  assert.match(error.message, /no space left on the file system; the old file is kept/);
  return true;
}

if (needsUserNamespace()) {
  it('runs the full-disk write tests in a user and mount namespace', () => runInUserNamespace(import.meta.url));
} else {
  describe('atomic writes on a full tmpfs', () => {
    let fs: SmallTmpfs;
    let dir: string;
    before(() => {
      fs = mountSmallTmpfs(16);
    });
    after(() => fs.unmount());
    beforeEach(() => {
      fs.freeSpace();
      dir = join(fs.path, 'alice');
    });

    /** A fresh user directory holding `file` with `old` in it, and then exactly `freePages` pages free. */
    function prepare(file: string, old: string, freePages: number): string {
      fs.freeSpace();
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { mode: 0o700 });
      const path = join(dir, file);
      writeFileSync(path, old, { mode: 0o400 });
      fs.leaveFree(freePages);
      return path;
    }

    for (const freePages of [0, 1, 2]) {
      it(`replaceFileSync keeps a 12 KB local .use byte for byte with ${freePages} free page(s)`, () => {
        const old = localUse('o');
        const path = prepare('scitokens.use', old, freePages);
        const error = caught(() => replaceFileSync(path, localUse('n'), 0o400));
        assert.deepEqual(summary(readFileSync(path, 'utf8')), summary(old), 'the old file, byte for byte');
        assert.deepEqual(readdirSync(dir), ['scitokens.use'], 'no temp file left');
        assertDiskFull(error, path);
      });

      for (const durable of [true, false]) {
        it(`writeFileAtomically (durable: ${durable}) keeps a 10 KB .use, ${freePages} page(s) free`, async () => {
          const old = oauthUse('o');
          const path = prepare('mytokens.use', old, freePages);
          const writing = writeFileAtomically(path, oauthUse('n'), { mode: 0o400, durable });
          const error = await writing.catch((e: unknown) => e);
          assert.deepEqual(summary(readFileSync(path, 'utf8')), summary(old), 'the old file, byte for byte');
          assert.deepEqual(readdirSync(dir), ['mytokens.use'], 'no temp file left');
          assertDiskFull(error, path);
        });
      }
    }

    it('with 3 free pages both write the new file whole, and it parses', async () => {
      const local = prepare('scitokens.use', localUse('o'), 3);
      replaceFileSync(local, localUse('n'), 0o400);
      assert.equal(readFileSync(local, 'utf8'), localUse('n'));
      assert.equal(parseUseFile(local, readFileSync(local, 'utf8')).accessToken.length, 3 * PAGE - 40);
      const oauth = prepare('mytokens.use', oauthUse('o'), 3);
      await writeFileAtomically(oauth, oauthUse('n'), { mode: 0o400, durable: false });
      assert.equal(parseUseFile(oauth, readFileSync(oauth, 'utf8')).accessToken, `eyJ${'n'.repeat(10_000)}`);
      assert.deepEqual(readdirSync(dir), ['mytokens.use']);
    });

    it('writes multi-byte text whole (the byte count, not the string length, decides a short write)', () => {
      const path = prepare('scitokens.use', localUse('o'), 3);
      const text = `${'é'.repeat(4000)}\n`; // 8,001 bytes in 4,001 characters
      replaceFileSync(path, text, 0o400);
      assert.equal(readFileSync(path, 'utf8'), text);
      const short = prepare('scitokens.use', 'old\n', 1);
      assert.throws(
        () => replaceFileSync(short, text, 0o400),
        (error) => assertDiskFull(error, short),
      );
      assert.equal(readFileSync(short, 'utf8'), 'old\n');
    });

    it('no inode left for the temp file: DiskFull, the old file kept', async () => {
      const path = prepare('scitokens.use', 'old\n', 8);
      for (let i = 0; ; i++) {
        try {
          writeFileSync(join(fs.path, `.inode-${i}`), '');
        } catch (error) {
          assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
          break;
        }
      }
      assert.throws(
        () => replaceFileSync(path, 'new\n', 0o400),
        (error) => assertDiskFull(error, path),
      );
      await assert.rejects(writeFileAtomically(path, 'new\n', { mode: 0o400 }), (error) => assertDiskFull(error, path));
      assert.equal(readFileSync(path, 'utf8'), 'old\n');
      for (const name of readdirSync(fs.path)) if (name.startsWith('.inode-')) rmSync(join(fs.path, name));
    });
  });
}
