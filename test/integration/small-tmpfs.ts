/**
 * A real, tiny tmpfs for the full-disk tests (not a test file itself): mounted with `mount -t tmpfs -o size=...`,
 * filled so that exactly N pages are free, unmounted in teardown. Mounting needs root with CAP_SYS_ADMIN (CI runs as
 * root); anyone else runs the test file again as root of a new user and mount namespace (`unshare --user
 * --map-root-user --mount`), where the mount is private to that process and ends with it. When neither works the
 * tests fail, saying why: they never skip.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Set in the child that runs a test file inside the namespace (so it does not start another one). */
const IN_NAMESPACE = 'CREDMON_TEST_IN_USER_NAMESPACE';
const FILLER = '.filler';

export interface SmallTmpfs {
  /** The mount point. */
  readonly path: string;
  /** The file system's block size: a page (4096 on x86-64 and arm64). */
  readonly pageSize: number;
  freePages(): number;
  /** Fills the file system (outside anything the test wrote) so that exactly `pages` pages are free. */
  leaveFree(pages: number): void;
  /** Removes the filling: space is back. */
  freeSpace(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `pages` pages and `inodes` inodes at a new temp directory. Throws a clear error if it cannot. */
export function mountSmallTmpfs(pages: number, inodes = 64): SmallTmpfs {
  const path = mkdtempSync(join(tmpdir(), 'credmon-full-disk-'));
  const size = `${(pages * 4096) / 1024}k`;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},nr_inodes=${inodes},mode=0700`, 'credmon-test', path], {
      stdio: 'pipe',
    });
  } catch (error) {
    rmdirSync(path);
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    throw new Error(
      `cannot mount a ${size} tmpfs at ${path} (${stderr}): the full-disk tests need root with CAP_SYS_ADMIN, or ` +
        'unprivileged user namespaces (unshare --user --map-root-user --mount)',
    );
  }
  const pageSize = statfsSync(path).bsize;
  const freePages = (): number => statfsSync(path).bavail;
  const filler = join(path, FILLER);
  const freeSpace = (): void => rmSync(filler, { force: true });
  return {
    path,
    pageSize,
    freePages,
    leaveFree(wanted) {
      freeSpace();
      const available = freePages();
      assert.ok(available >= wanted, `only ${available} pages free, ${wanted} wanted`);
      writeFileSync(filler, Buffer.alloc((available - wanted) * pageSize, 0x2e));
      assert.equal(freePages(), wanted, `the tmpfs should have exactly ${wanted} free pages`);
    },
    freeSpace,
    unmount() {
      execFileSync('umount', [path], { stdio: 'pipe' });
      rmdirSync(path);
    },
  };
}

/**
 * Whether this process must run the full-disk tests in a user namespace: it is not root, or root without the right to
 * mount (a container without CAP_SYS_ADMIN), and it is not that namespace's child already.
 */
export function needsUserNamespace(): boolean {
  if (process.env[IN_NAMESPACE] === '1') return false;
  if (process.getuid?.() !== 0) return true;
  try {
    mountSmallTmpfs(1, 4).unmount();
    return false;
  } catch {
    return true;
  }
}

/** Runs the test file at `fileUrl` again as root of a new user and mount namespace; fails with its output. */
export function runInUserNamespace(fileUrl: string): void {
  const file = fileURLToPath(fileUrl);
  const node = [process.execPath, '--import', 'tsx', '--test', '--test-reporter=tap', file];
  // Without NODE_TEST_CONTEXT: under it, `node --test` in a child believes it is a runner's child and runs nothing.
  const { NODE_TEST_CONTEXT: _runner, ...env } = process.env;
  const child = spawnSync('unshare', ['--user', '--map-root-user', '--mount', ...node], {
    env: { ...env, [IN_NAMESPACE]: '1' },
    encoding: 'utf8',
    timeout: 50_000,
  });
  if (child.error) assert.fail(`cannot run unshare (${child.error.message}): the full-disk tests need root or unshare`);
  const output = `${child.stdout}${child.stderr}`;
  const results = child.stdout.split('\n').filter((line) => /^\s*(not )?ok \d+ - /.test(line));
  process.stdout.write(`${results.map((line) => `    | ${line.trim()}`).join('\n')}\n`);
  assert.equal(child.status, 0, `the full-disk tests failed in the user namespace:\n${output}`);
  const passed = Number(/^# pass (\d+)$/m.exec(child.stdout)?.[1] ?? 0);
  assert.ok(passed > 0, `no full-disk test ran in the user namespace:\n${output}`);
  assert.match(child.stdout, /^# fail 0$/m);
}
