import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CredentialDirectory } from '../../../src/credentials/credential-directory.js';
import {
  CredentialDirectoryUnusable,
  CredentialFileInvalid,
  CredentialNameInvalid,
} from '../../../src/shared/errors.js';

const KEY = 'ab'.repeat(32);
let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'credmon-dir-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('CredentialDirectory.prepare', () => {
  it('creates a missing directory with mode 2770, as upstream does', async () => {
    const root = join(base, 'oauth_credentials');
    await new CredentialDirectory(root).prepare();
    const info = await stat(root);
    assert.ok(info.isDirectory());
    assert.equal((info.mode & 0o7777).toString(8), '2770');
  });

  it('refuses a world-accessible directory, naming the knob and the fix', async () => {
    await chmod(base, 0o777);
    await assert.rejects(new CredentialDirectory(base).prepare(), (error: unknown) => {
      assert.ok(error instanceof CredentialDirectoryUnusable);
      assert.match(error.message, /SEC_CREDENTIAL_DIRECTORY_OAUTH/);
      assert.match(error.message, /777/);
      assert.match(error.message, /chmod o-rwx/);
      return true;
    });
  });

  it('refuses a directory with only o+x', async () => {
    await chmod(base, 0o701);
    await assert.rejects(new CredentialDirectory(base).prepare(), CredentialDirectoryUnusable);
  });

  it('accepts an existing 0700 directory and refuses a regular file', async () => {
    await chmod(base, 0o700);
    await new CredentialDirectory(base).prepare();
    const file = join(base, 'file');
    await writeFile(file, '');
    await assert.rejects(new CredentialDirectory(file).prepare(), /SEC_CREDENTIAL_DIRECTORY_OAUTH/);
  });
});

describe('CredentialDirectory files', () => {
  it('writes user files atomically with mode 0400 and reads them back', async () => {
    const dir = new CredentialDirectory(base);
    await dir.writeUserFile('alice', 'scitokens.use', 'content');
    assert.equal((await stat(join(base, 'alice', 'scitokens.use'))).mode & 0o777, 0o400);
    assert.equal((await stat(join(base, 'alice'))).mode & 0o777, 0o700);
    const file = new CredentialDirectory(base).readUserFileSync('alice', 'scitokens.use');
    assert.equal(file?.content, 'content');
    assert.equal(file?.size, 7);
    assert.deepEqual(new CredentialDirectory(base).readUserDirectorySync('alice', Date.now()).files, ['scitokens.use']);
  });

  it('returns undefined for a missing file and an empty list for a missing user', () => {
    assert.equal(new CredentialDirectory(base).readUserFileSync('nobody', 'x.use'), undefined);
    assert.deepEqual(new CredentialDirectory(base).readUserDirectorySync('nobody', Date.now()), {
      files: [],
      others: [],
      removedTempFiles: 0,
      exists: false,
    });
  });

  it('refuses to follow a symlinked credential file', async () => {
    await mkdir(join(base, 'alice'));
    await writeFile(join(base, 'secret'), 'not yours');
    await symlink(join(base, 'secret'), join(base, 'alice', 'x.use'));
    assert.throws(
      () => new CredentialDirectory(base).readUserFileSync('alice', 'x.use'),
      (error: unknown) => {
        assert.equal((error as NodeJS.ErrnoException).code, 'ELOOP');
        return true;
      },
    );
    assert.deepEqual(new CredentialDirectory(base).readUserDirectorySync('alice', Date.now()).others, [
      { name: 'x.use', type: 'a symbolic link' },
    ]);
  });

  it('refuses unsafe user and file names before touching the disk', async () => {
    const dir = new CredentialDirectory(base);
    assert.throws(() => new CredentialDirectory(base).readUserFileSync('..', 'x.use'), CredentialNameInvalid);
    assert.throws(
      () => new CredentialDirectory(base).readUserFileSync('alice', '../../etc/passwd'),
      CredentialNameInvalid,
    );
    await assert.rejects(dir.writeUserFile('a/b', 'x.use', 'x'), CredentialNameInvalid);
    await assert.rejects(dir.writeUserFile('alice', '.', 'x'), CredentialNameInvalid);
    assert.deepEqual(await readdir(base), []);
  });

  it('lists user directories and refuses unsafe names without reading them', async () => {
    await mkdir(join(base, 'alice'));
    await mkdir(join(base, 'bob.smith'));
    await mkdir(join(base, 'bad user'));
    await mkdir(join(base, 'semi;colon'));
    await mkdir(join(base, '.hidden'));
    await writeFile(join(base, 'alice.mark'), '');
    await writeFile(join(base, KEY), '');
    await symlink(join(base, 'alice'), join(base, 'link'));
    const { users, refused } = await new CredentialDirectory(base).listUserDirectories();
    assert.deepEqual(users.map((u) => u.user).sort(), ['alice', 'bob.smith']);
    assert.deepEqual(refused.sort(), ['.hidden', 'bad user', 'semi;colon']);
  });

  it('changes a user directory version when a file is added', async () => {
    const dir = new CredentialDirectory(base);
    await mkdir(join(base, 'alice'));
    const before = (await dir.listUserDirectories()).users[0]?.version;
    await dir.writeUserFile('alice', 'scitokens.use', 'x');
    const after = (await dir.listUserDirectories()).users[0]?.version;
    assert.ok(before !== undefined && after !== undefined);
    assert.notEqual(before, after);
  });

  it('writes pid without a newline and touches CREDMON_COMPLETE at the given time', async () => {
    const dir = new CredentialDirectory(base);
    await dir.writePid(4242);
    assert.equal(await readFile(join(base, 'pid'), 'utf8'), '4242');
    const when = new Date('2030-01-02T03:04:05Z');
    await dir.touchCompleteMarker(when);
    const info = await stat(join(base, 'CREDMON_COMPLETE'));
    assert.equal(info.size, 0);
    assert.equal(info.mtimeMs, when.getTime());
    await dir.removeCompleteMarker();
    await dir.removeCompleteMarker(); // a missing marker is fine
    assert.deepEqual((await readdir(base)).sort(), ['pid']);
  });
});

