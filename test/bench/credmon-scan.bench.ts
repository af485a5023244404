/**
 * Benchmark: what a SIGHUP costs the credmon with many users. Creates N users that each hold a local-issuer request
 * (`scitokens.top`), lets the first scan sign all their tokens, then measures a scan after one user's `.top` changed
 * (what the credd's SIGHUP after one condor_submit causes). Prints figures; asserts nothing.
 *   npm run bench            (N = 2000)      BENCH_USERS=10000 npm run bench
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupFrom, parseCredmonConfig } from '../../src/config/index.js';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { Credmon } from '../../src/credmon/index.js';
import { LocalIssuer, parseSigningKey } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';

const users = Number(process.env['BENCH_USERS'] ?? 2000);
const root = await mkdtemp(join(tmpdir(), 'credmon-bench-'));
const credDir = join(root, 'creds');
await mkdir(credDir, { mode: 0o700 });
const config = parseCredmonConfig(
  lookupFrom(
    new Map([
      ['SEC_CREDENTIAL_DIRECTORY_OAUTH', credDir],
      ['LOCAL_CREDMON_TOKEN_AUDIENCE', 'https://localhost'],
      ['LOCAL_CREDMON_ISSUER', 'https://localhost:8443'],
    ]),
  ),
);
const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString();
const { logger } = createMemoryLogger('bench', false);
const issuer = new LocalIssuer(config.local, parseSigningKey(pem, 'local', 'bench key'), logger);
const directory = new CredentialDirectory(credDir);
const credmon = new Credmon({ config, directory, issuer, log: logger });

for (let i = 0; i < users; i++) {
  const dir = join(credDir, `user${i}`);
  await mkdir(dir, { mode: 0o700 });
  await writeFile(join(dir, 'scitokens.top'), `user${i}`, { mode: 0o600 });
}

const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
let t = process.hrtime.bigint();
const first = await credmon.scanOnce();
const firstMs = ms(t);
t = process.hrtime.bigint();
const settle = await credmon.scanOnce();
const settleMs = ms(t);
t = process.hrtime.bigint();
const idle = await credmon.scanOnce();
const idleMs = ms(t);
// One submit: the credd rewrites one user's .top (temp file + rename) and sends SIGHUP.
const changed = join(credDir, 'user7');
await writeFile(join(changed, 'scitokens.top.tmp'), 'user7', { mode: 0o600 });
await rename(join(changed, 'scitokens.top.tmp'), join(changed, 'scitokens.top'));
await rm(join(changed, 'scitokens.use'));
t = process.hrtime.bigint();
const hup = await credmon.scanOnce();
const hupMs = ms(t);
const rssMiB = process.memoryUsage().rss / 1024 / 1024;

console.log(`users:                                   ${users}`);
console.log(`first scan (signs every token):          ${firstMs.toFixed(0)} ms, ${first.issued} tokens, ${(firstMs / users).toFixed(2)} ms/user`);
console.log(`next scan (re-reads dirs it wrote into):  ${settleMs.toFixed(1)} ms, user dirs read: ${settle.usersRead}`);
console.log(`scan with nothing changed:               ${idleMs.toFixed(1)} ms, user dirs read: ${idle.usersRead}`);
console.log(`scan after one submit (SIGHUP):          ${hupMs.toFixed(1)} ms, user dirs read: ${hup.usersRead}, tokens signed: ${hup.issued}`);
console.log(`resident memory after the scans:         ${rssMiB.toFixed(0)} MiB`);
await rm(root, { recursive: true, force: true });
