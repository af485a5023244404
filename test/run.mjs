#!/usr/bin/env node
// Runs the test suites with node:test and tsx. Usage: node test/run.mjs [unit] [integration] [container] | all
// Node 20's `node --test DIR` ignores .ts files, and some invocations run zero tests and exit 0, so this script
// lists the files itself and fails when a requested suite has none.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const requested = process.argv.slice(2);
const suites = requested.length === 0 || requested.includes('all') ? ['unit', 'integration', 'container'] : requested;

function find(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

let failed = false;
for (const suite of suites) {
  const files = find(join(root, 'test', suite));
  if (files.length === 0) {
    console.error(`test/run.mjs: no test files in test/${suite}`);
    process.exit(1);
  }
  console.log(`\n# ${suite}: ${files.length} file(s)`);
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec'];
  if (suite === 'container') args.push('--test-concurrency=1', '--test-timeout=2400000');
  else args.push('--test-timeout=60000');
  const result = spawnSync(process.execPath, [...args, ...files.map((f) => relative(root, f))], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    failed = true;
    console.error(`\n# ${suite}: FAILED (exit ${result.status ?? result.signal})`);
    if (suite !== 'container') break;
  }
}
console.log(failed ? '\n# some suites FAILED' : '\n# all suites passed');
process.exit(failed ? 1 : 0);