describe('CredentialDirectory key files', () => {
  it('lists only regular files named by 64 lowercase hex characters', async () => {
    await writeFile(join(base, KEY), 'Provider = "x"\n');
    await writeFile(join(base, 'AB'.repeat(32)), '');
    await writeFile(join(base, `${KEY}.tmp`), '');
    await mkdir(join(base, 'cd'.repeat(32)));
    const keys = await new CredentialDirectory(base).listKeyFiles();
    assert.deepEqual(
      keys.map((k) => k.name),
      [KEY],
    );
    assert.equal(typeof keys[0]?.ctimeMs, 'number');
  });

  it('reads and removes a key file', async () => {
    await writeFile(join(base, KEY), 'Provider = "x"\n');
    const dir = new CredentialDirectory(base);
    assert.equal((await dir.readKeyFile(KEY))?.content, 'Provider = "x"\n');
    await dir.removeKeyFile(KEY);
    assert.equal(await dir.readKeyFile(KEY), undefined);
    await dir.removeKeyFile(KEY); // already gone is fine
  });

  for (const bad of ['../' + 'a'.repeat(61), 'A'.repeat(64), 'a'.repeat(63), 'g'.repeat(64), 'pid', '']) {
    it(`rejects the key file name ${JSON.stringify(bad)}`, async () => {
      const dir = new CredentialDirectory(base);
      await assert.rejects(dir.readKeyFile(bad), RangeError);
      await assert.rejects(dir.removeKeyFile(bad), RangeError);
    });
  }
});

describe('CredentialDirectory and hostile entries', () => {
  it('refuses a FIFO in place of a credential file at once instead of waiting for a writer', async () => {
    await mkdir(join(base, 'alice'));
    execFileSync('mkfifo', [join(base, 'alice', 'scitokens.top')]);
    // Without O_NONBLOCK this open never returns: the test would hit node:test's timeout.
    let outcome: unknown;
    try {
      new CredentialDirectory(base).readUserFileSync('alice', 'scitokens.top');
      outcome = 'read';
    } catch (error) {
      outcome = error;
    }
    assert.ok(outcome instanceof CredentialFileInvalid, String(outcome));
    assert.match(outcome.message, /alice\/scitokens\.top: is a FIFO, not a regular file/);
  });

  it('refuses a FIFO named like a key file without blocking', async () => {
    const dir = new CredentialDirectory(base);
    execFileSync('mkfifo', [join(base, KEY)]);
    const outcome = await Promise.race([
      dir.readKeyFile(KEY).then(
        () => 'read',
        (error: unknown) => error,
      ),
      delay(2000).then(() => 'hung'),
    ]);
    assert.ok(outcome instanceof CredentialFileInvalid, String(outcome));
    assert.ok(
      !outcome.message.includes(KEY) && !outcome.path.includes(KEY),
      'a key file is a capability: never named in full',
    );
    assert.match(outcome.message, /abababab…: is a FIFO, not a regular file/);
  });

  it('never writes through a user directory that is a symlink', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'credmon-elsewhere-'));
    try {
      await symlink(elsewhere, join(base, 'mallory'));
      const dir = new CredentialDirectory(base);
      await assert.rejects(
        dir.writeUserFile('mallory', 'scitokens.meta', '{"client_secret": "s"}'),
        (error: unknown) => {
          assert.ok(error instanceof CredentialDirectoryUnusable);
          assert.match(error.message, /mallory is a symbolic link, not a directory/);
          return true;
        },
      );
      await assert.rejects(dir.writeUserFile('mallory', 'scitokens.use', 'x', { createDirectory: false }));
      assert.deepEqual(await readdir(elsewhere), []);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
