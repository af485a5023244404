/**
 * LocalIssuer.isCurrent with a known digest: a token the credmon wrote or verified (its tokenDigest known) is not
 * verified again, and every other check still applies. "Not verified" is shown by a token that another key signed
 * under the current key's kid: trusted when its digest is known, re-issued otherwise.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseCredmonConfig, type LocalIssuerConfig } from '../../../src/config/credmon-config.js';
import { LocalIssuer, buildClaims, signToken, tokenDigest } from '../../../src/issuer/index.js';
import { parseSigningKey } from '../../../src/issuer/signing-key.js';

const NOW_S = 1_900_000_000;
const log = { warn: (): void => undefined };

function ecKey(kid: string) {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'sec1' })
    .toString();
  return parseSigningKey(pem, kid, 'test');
}

function config(knobs: Record<string, string> = {}): LocalIssuerConfig {
  const all = { SEC_CREDENTIAL_DIRECTORY_OAUTH: '/creds', LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost', ...knobs };
  return parseCredmonConfig(lookupFrom(new Map(Object.entries(all)))).local;
}

const KEY = ecKey('local');
/** Another key under the same kid: what a token "written by us" but signed elsewhere looks like. */
const IMPOSTOR = ecKey('local');

function forgedFor(user: string, cfg = config()): string {
  return signToken(IMPOSTOR, buildClaims(cfg, user, [], NOW_S));
}

describe('tokenDigest', () => {
  it('is SHA-256 in base64url cut to 22 characters, the same for the same token only', () => {
    const jwt = new LocalIssuer(config(), KEY, log).issue('alice', NOW_S).jwt;
    assert.match(tokenDigest(jwt), /^[A-Za-z0-9_-]{22}$/);
    assert.equal(tokenDigest(jwt), tokenDigest(`${jwt}`));
    const first = jwt.charAt(0) === 'e' ? 'f' : 'e';
    assert.notEqual(tokenDigest(jwt), tokenDigest(`${first}${jwt.slice(1)}`), 'one character changed');
    // Node 20.11 has no crypto.hash and takes a Hash object instead: the same digest either way.
    assert.equal(tokenDigest(jwt), createHash('sha256').update(jwt).digest('base64url').slice(0, 22));
  });
});

describe('LocalIssuer.isCurrent with a known digest', () => {
  it('trusts a token whose digest is known without verifying its signature; without the digest it fails', () => {
    const issuer = new LocalIssuer(config(), KEY, log);
    const forged = forgedFor('alice');
    assert.equal(issuer.isCurrent(forged, 'alice'), false, 'verified: another key signed it');
    assert.equal(issuer.isCurrent(forged, 'alice', tokenDigest(forged)), true, 'known: not verified again');
    const own = issuer.issue('alice', NOW_S).jwt;
    assert.equal(issuer.isCurrent(own, 'alice'), true);
    assert.equal(issuer.isCurrent(own, 'alice', tokenDigest(own)), true);
  });

  it('verifies a token whose digest is not the known one (the .use was replaced)', () => {
    const issuer = new LocalIssuer(config(), KEY, log);
    const own = issuer.issue('alice', NOW_S).jwt;
    assert.equal(issuer.isCurrent(forgedFor('alice'), 'alice', tokenDigest(own)), false);
    assert.equal(issuer.isCurrent(issuer.issue('alice', NOW_S + 1).jwt, 'alice', tokenDigest(own)), true);
  });

  it("after a key rotation, a known digest does not keep the old key's token", () => {
    const issuer = new LocalIssuer(config(), KEY, log);
    const old = issuer.issue('alice', NOW_S).jwt;
    issuer.useKey(ecKey('local-2'));
    assert.equal(issuer.isCurrent(old, 'alice', tokenDigest(old)), false);
  });

  it('a token of another algorithm under the current kid is not current, digest known or not', () => {
    const rsa = parseSigningKey(
      generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ format: 'pem', type: 'pkcs1' })
        .toString(),
      'local',
      'test',
    );
    const issuer = new LocalIssuer(config(), KEY, log);
    const jwt = signToken(rsa, buildClaims(config(), 'alice', [], NOW_S));
    assert.equal(issuer.isCurrent(jwt, 'alice', tokenDigest(jwt)), false);
  });

  it('a change of configuration (scope, issuer, audience) or of subject re-issues despite the digest', () => {
    const jwt = new LocalIssuer(config(), KEY, log).issue('alice', NOW_S).jwt;
    const digest = tokenDigest(jwt);
    for (const knobs of [
      { LOCAL_CREDMON_AUTHZ_TEMPLATE: 'read:/data/{username}' },
      { LOCAL_CREDMON_ISSUER: 'https://other.example' },
      { LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://storage.example' },
    ]) {
      assert.equal(
        new LocalIssuer(config(knobs), KEY, log).isCurrent(jwt, 'alice', digest),
        false,
        Object.keys(knobs)[0],
      );
    }
    assert.equal(new LocalIssuer(config(), KEY, log).isCurrent(jwt, 'bob', digest), false, 'another subject');
  });

  it('a malformed token whose digest matches is still not current', () => {
    const issuer = new LocalIssuer(config(), KEY, log);
    const jwt = issuer.issue('alice', NOW_S).jwt;
    const [header = '', claims = ''] = jwt.split('.');
    const notJson = Buffer.from('{"sub": "alice"').toString('base64url');
    const notObject = Buffer.from('["alice"]').toString('base64url');
    for (const bad of [
      '',
      'x',
      `${header}.${claims}`,
      `${header}.${claims}.`,
      `${header}.${notJson}.c2ln`,
      `${header}.${notObject}.c2ln`,
    ]) {
      assert.equal(issuer.isCurrent(bad, 'alice', tokenDigest(bad)), false, bad);
    }
  });

  describe('with a group mapfile', () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'digest-groups-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('a change of group re-issues despite the digest', async () => {
      const mapfile = join(dir, 'groups');
      await writeFile(mapfile, '* alice physics\n');
      const cfg = config({
        LOCAL_CREDMON_AUTHZ_GROUP_TEMPLATE: 'read:/groups/{groupname}',
        LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE: mapfile,
      });
      const issuer = new LocalIssuer(cfg, KEY, log);
      const jwt = issuer.issue('alice', NOW_S).jwt;
      assert.equal(issuer.isCurrent(jwt, 'alice', tokenDigest(jwt)), true);
      await writeFile(mapfile, '* alice physics,chemistry\n# a longer file: its size changed\n');
      assert.equal(issuer.isCurrent(jwt, 'alice', tokenDigest(jwt)), false);
    });
  });
});
