/**
 * Property-based fuzzing of what the credmon reads (issue 7): at least 10,000 hostile contents through every parser,
 * and at least 10,000 hostile files (types, sizes, encodings, links, names) through the real scan. The parsers must
 * return or throw CredentialFileInvalid, nothing else; the scan must finish, write nothing outside the credential
 * directory, never follow a link, and still give every well-formed user a token.
 * FUZZ_SEED and FUZZ_RUNS replay or scale a run; a failure prints the seed and the shrunk counterexample.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { lookupFrom, parseCredmonConfig } from '../../src/config/index.js';
import {
  CredentialDirectory,
  parseKeyFile,
  parseMetaFile,
  parseTopFile,
  parseUseFile,
} from '../../src/credentials/index.js';
import { Credmon } from '../../src/credmon/index.js';
import { LocalIssuer, ensureSigningKey, loadSigningKey } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { CredentialFileInvalid } from '../../src/shared/errors.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261126);
/** Just over the 1 MiB the credential layer reads. */
const HUGE = Buffer.alloc(1024 * 1024 + 1, 'A');
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);

/** Contents that look almost right: JSON fragments, tokens, key-file lines, control characters, invalid UTF-8. */
const hostileText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.json({ maxDepth: 3 }),
  fc
    .record({
      refresh_token: fc.anything(),
      scopes: fc.anything(),
      access_token: fc.anything(),
      expires_in: fc.anything(),
    })
    .map((o) => JSON.stringify(o)),
  fc
    .array(
      fc.tuple(fc.constantFrom('Provider', 'LocalUser', 'ClientId', 'ClientSecret', 'TokenUrl', 'X'), fc.string()),
      { maxLength: 12 },
    )
    .map((pairs) =>
      pairs.map(([k, v]) => `${k} = "${v}"`).join(fc.sample(fc.constantFrom('\n', '\n\n', '\r\n'), 1)[0]),
    ),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

describe('parsers under hostile content', () => {
  for (const [name, parse] of [
    ['parseTopFile', parseTopFile],
    ['parseUseFile', parseUseFile],
    ['parseMetaFile', parseMetaFile],
    ['parseKeyFile', parseKeyFile],
  ] as const) {
    it(`${name} returns or throws CredentialFileInvalid for ${RUNS} hostile contents`, () => {
      fc.assert(
        fc.property(hostileText, (content) => {
          try {
            (parse as (path: string, content: string) => unknown)('fuzz', content);
          } catch (error) {
            if (!(error instanceof CredentialFileInvalid)) throw error;
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});

type Entry =
  | { kind: 'file'; name: string; content: string | Buffer }
  | { kind: 'fifo'; name: string }
  | { kind: 'symlink'; name: string; to: 'outside-file' | 'outside-dir' | 'self' | 'missing' }
  | { kind: 'dir'; name: string }
  | { kind: 'huge'; name: string };

const fileName = fc.oneof(
  fc.constantFrom(
    'scitokens.top',
    'scitokens.use',
    'scitokens.meta',
    'x.top',
    'x.use',
    'x.meta',
    'a_b.top',
    '.credmon-1-abcdef123456.tmp',
  ),
  fc.stringMatching(/^[A-Za-z0-9._+=-]{1,20}$/).filter((n) => n !== '.' && n !== '..'),
);
const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('file' as const), name: fileName, content: hostileText }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('file' as const),
      name: fileName,
      content: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fifo' as const), name: fileName }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('symlink' as const),
      name: fileName,
      to: fc.constantFrom('outside-file', 'outside-dir', 'self', 'missing'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dir' as const), name: fileName }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), name: fileName }) },
);
/** A user directory: a name (sometimes a symlink to outside), hostile entries, and sometimes a good local request. */
const user = fc.record({
  symlinked: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  good: fc.boolean(),
  entries: fc.uniqueArray(entry, { minLength: 3, maxLength: 14, selector: (e) => e.name }),
});

describe('the scan under hostile files', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'credmon-fuzz-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it(`finishes, writes only .use files of well-formed local requests, and follows no link (${RUNS}+ files)`, async () => {
    let files = 0;
    let round = 0;
    const key = join(base, 'keys', 'private.pem');
    await ensureSigningKey(key, join(base, 'keys', 'public.pem'));
    await fc.assert(
      fc.asyncProperty(fc.array(user, { minLength: 20, maxLength: 40 }), async (users) => {
        const work = join(base, `round${round++}`);
        const credDir = join(work, 'creds');
        const outside = join(work, 'outside');
        await mkdir(credDir, { recursive: true, mode: 0o700 });
        await mkdir(join(outside, 'dir'), { recursive: true });
        await writeFile(join(outside, 'file'), 'outside');
        const good: string[] = [];
        const fifos: string[] = [];
        for (const [i, u] of users.entries()) {
          const name = `u${i}`;
          if (u.symlinked) {
            await symlink(join(outside, 'dir'), join(credDir, name));
            continue;
          }
          await mkdir(join(credDir, name));
          for (const e of u.entries) {
            const path = join(credDir, name, e.name);
            files++;
            if (e.kind === 'file') await writeFile(path, e.content);
            else if (e.kind === 'fifo') fifos.push(path);
            else if (e.kind === 'dir') await mkdir(path);
            else if (e.kind === 'huge') await writeFile(path, HUGE);
            else
              await symlink(
                e.to === 'outside-file'
                  ? join(outside, 'file')
                  : e.to === 'outside-dir'
                    ? join(outside, 'dir')
                    : e.to === 'self'
                      ? path
                      : join(work, 'missing'),
                path,
              );
          }
          if (u.good && !u.entries.some((e) => e.name.startsWith('scitokens.'))) {
            await writeFile(join(credDir, name, 'scitokens.top'), name);
            good.push(name);
          }
        }
        if (fifos.length > 0) execFileSync('mkfifo', fifos);
        const config = parseCredmonConfig(
          lookupFrom(
            new Map([
              ['SEC_CREDENTIAL_DIRECTORY_OAUTH', credDir],
              ['LOCAL_CREDMON_TOKEN_AUDIENCE', 'https://localhost'],
            ]),
          ),
        );
        const { logger } = createMemoryLogger('fuzz', false);
        const issuer = new LocalIssuer(config.local, await loadSigningKey(key, 'local'), logger);
        const issuers = new Map([[config.local.providerName, issuer]]);
        const credmon = new Credmon({ config, directory: new CredentialDirectory(credDir), issuers, log: logger });
        const outcome = await Promise.race([credmon.scanOnce().then(() => 'done'), delay(20_000).then(() => 'hung')]);
        await credmon.stop();
        assert.equal(outcome, 'done');
        assert.deepEqual((await readdir(outside)).sort(), ['dir', 'file']);
        assert.deepEqual(await readdir(join(outside, 'dir')), [], 'nothing written through a symlinked user directory');
        assert.equal(await readFile(join(outside, 'file'), 'utf8'), 'outside');
        for (const name of good)
          assert.ok((await lstat(join(credDir, name, 'scitokens.use'))).isFile(), `${name} got no token`);
        await rm(work, { recursive: true, force: true });
      }),
      { seed: SEED, numRuns: Math.max(1, Math.ceil(RUNS / 120)) },
    );
    assert.ok(files >= RUNS, `only ${files} hostile files were tried`);
    console.log(`# ${files} hostile files in ${round} scans`);
  });
});
