import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, createMemoryLogger, formatLogLine, REDACT_PATHS } from '../../../src/log/index.js';
import { assertNoSecretLeak } from '../../helpers/secret-scan.js';

const FORGED = '\n12/01/26 10:00:00 [credmon] Successfully refreshed scitokens tokens for user alice';

/** Logs through a real createLogger() into a temp log file and returns the file's text once `count` lines are in. */
async function logToFile(count: number, write: (logger: ReturnType<typeof createLogger>) => void): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'credmon-log-'));
  try {
    const file = join(dir, 'CredMonOAuthLog');
    const logger = createLogger({ name: 'credmon', debug: true, file, stderr: false });
    write(logger);
    for (let i = 0; i < 100; i++) {
      const text = await readFile(file, 'utf8').catch(() => '');
      if (text.split('\n').length > count) return text;
      await sleep(20);
    }
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('text log lines (CREDMON_OAUTH_LOG)', () => {
  it('cannot be forged by a message or a field holding a newline: one record is exactly one line', async () => {
    const text = await logToFile(2, (logger) => {
      logger.warn(
        { user: 'alice', oauth_error: `invalid_grant${FORGED}` },
        `Failed to refresh: refused: invalid_grant: expired${FORGED}`,
      );
      logger.info('next record');
    });
    const lines = text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, text);
    assert.match(
      lines[0] ?? '',
      /WARNING: Failed to refresh: refused: invalid_grant: expired\\n12\/01\/26 10:00:00 \[credmon\] Successfully/,
    );
    assert.match(lines[0] ?? '', / oauth_error="invalid_grant\\n12\/01\/26/);
    assert.match(lines[1] ?? '', /\[credmon\] next record$/);
  });

  it('escapes every character that ends, splits or hides a line, in the message, field names and values', () => {
    const unsafe = [
      '\n',
      '\r',
      '\v',
      '\f',
      '\u0000',
      '\u001b',
      '\u007f',
      '\u0085',
      '\u2028',
      '\u2029',
      '\u202e',
      '\u200b',
      '\ufeff',
    ];
    for (const c of unsafe) {
      const record = JSON.stringify({
        level: 40,
        time: 0,
        name: `n${c}`,
        msg: `a${c}b`,
        [`k${c}`]: `v${c}w`,
        nested: { x: `y${c}` },
      });
      const line = formatLogLine(record);
      assert.equal(line.split('\n').length, 2, `U+${c.charCodeAt(0).toString(16)} ends the line`);
      assert.ok(line.endsWith('\n'));
      assert.ok(
        !line.slice(0, -1).includes(c),
        `U+${c.charCodeAt(0).toString(16)} is written as is: ${JSON.stringify(line)}`,
      );
      assert.match(line, /WARNING: a\\(?:[nrt]|u00[0-9a-f]{2}|u[0-9a-f]{4})b/);
    }
    assert.equal(formatLogLine('not json\rforged\n'), 'not json\\rforged\n');
  });

  it('keeps ordinary messages and fields as they were', () => {
    const line = formatLogLine(
      JSON.stringify({
        level: 30,
        time: 0,
        name: 'credmon',
        msg: 'Refreshing scitokens',
        user: 'alice',
        n: 3,
        s: 'a b',
      }),
    );
    assert.match(line, /^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d \[credmon\] Refreshing scitokens user=alice n=3 s="a b"\n$/);
  });
});

/**
 * The sensitive keys, listed here independently of REDACT_PATHS: each value must be absent from every log line
 * (emptying or shortening REDACT_PATHS fails this test).
 */
const SENSITIVE: ReadonlyArray<{
  readonly what: string;
  readonly record: (secret: string) => Record<string, unknown>;
}> = [
  { what: 'access_token', record: (s) => ({ access_token: s }) },
  { what: 'refresh_token', record: (s) => ({ refresh_token: s }) },
  { what: 'client_secret', record: (s) => ({ client_secret: s }) },
  { what: 'clientSecret', record: (s) => ({ clientSecret: s }) },
  { what: 'accessToken', record: (s) => ({ accessToken: s }) },
  { what: 'refreshToken', record: (s) => ({ refreshToken: s }) },
  { what: 'code (authorization code)', record: (s) => ({ code: s }) },
  { what: 'code_verifier', record: (s) => ({ code_verifier: s }) },
  { what: 'password', record: (s) => ({ password: s }) },
  { what: 'nested access_token', record: (s) => ({ response: { access_token: s } }) },
  { what: 'nested refresh_token', record: (s) => ({ top: { refresh_token: s } }) },
  { what: 'nested client_secret', record: (s) => ({ meta: { client_secret: s } }) },
  { what: 'nested clientSecret', record: (s) => ({ meta: { clientSecret: s } }) },
  { what: 'nested accessToken', record: (s) => ({ tokens: { accessToken: s } }) },
  { what: 'nested refreshToken', record: (s) => ({ tokens: { refreshToken: s } }) },
  { what: 'nested code_verifier', record: (s) => ({ login: { code_verifier: s } }) },
  {
    what: 'request Authorization header',
    record: (s) => ({ req: { method: 'POST', headers: { authorization: `Bearer ${s}` } } }),
  },
  { what: 'request Cookie header', record: (s) => ({ req: { method: 'GET', headers: { cookie: `session=${s}` } } }) },
  {
    what: 'response Set-Cookie header',
    record: (s) => ({ res: { statusCode: 200, headers: { 'set-cookie': `session=${s}; Secure` } } }),
  },
  { what: 'Authorization header', record: (s) => ({ headers: { authorization: `Basic ${s}` } }) },
  { what: 'Cookie header', record: (s) => ({ headers: { cookie: `session=${s}` } }) },
];

describe('REDACT_PATHS', () => {
  const secretFor = (i: number): string => `SECRET+${i}/value=with spaces-${'x'.repeat(20)}`;

  it('keeps each sensitive key out of the lines of the memory logger', () => {
    const { logger, lines } = createMemoryLogger('test');
    SENSITIVE.forEach((s, i) => logger.info(s.record(secretFor(i)), `logging ${s.what}`));
    assert.equal(lines.length, SENSITIVE.length);
    assertNoSecretLeak(
      SENSITIVE.map((_, i) => secretFor(i)),
      lines,
      'log line',
    );
    for (const line of lines) assert.match(line, /\[redacted\]/, line);
  });

  it('keeps each sensitive key out of the daemon log file', async () => {
    const text = await logToFile(SENSITIVE.length, (logger) =>
      SENSITIVE.forEach((s, i) => logger.info(s.record(secretFor(i)), `logging ${s.what}`)),
    );
    assert.equal(text.split('\n').filter((l) => l !== '').length, SENSITIVE.length, text);
    assertNoSecretLeak(
      SENSITIVE.map((_, i) => secretFor(i)),
      text.split('\n'),
      'log file line',
    );
  });

  it('has no entry that redacts nothing (every listed path is covered above)', () => {
    const { logger, lines } = createMemoryLogger('test');
    for (const path of REDACT_PATHS) {
      // Build an object with a value at the path: a.b, *.a (one level down), a["b-c"].
      const parts = path.match(/[^.[\]"]+/g) ?? [];
      const value = `SECRET-for-${path}`;
      const record = parts.reduceRight<unknown>(
        (inner, part) => ({ [part === '*' ? 'any' : part]: inner }),
        value,
      ) as Record<string, unknown>;
      logger.info(record, 'x');
      assert.ok(!(lines.at(-1) ?? '').includes(value), `${path} does not redact: ${lines.at(-1)}`);
    }
  });
});
