import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom, parseConfigDump } from '../../../src/config/condor-config.js';
import { parseCredmonConfig } from '../../../src/config/credmon-config.js';

// What `condor_config_val -subsystem CREDMON_OAUTH -dump -expanded '<pattern>'` prints on HTCondor 23.9.
const DUMP = `# Configuration from machine: ap.example.org
# Contributing configuration file(s):
#	/etc/condor/condor_config
#	/etc/condor/config.d/00-minicondor
#	/etc/condor/config.d/50-credmon.conf

# Parameters with names that match ^(SEC_CREDENTIAL_DIRECTORY_OAUTH|LOCAL_CREDMON_TOKEN_AUDIENCE|LOCAL_CREDMON_TOKEN_VERSION|LOCAL_CREDMON_AUTHZ_TEMPLATE|LOG|local_credmon_key_id)$:
LOCAL_CREDMON_AUTHZ_TEMPLATE = read:/user/{username} write:/user/{username} compute.create
LOCAL_CREDMON_TOKEN_AUDIENCE = https://localhost https://ap.example.org
LOCAL_CREDMON_TOKEN_VERSION = 
LOG = /var/log/condor
local_credmon_key_id = key-2024
SEC_CREDENTIAL_DIRECTORY_OAUTH = /var/lib/condor/oauth_credentials
`;

describe('parseConfigDump', () => {
  it('reads NAME = value lines and skips comments and blank lines', () => {
    const values = parseConfigDump(DUMP);
    assert.deepEqual(
      [...values.entries()].sort(([a], [b]) => a.localeCompare(b)),
      [
        ['LOCAL_CREDMON_AUTHZ_TEMPLATE', 'read:/user/{username} write:/user/{username} compute.create'],
        ['LOCAL_CREDMON_KEY_ID', 'key-2024'],
        ['LOCAL_CREDMON_TOKEN_AUDIENCE', 'https://localhost https://ap.example.org'],
        ['LOCAL_CREDMON_TOKEN_VERSION', ''],
        ['LOG', '/var/log/condor'],
        ['SEC_CREDENTIAL_DIRECTORY_OAUTH', '/var/lib/condor/oauth_credentials'],
      ],
    );
  });

  it('keeps an empty value (`NAME = ` or `NAME =`) distinct from an unset knob', () => {
    const values = parseConfigDump('A = \nB =\nC = x\n');
    assert.equal(values.get('A'), '');
    assert.equal(values.get('B'), '');
    assert.equal(values.get('C'), 'x');
    assert.equal(values.has('D'), false);
  });

  it('splits at the first " = " so values may contain " = "', () => {
    assert.equal(parseConfigDump('X = a = b\n').get('X'), 'a = b');
  });

  it('gives a case-insensitive lookup that parseCredmonConfig understands', () => {
    const lookup = lookupFrom(parseConfigDump(DUMP));
    assert.equal(lookup('log'), '/var/log/condor');
    const config = parseCredmonConfig(lookup);
    assert.equal(config.credDir, '/var/lib/condor/oauth_credentials');
    assert.equal(config.local.keyId, 'key-2024');
    assert.equal(config.local.tokenVersion, undefined, 'the empty LOCAL_CREDMON_TOKEN_VERSION means no ver claim');
    assert.deepEqual(config.local.audience, ['https://localhost', 'https://ap.example.org']);
    assert.equal(config.logFile, '/var/log/condor/CredmonOauthLog');
  });
});
