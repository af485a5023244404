import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readClientSecretFile } from '../../../src/credentials/index.js';

const KNOB = 'CLIENT_CREDMON_robot_CLIENT_SECRET_FILE';
const UID = process.geteuid?.() ?? 0;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'client-secret-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function secretFile(name: string, content: string, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

describe('readClientSecretFile', () => {
  it('returns the trimmed secret of a private regular file', async () => {
    assert.equal(await readClientSecretFile(await secretFile('ok', '  s3cret \n'), KNOB, UID), 's3cret');
  });

  it('refuses, naming the knob and never the secret: missing, empty, too open, symlink, FIFO, other owner', async () => {
    const refuse = async (path: string, pattern: RegExp): Promise<void> => {
      await assert.rejects(readClientSecretFile(path, KNOB, UID), (error: Error) => {
        assert.match(error.message, pattern);
        assert.ok(error.message.startsWith(`${KNOB} = ${path}`));
        assert.ok(!error.message.includes('s3cret'));
        return true;
      });
    };
    await refuse(join(dir, 'missing'), /does not exist/);
    await refuse(await secretFile('empty', '\n'), /the file is empty/);
    await refuse(await secretFile('open', 's3cret', 0o640), /mode 640 lets other users read .* \(chmod 600/);
    await refuse(await secretFile('lines', 's3cret\nmore'), /more than one line/);
    await symlink(join(dir, 'ok'), join(dir, 'link'));
    await refuse(join(dir, 'link'), /symbolic link/);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await refuse(join(dir, 'fifo'), /a FIFO, not a regular file/);
    await assert.rejects(readClientSecretFile(await secretFile('owner', 's3cret'), KNOB, UID + 1), /is owned by uid/);
  });
});
