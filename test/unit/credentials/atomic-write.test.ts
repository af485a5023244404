import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { writeFileAtomically } from '../../../src/credentials/atomic-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credmon-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomically', () => {
  it('writes the exact content with the requested mode and leaves no temp file', async () => {
    const path = join(dir, 'scitokens.use');
    await writeFileAtomically(path, '{"access_token": "x", "expires_in": 1200}', { mode: 0o400 });
    assert.equal(await readFile(path, 'utf8'), '{"access_token": "x", "expires_in": 1200}');
    assert.equal((await stat(path)).mode & 0o7777, 0o400);
    assert.deepEqual(await readdir(dir), ['scitokens.use']);
  });

  it('applies modes wider than the umask would allow (0644)', async () => {
    const path = join(dir, 'pub.pem');
    await writeFileAtomically(path, 'x', { mode: 0o644 });
    assert.equal((await stat(path)).mode & 0o7777, 0o644);
  });

  it('writes bytes as given', async () => {
    const path = join(dir, 'bin');
    await writeFileAtomically(path, new Uint8Array([0, 255, 10]), { mode: 0o600 });
    assert.deepEqual([...(await readFile(path))], [0, 255, 10]);
  });

  it('replaces an existing read-only file and its mode', async () => {
    const path = join(dir, 'x.top');
    await writeFile(path, 'old content that is longer', { mode: 0o400 });
    await writeFileAtomically(path, 'new', { mode: 0o600 });
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.equal((await stat(path)).mode & 0o7777, 0o600);
    assert.deepEqual(await readdir(dir), ['x.top']);
  });

  it('removes its temp file when the rename fails', async () => {
    const target = join(dir, 'a-directory');
    await mkdir(join(target, 'child'), { recursive: true });
    await assert.rejects(writeFileAtomically(target, 'x', { mode: 0o600 }));
    assert.deepEqual(await readdir(dir), ['a-directory']);
  });

  it('never lets a reader see a missing or partial file during 200 rewrites', async () => {
    const path = join(dir, 'x.use');
    const versions = Array.from({ length: 201 }, (_, i) => `${String(i).padStart(4, '0')}:${'x'.repeat(20_000 + i)}`);
    await writeFileAtomically(path, versions[0] ?? '', { mode: 0o400 });
    const valid = new Set(versions);
    let writing = true;
    let reads = 0;
    const problems: string[] = [];
    const reader = (async () => {
      while (writing) {
        try {
          const content = await readFile(path, 'utf8');
          if (!valid.has(content)) problems.push(`partial content of ${content.length} bytes`);
        } catch (error) {
          problems.push((error as NodeJS.ErrnoException).code ?? String(error));
        }
        reads++;
      }
    })();
    for (let i = 1; i < versions.length; i++) await writeFileAtomically(path, versions[i] ?? '', { mode: 0o400 });
    writing = false;
    await reader;
    assert.deepEqual(problems, []);
    assert.ok(reads > 10, `the reader ran concurrently (${reads} reads)`);
    assert.equal(await readFile(path, 'utf8'), versions[200]);
    assert.deepEqual(await readdir(dir), ['x.use']);
  });
});
