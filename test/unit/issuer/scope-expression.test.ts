/**
 * classadEvalEvaluator's child environment: only CONDOR_CONFIG=ONLY_ENV and the PATH its caller gives (else this
 * process's PATH), with a fake classad_eval (a shell script in a temp dir) that prints what it was started with.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { classadEvalEvaluator } from '../../../src/issuer/scope-expression.js';
import { ClassAdEvaluationFailed } from '../../../src/shared/errors.js';

/** For each `Username = ..., expr` pair, one string literal "S<CONDOR_CONFIG>|<PATH>|<HOME or unset>". */
const FAKE_CLASSAD_EVAL = `#!/bin/sh
shift
while [ "$#" -gt 1 ]; do
  printf '"S%s|%s|%s"\\n' "$CONDOR_CONFIG" "$PATH" "\${HOME-unset}"
  shift 2
done
`;

describe('classadEvalEvaluator', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scope-expression-'));
    await writeFile(join(dir, 'classad_eval'), FAKE_CLASSAD_EVAL);
    await chmod(join(dir, 'classad_eval'), 0o755);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds classad_eval on the PATH it is given, and passes the child only that PATH and CONDOR_CONFIG', () => {
    const evaluate = classadEvalEvaluator('classad_eval', 5_000, dir);
    const values = evaluate('Username', ['alice', 'bob']);
    assert.deepEqual(
      [...values],
      [
        ['alice', `ONLY_ENV|${dir}|unset`],
        ['bob', `ONLY_ENV|${dir}|unset`],
      ],
    );
  });

  it('says classad_eval is not installed when the PATH it is given has none', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'scope-expression-empty-'));
    try {
      const evaluate = classadEvalEvaluator('classad_eval', 5_000, empty);
      const notInstalled = "classad_eval (HTCondor's ClassAd evaluator) is not installed";
      assert.throws(
        () => evaluate('Username', ['alice']),
        (error: unknown) => {
          assert.ok(error instanceof ClassAdEvaluationFailed);
          assert.equal(error.message, notInstalled);
          return true;
        },
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("without a PATH from its caller, never uses this process's PATH (only src/bin reads the environment)", () => {
    const saved = process.env['PATH'];
    const evaluate = classadEvalEvaluator('classad_eval', 5_000);
    try {
      process.env['PATH'] = `${dir}:${saved ?? ''}`;
      let value: string | undefined;
      try {
        value = evaluate('Username', ['alice']).get('alice');
      } catch (error) {
        assert.ok(error instanceof ClassAdEvaluationFailed, String(error));
      }
      assert.notEqual(value, `ONLY_ENV|${dir}:${saved ?? ''}|unset`, 'the fake classad_eval on this PATH was not run');
    } finally {
      if (saved === undefined) delete process.env['PATH'];
      else process.env['PATH'] = saved;
    }
  });
});
