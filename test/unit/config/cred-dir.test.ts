import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { CRED_DIR_KNOBS, CRED_DIR_NOT_SET, parseCredDir } from '../../../src/config/cred-dir.js';
import { CREDMON_KNOBS } from '../../../src/config/knobs.js';
import { WEB_KNOBS, parseCredmonConfig, parseWebConfig } from '../../../src/config/index.js';
import { ConfigInvalid } from '../../../src/shared/errors.js';

const lookup = (knobs: Record<string, string>) => lookupFrom(new Map(Object.entries(knobs)));

function credDirOf(knobs: Record<string, string>): { credDir: string; problems: string[] } {
  const problems: string[] = [];
  return { credDir: parseCredDir(lookup(knobs), problems), problems };
}

describe('parseCredDir', () => {
  it('prefers SEC_CREDENTIAL_DIRECTORY_OAUTH, then SEC_CREDENTIAL_DIRECTORY, trimmed', () => {
    const both = { SEC_CREDENTIAL_DIRECTORY_OAUTH: ' /oauth ', SEC_CREDENTIAL_DIRECTORY: '/general' };
    assert.deepEqual(credDirOf(both), { credDir: '/oauth', problems: [] });
    assert.deepEqual(credDirOf({ SEC_CREDENTIAL_DIRECTORY: '/general' }), { credDir: '/general', problems: [] });
  });

  it('has no default: unset or blank is a problem that says how to set it', () => {
    const expected = { credDir: '', problems: [CRED_DIR_NOT_SET] };
    assert.deepEqual(credDirOf({}), expected);
    assert.deepEqual(credDirOf({ SEC_CREDENTIAL_DIRECTORY_OAUTH: ' ' }), expected);
    const howTo = 'add "use feature : OAUTH" to the HTCondor configuration';
    assert.equal(CRED_DIR_NOT_SET, `SEC_CREDENTIAL_DIRECTORY_OAUTH is not set (${howTo})`);
  });

  it('refuses a relative path, naming SEC_CREDENTIAL_DIRECTORY_OAUTH whichever knob held it', () => {
    assert.deepEqual(credDirOf({ SEC_CREDENTIAL_DIRECTORY: 'creds' }), {
      credDir: '',
      problems: ['SEC_CREDENTIAL_DIRECTORY_OAUTH = creds: expected an absolute path'],
    });
  });

  it('is the one owner of the knob: the credmon and the web app list and report it alike', () => {
    assert.deepEqual(CREDMON_KNOBS.slice(0, 2), [...CRED_DIR_KNOBS]);
    assert.deepEqual(WEB_KNOBS.slice(0, 2), [...CRED_DIR_KNOBS]);
    const knobs = lookup({ SEC_CREDENTIAL_DIRECTORY: 'creds', LOCAL_CREDMON_TOKEN_AUDIENCE: 'x' });
    const expected = credDirOf({ SEC_CREDENTIAL_DIRECTORY: 'creds' }).problems;
    for (const parse of [parseCredmonConfig, parseWebConfig]) {
      assert.throws(
        () => parse(knobs),
        (error: unknown) => error instanceof ConfigInvalid && error.problems.join('\n') === expected.join('\n'),
      );
    }
  });
});
