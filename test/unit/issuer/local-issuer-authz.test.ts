/**
 * LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR and LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT in the local issuer, with a fake
 * ClassAd evaluator (the real classad_eval runs in the container tests) and a real group mapfile on disk.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseCredmonConfig, type LocalIssuerConfig } from '../../../src/config/credmon-config.js';
import { LocalIssuer, ScopeExpression, parseClassAdString, type ClassAdEvaluator } from '../../../src/issuer/index.js';
import { parseSigningKey } from '../../../src/issuer/signing-key.js';
import { ClassAdEvaluationFailed, ConfigInvalid, IssuerUndecided } from '../../../src/shared/errors.js';

const KEY = parseSigningKey(
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString(),
  'local',
  'test',
);

function config(knobs: Record<string, string>): LocalIssuerConfig {
  const all = { SEC_CREDENTIAL_DIRECTORY_OAUTH: '/creds', LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost', ...knobs };
  return parseCredmonConfig(lookupFrom(new Map(Object.entries(all)))).local;
}

/** A fake evaluator: `strcat("read:/x/", Username)` for everyone but users named `undef*`; counts its calls. */
function fakeEvaluator(): { evaluate: ClassAdEvaluator; calls: string[][] } {
  const calls: string[][] = [];
  const evaluate: ClassAdEvaluator = (_expression, users) => {
    calls.push([...users]);
    return new Map(users.map((u) => [u, u.startsWith('undef') ? undefined : `read:/x/${u}`]));
  };
  return { evaluate, calls };
}

function recordingLog(): { warn(fields: Record<string, unknown>, message: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (_fields, message) => lines.push(message) };
}

function scopeOf(jwt: string): string {
  return String(decodeJwt(jwt)['scope']);
}

describe('parseClassAdString', () => {
  it('reads classad_eval string literals: C escapes and UTF-8 bytes in octal', () => {
    assert.equal(parseClassAdString('"a\\\\b\\"q\\"\\n\\t\\303\\251alice"'), 'a\\b"q"\n\té' + 'alice');
    assert.equal(parseClassAdString('"Sread:/user/alice"'), 'Sread:/user/alice');
    assert.equal(parseClassAdString('""'), '');
  });

  it('is undefined for anything that is not a string literal', () => {
    for (const line of ['undefined', 'error', '42', '{ "a" }', '"unterminated', '"bad \\q escape"']) {
      assert.equal(parseClassAdString(line), undefined, line);
    }
  });
});

