import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RotatingLogFile, type RotationPolicy } from '../../../src/log/rotating-file.js';

const POLICY: RotationPolicy = {
  maxBytes: 200,
  maxSeconds: 0,
  maxRotated: 1,
  truncateOnOpen: false,
  knob: 'MAX_TEST_LOG',
};
const notice = (level: 30 | 40, message: string): string => `${level === 40 ? 'WARNING: ' : ''}${message}\n`;

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotating-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function clock(start = Date.UTC(2026, 11, 2, 12)): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('RotatingLogFile', () => {
  it(
    'rotates to .old before a line would pass the bound; no file ever exceeds it; the new file says so',
    withDir(async (dir) => {
      const path = join(dir, 'CredMonOAuthLog');
      const file = new RotatingLogFile(path, POLICY, notice);
      const sizes: number[] = [];
      for (let i = 0; i < 40; i++) {
        file.write(`line ${String(i).padStart(3, '0')} ${'x'.repeat(20)}\n`);
        for (const name of readdirSync(dir)) sizes.push(statSync(join(dir, name)).size);
      }
      await file.end();
      assert.deepEqual(readdirSync(dir).sort(), ['CredMonOAuthLog', 'CredMonOAuthLog.old']);
      for (const name of readdirSync(dir)) assert.ok(statSync(join(dir, name)).size <= 200, name);
      const current = readFileSync(path, 'utf8');
      assert.match(current, new RegExp(`^Now in new log file ${path}; the previous one is ${path}\\.old\\n`));
      assert.match(current, /line 039 x+\n$/);
      const old = readFileSync(`${path}.old`, 'utf8');
      const last = Number(/line (\d+) x+\n$/.exec(old)?.[1]);
      assert.match(current, new RegExp(`line ${String(last + 1).padStart(3, '0')} `), 'no line lost between the two');
    }),
  );

  it(
    'keeps MAX_NUM rotated files: timestamped names, the oldest as .old',
    withDir(async (dir) => {
      const path = join(dir, 'Log');
      const time = clock();
      const file = new RotatingLogFile(path, { ...POLICY, maxRotated: 3 }, notice, time.now);
      for (let i = 0; i < 60; i++) {
        file.write(`line ${i} ${'y'.repeat(40)}\n`);
        time.advance(1000);
        const rotated = readdirSync(dir).filter((n) => n !== 'Log');
        assert.ok(rotated.length <= 3, rotated.join(' '));
      }
      await file.end();
      const names = readdirSync(dir).sort();
      assert.equal(names.length, 4, names.join(' '));
      assert.ok(names.includes('Log.old'));
      assert.equal(names.filter((n) => /^Log\.\d{8}T\d{6}$/.test(n)).length, 2, names.join(' '));
    }),
  );

  it(
    'goes on in the current file when rotation fails, says so once, and rotates again once it can',
    withDir(async (dir) => {
      const path = join(dir, 'Log');
      const time = clock();
      mkdirSync(`${path}.old`);
      writeFileSync(join(`${path}.old`, 'in-the-way'), 'x');
      const file = new RotatingLogFile(path, POLICY, notice, time.now);
      for (let i = 0; i < 30; i++) file.write(`early ${i} ${'z'.repeat(20)}\n`);
      await new Promise((r) => setTimeout(r, 50));
      const stuck = readFileSync(path, 'utf8');
      assert.equal(stuck.match(/WARNING: Cannot rotate/g)?.length, 1, stuck);
      assert.match(
        stuck,
        /Cannot rotate .*Log to .*Log\.old \((EISDIR|ENOTEMPTY|EEXIST)\); logging goes on in .*Log past MAX_TEST_LOG/,
      );
      assert.match(stuck, /early 29 /, 'every line stayed in the current file');
      rmSync(`${path}.old`, { recursive: true });
      time.advance(61_000);
      file.write('after the fix\n');
      await file.end();
      assert.match(readFileSync(path, 'utf8'), /^Now in new log file .*\(rotation works again\)\nafter the fix\n$/);
      assert.match(readFileSync(`${path}.old`, 'utf8'), /early 29 /);
    }),
  );

  it(
    'rotates by time when the bound is a time; an empty file is never rotated',
    withDir(async (dir) => {
      const path = join(dir, 'Log');
      const time = clock();
      const file = new RotatingLogFile(path, { ...POLICY, maxBytes: 0, maxSeconds: 60 }, notice, time.now);
      file.write('first\n');
      time.advance(59_000);
      file.write('second\n');
      time.advance(1_000);
      file.write('third\n');
      await file.end();
      assert.equal(readFileSync(`${path}.old`, 'utf8'), 'first\nsecond\n');
      assert.match(readFileSync(path, 'utf8'), /\nthird\n$/);
    }),
  );

  it(
    'cuts a single line longer than the bound, appends to an existing file, truncates on open when told',
    withDir(async (dir) => {
      const path = join(dir, 'Log');
      writeFileSync(path, 'before\n');
      const file = new RotatingLogFile(path, POLICY, notice);
      file.write(`${'é'.repeat(300)}\n`);
      await file.end();
      assert.equal(readFileSync(`${path}.old`, 'utf8'), 'before\n');
      const cut = readFileSync(path, 'utf8');
      assert.ok(Buffer.byteLength(cut) <= 200, String(Buffer.byteLength(cut)));
      assert.match(cut, /^é+ \[cut: longer than the log bound\]\n$/);
      const again = new RotatingLogFile(path, { ...POLICY, truncateOnOpen: true }, notice);
      again.write('fresh\n');
      await again.end();
      assert.equal(readFileSync(path, 'utf8'), 'fresh\n');
    }),
  );

  it('throws the system error when the file cannot be opened', () => {
    assert.throws(() => new RotatingLogFile('/nonexistent-dir/Log', POLICY, notice), { code: 'ENOENT' });
  });
});
