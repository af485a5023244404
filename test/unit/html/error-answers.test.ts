/**
 * The one code-to-answer table (src/html/error-answers.ts) is total over the error codes: checked by tsc (the type
 * assertions below are compiled by `npx tsc -p tsconfig.json`), and at run time for the statuses the apps rely on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANSWER_BY_CODE, isErrorCode, toErrorPage, type CodeAnswer } from '../../../src/html/index.js';
import * as errors from '../../../src/shared/errors.js';
import type { CredmonSandboxError, ErrorCode } from '../../../src/shared/errors.js';

type Module = typeof errors;
/** The instance type of every error class exported by src/shared/errors.ts (the abstract base left out). */
type ErrorClassInstance = {
  [K in keyof Module]: Module[K] extends abstract new (...args: never[]) => infer I
    ? I extends CredmonSandboxError
      ? string extends I['code']
        ? never
        : I
      : never
    : never;
}[keyof Module];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// tsc: ErrorCode is exactly the codes of the exported classes (none left out of the union, none invented)...
const unionIsEveryClass: Same<ErrorClassInstance['code'], ErrorCode> = true;
// ...and the table's keys are exactly ErrorCode (satisfies in the source rejects a missing or mistyped one).
const tableIsTotal: Same<keyof typeof ANSWER_BY_CODE, ErrorCode> = true;
// @ts-expect-error a table that forgets a code does not compile
const forgetful: Record<ErrorCode, CodeAnswer> = { ERR_DISK_FULL: { status: 507, say: 'message' } };
// @ts-expect-error nor does one with a mistyped code
const mistyped: Record<ErrorCode, CodeAnswer> = { ...ANSWER_BY_CODE, ERR_DISK_FUL: { status: 507, say: 'message' } };

const EVERY_CODE = [
  'ERR_CONFIG_INVALID',
  'ERR_CREDENTIAL_FILE_INVALID',
  'ERR_CREDENTIAL_NAME_INVALID',
  'ERR_CREDENTIAL_DIRECTORY_UNUSABLE',
  'ERR_DISK_FULL',
  'ERR_SIGNING_KEY_INVALID',
  'ERR_KEY_SET_FILE_INVALID',
  'ERR_ROTATION_REFUSED',
  'ERR_CLASSAD_EVALUATION_FAILED',
  'ERR_ISSUER_UNDECIDED',
  'ERR_REFRESH_REJECTED',
  'ERR_REFRESH_UNAVAILABLE',
  'ERR_OAUTH_STATE_MISMATCH',
  'ERR_KEY_FILE_NOT_FOUND',
  'ERR_AUTHORIZATION_DENIED',
] as const satisfies readonly ErrorCode[];
// tsc: the list above names every code (so the run-time check below covers them all).
const listIsEveryCode: Same<(typeof EVERY_CODE)[number], ErrorCode> = true;

describe('the one code-to-answer table', () => {
  it('is total over the error codes (type-level checks above) and has nothing else', () => {
    assert.deepEqual([unionIsEveryClass, tableIsTotal, listIsEveryCode], [true, true, true]);
    assert.ok(forgetful && mistyped);
    assert.deepEqual(Object.keys(ANSWER_BY_CODE).sort(), [...EVERY_CODE].sort());
    for (const code of EVERY_CODE) assert.ok(isErrorCode(code), code);
    assert.equal(isErrorCode('ERR_FORM_BODY_REJECTED'), false, 'an app-local code is answered by its statusCode');
  });

  it('keeps the statuses the apps answered with, and gives a full disk 507 Insufficient Storage', () => {
    const statuses = Object.fromEntries(EVERY_CODE.map((code) => [code, ANSWER_BY_CODE[code].status]));
    assert.deepEqual(statuses, {
      ERR_KEY_FILE_NOT_FOUND: 404,
      ERR_OAUTH_STATE_MISMATCH: 400,
      ERR_CREDENTIAL_FILE_INVALID: 422,
      ERR_CREDENTIAL_NAME_INVALID: 400,
      ERR_AUTHORIZATION_DENIED: 403,
      ERR_REFRESH_REJECTED: 502,
      ERR_REFRESH_UNAVAILABLE: 502,
      ERR_SIGNING_KEY_INVALID: 503,
      ERR_KEY_SET_FILE_INVALID: 503,
      ERR_ROTATION_REFUSED: 409,
      ERR_CREDENTIAL_DIRECTORY_UNUSABLE: 503,
      ERR_DISK_FULL: 507,
      ERR_CONFIG_INVALID: 500,
      ERR_CLASSAD_EVALUATION_FAILED: 500,
      ERR_ISSUER_UNDECIDED: 500,
    });
  });

  it('says a full disk in plain words, without the path', () => {
    const page = toErrorPage(new errors.DiskFull('/var/lib/condor/oauth_credentials/alice/scitokens.use'));
    assert.equal(page.status, 507);
    assert.equal(page.title, 'No space left on the server');
    assert.match(page.message, /disk of the server is full/);
    assert.match(page.message, /old files are kept/);
    assert.doesNotMatch(page.message, /oauth_credentials/);
  });

  it('shows the message below 500 and for 502/503, and hides it for other 5xx and for anything unknown', () => {
    assert.equal(toErrorPage(new errors.KeyFileNotFound('no such link')).message, 'no such link');
    assert.equal(toErrorPage(new errors.RefreshUnavailable('unreachable', {})).message, 'unreachable');
    assert.equal(toErrorPage(new errors.CredentialDirectoryUnusable('a symlink')).message, 'a symlink');
    for (const error of [new errors.ConfigInvalid(['SECRET_KNOB']), new Error('/secret/path'), 'a string']) {
      const page = toErrorPage(error);
      assert.equal(page.status, 500);
      assert.doesNotMatch(page.message, /SECRET_KNOB|secret\/path|a string/);
    }
  });
});