describe('ScopeExpression', () => {
  it('evaluates each user once, many users in one batch', () => {
    const { evaluate, calls } = fakeEvaluator();
    const expression = new ScopeExpression('strcat("read:/x/", Username)', evaluate);
    expression.prepare(['alice', 'bob', 'alice']);
    assert.equal(expression.scopeFor('alice'), 'read:/x/alice');
    assert.equal(expression.scopeFor('bob'), 'read:/x/bob');
    assert.equal(expression.scopeFor('carol'), 'read:/x/carol');
    assert.deepEqual(calls, [['alice', 'bob'], ['carol']]);
  });

  it('refuses values that are not one scope (spaces, control characters, empty)', () => {
    const values: Record<string, string> = { a: 'read:/a write:/a', b: 'read:/b\n', c: '' };
    const expression = new ScopeExpression('x', (_e, users) => new Map(users.map((u) => [u, values[u]])));
    for (const user of Object.keys(values)) assert.equal(expression.scopeFor(user), undefined, user);
  });

  it('after a failure, fails fast for a minute instead of starting a process per user, then tries again', () => {
    let now = 0;
    let calls = 0;
    let failing = true;
    const expression = new ScopeExpression(
      'x',
      (_e, users) => {
        calls++;
        if (failing) throw new ClassAdEvaluationFailed('classad_eval failed');
        return new Map(users.map((u) => [u, 'read:/ok']));
      },
      () => now,
    );
    for (const user of ['a', 'b', 'c']) assert.throws(() => expression.scopeFor(user), ClassAdEvaluationFailed);
    assert.equal(calls, 1);
    failing = false;
    now = 61_000;
    assert.equal(expression.scopeFor('a'), 'read:/ok');
    assert.equal(calls, 2);
  });

  it('check() turns an expression that cannot be evaluated into a configuration error naming the knob', () => {
    const expression = new ScopeExpression('strcat(', () => {
      throw new ClassAdEvaluationFailed("classad_eval failed: Unable to turn 'x' into a ClassAd or an expression.");
    });
    assert.throws(
      () => expression.check('LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigInvalid);
        assert.match(error.message, /LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR = strcat\(: classad_eval failed/);
        return true;
      },
    );
  });
});

describe('LocalIssuer with LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR', () => {
  it("adds the expression's value after the user template's scopes, as upstream does", () => {
    const { evaluate } = fakeEvaluator();
    const issuer = new LocalIssuer(
      config({ LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: 'strcat("read:/x/", Username)' }),
      KEY,
      recordingLog(),
      { evaluate },
    );
    assert.equal(scopeOf(issuer.issue('alice', 1_700_000_000).jwt), 'read:/user/alice write:/user/alice read:/x/alice');
  });

  it('a token signed before the expression was configured is no longer current (it is re-signed with the scope)', () => {
    const { evaluate } = fakeEvaluator();
    const before = new LocalIssuer(config({}), KEY, recordingLog());
    const after = new LocalIssuer(config({ LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: 'x' }), KEY, recordingLog(), {
      evaluate,
    });
    const old = before.issue('alice', Math.floor(Date.now() / 1000)).jwt;
    assert.ok(before.isCurrent(old, 'alice'));
    assert.ok(!after.isCurrent(old, 'alice'));
    assert.ok(after.isCurrent(after.issue('alice', Math.floor(Date.now() / 1000)).jwt, 'alice'));
  });

  it('issues without the scope, and says so once, when the expression gives no string for a user', () => {
    const { evaluate } = fakeEvaluator();
    const log = recordingLog();
    const issuer = new LocalIssuer(config({ LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: 'x' }), KEY, log, { evaluate });
    assert.equal(scopeOf(issuer.issue('undef1', 0).jwt), 'read:/user/undef1 write:/user/undef1');
    issuer.issue('undef1', 0);
    assert.equal(log.lines.filter((l) => l.includes('gives no scope for undef1')).length, 1, log.lines.join('\n'));
  });

  it('issues without the scope when classad_eval cannot run, and says so once', () => {
    const log = recordingLog();
    const issuer = new LocalIssuer(config({ LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR: 'x' }), KEY, log, {
      evaluate: () => {
        throw new ClassAdEvaluationFailed('classad_eval is not installed');
      },
    });
    issuer.prepare(['a', 'b']);
    assert.equal(scopeOf(issuer.issue('a', 0).jwt), 'read:/user/a write:/user/a');
    issuer.issue('b', 0);
    assert.equal(log.lines.filter((l) => l.includes('cannot be evaluated')).length, 1, log.lines.join('\n'));
  });
});

describe('LocalIssuer with LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT', () => {
  let dir: string;
  let mapfile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'issuer-groups-'));
    mapfile = join(dir, 'groups');
    await writeFile(mapfile, '* alice physics,chemistry\n* bob biology\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('needs the group mapfile: a configuration error names both knobs', () => {
    assert.throws(
      () => config({ LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT: 'physics' }),
      /LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT = physics needs LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE/,
    );
  });

  it('signs for members; a non-member gets the empty token upstream writes, and it stays current', () => {
    const log = recordingLog();
    const issuer = new LocalIssuer(
      config({ LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT: 'physics', LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE: mapfile }),
      KEY,
      log,
    );
    const alice = issuer.issue('alice', Math.floor(Date.now() / 1000));
    assert.equal(decodeJwt(alice.jwt).sub, 'alice');
    assert.ok(issuer.isCurrent(alice.jwt, 'alice'));
    assert.equal(issuer.issue('bob', 0).jwt, '');
    assert.ok(issuer.isCurrent('', 'bob'), 'an empty token is what a refused user should have');
    assert.ok(!issuer.isCurrent('', 'alice'), 'an empty token is not current for a member');
    issuer.issue('bob', 0);
    assert.equal(log.lines.filter((l) => /bob .*is denied as bob is not a member of group physics/.test(l)).length, 1);
  });

  it('a user who leaves the group is refused at the next check (the mapfile is re-read when it changes)', async () => {
    const file = join(dir, 'changing');
    await writeFile(file, '* carol physics\n');
    const issuer = new LocalIssuer(
      config({ LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT: 'physics', LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE: file }),
      KEY,
      recordingLog(),
    );
    const token = issuer.issue('carol', Math.floor(Date.now() / 1000)).jwt;
    assert.ok(issuer.isCurrent(token, 'carol'));
    await writeFile(file, '* carol biology\n# changed\n');
    assert.ok(!issuer.isCurrent(token, 'carol'));
    assert.equal(issuer.issue('carol', 0).jwt, '');
  });

  it('writes no token at all while the mapfile cannot be read (it cannot tell who may have one)', () => {
    const issuer = new LocalIssuer(
      config({
        LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT: 'physics',
        LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE: join(dir, 'missing'),
      }),
      KEY,
      recordingLog(),
    );
    assert.throws(() => issuer.issue('alice', 0), IssuerUndecided);
  });
});
