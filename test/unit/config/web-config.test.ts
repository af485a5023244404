import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupFrom, parseCredmonConfig, parseWebConfig } from '../../../src/config/index.js';
import { ConfigInvalid } from '../../../src/shared/errors.js';

const BASE = { SEC_CREDENTIAL_DIRECTORY_OAUTH: '/var/lib/condor/oauth_credentials' };

function parse(values: Record<string, string>) {
  return parseWebConfig(lookupFrom(new Map(Object.entries(values))));
}

function problemsOf(values: Record<string, string>): readonly string[] {
  try {
    parse(values);
  } catch (error) {
    assert.ok(error instanceof ConfigInvalid, `expected ConfigInvalid, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected parseWebConfig to throw ConfigInvalid');
}

describe('parseWebConfig', () => {
  it("uses HTCondor's and the sandbox's defaults, and freezes the result", () => {
    const config = parse(BASE);
    assert.deepEqual(
      { ...config },
      {
        credDir: '/var/lib/condor/oauth_credentials',
        issuer: 'https://localhost',
        basePath: '',
        publicKeyPath: '/etc/condor/scitokens.pem',
        keyId: 'local',
        privateKeyPath: '/etc/condor/scitokens-private.pem',
        keyRotation: { leadS: 900, intervalS: 0, marginS: 60 },
        tokenTimeoutS: 20,
        listen: { kind: 'socket', path: '/run/credmon-sandbox-web/web.sock' },
        debug: false,
        metricsAddress: undefined,
      },
    );
    assert.ok(Object.isFrozen(config));
  });

  it('reads every value it needs', () => {
    const config = parse({
      SEC_CREDENTIAL_DIRECTORY: '/creds',
      FULL_HOSTNAME: 'ap.example.org',
      LOCAL_CREDMON_PUBLIC_KEY: '/etc/keys/pub.pem',
      LOCAL_CREDMON_KEY_ID: 'k1',
      CREDMON_OAUTH_REFRESH_TIMEOUT: '7',
      WEB_LISTEN_HOST: '::1',
      WEB_LISTEN_PORT: '9090',
      WEB_DEBUG: '1',
    });
    assert.equal(config.credDir, '/creds');
    assert.equal(config.issuer, 'https://ap.example.org');
    assert.equal(config.publicKeyPath, '/etc/keys/pub.pem');
    assert.equal(config.keyId, 'k1');
    assert.equal(config.tokenTimeoutS, 7);
    assert.deepEqual(config.listen, { kind: 'tcp', host: '::1', port: 9090 });
    assert.equal(config.debug, true);
    assert.equal(parse({ ...BASE, LOCAL_CREDMON_ISSUER: 'https://localhost:8443/' }).issuer, 'https://localhost:8443');
  });

  it('keeps the login pages up when a knob only the local issuer uses is wrong', () => {
    const knobs = {
      ...BASE,
      LOCAL_CREDMON_TOKEN_VERSION: 'scitoken:2.0',
      LOCAL_CREDMON_TOKEN_LIFETIME: 'soon',
      LOCAL_CREDMON_AUTHZ_TEMPLATE: '{nope}',
    };
    assert.throws(
      () => parseCredmonConfig(lookupFrom(new Map(Object.entries(knobs)))),
      ConfigInvalid,
      'the credmon refuses it',
    );
    assert.equal(parse(knobs).credDir, '/var/lib/condor/oauth_credentials');
  });

  it('reports every problem at once, naming each knob (WEB_LISTEN_PORT=x is no longer NaN)', () => {
    const problems = problemsOf({
      WEB_LISTEN_PORT: 'x',
      WEB_LISTEN_HOST: 'bad host!',
      WEB_DEBUG: 'maybe',
      LOCAL_CREDMON_ISSUER: 'ftp://x',
      LOCAL_CREDMON_PUBLIC_KEY: 'relative.pem',
      CREDMON_OAUTH_REFRESH_TIMEOUT: '-1',
    });
    for (const knob of [
      'SEC_CREDENTIAL_DIRECTORY_OAUTH',
      'WEB_LISTEN_PORT = x',
      'WEB_LISTEN_HOST = bad host!',
      'WEB_DEBUG = maybe',
      'LOCAL_CREDMON_ISSUER = ftp://x',
      'LOCAL_CREDMON_PUBLIC_KEY = relative.pem',
      'CREDMON_OAUTH_REFRESH_TIMEOUT = -1',
    ]) {
      assert.ok(
        problems.some((p) => p.startsWith(knob)),
        `${knob} is reported: ${problems.join(' | ')}`,
      );
    }
    assert.equal(problems.length, 7);
  });

  it("takes the login pages' path from CREDMON_WEB_PREFIX, as HTCondor 24+'s web app does", () => {
    const basePath = (prefix: string): string => parse({ ...BASE, CREDMON_WEB_PREFIX: prefix }).basePath;
    assert.equal(basePath('https://ap.example.org:8443'), '');
    assert.equal(basePath('https://ap.example.org/'), '');
    assert.equal(basePath('https://ap.example.org/credmon'), '/credmon');
    assert.equal(basePath('https://ap.example.org/tokens/credmon/'), '/tokens/credmon');
    assert.match(
      problemsOf({ ...BASE, CREDMON_WEB_PREFIX: 'https://ap.example.org/a%22b' }).join(),
      /CREDMON_WEB_PREFIX = .*path/,
    );
    assert.match(
      problemsOf({ ...BASE, CREDMON_WEB_PREFIX: 'credmon' }).join(),
      /CREDMON_WEB_PREFIX = credmon: not a URL/,
    );
  });

  it('listens on a Unix socket unless WEB_LISTEN_HOST or WEB_LISTEN_PORT asks for TCP, and never on both', () => {
    const listen = (env: Record<string, string>) => parse({ ...BASE, ...env }).listen;
    assert.deepEqual(listen({ WEB_LISTEN_SOCKET: '/run/web/app.sock' }), { kind: 'socket', path: '/run/web/app.sock' });
    assert.deepEqual(listen({ WEB_LISTEN_SOCKET: ' ', WEB_LISTEN_HOST: '' }), {
      kind: 'socket',
      path: '/run/credmon-sandbox-web/web.sock',
    });
    assert.deepEqual(listen({ WEB_LISTEN_PORT: '8081' }), { kind: 'tcp', host: '127.0.0.1', port: 8081 });
    assert.deepEqual(listen({ WEB_LISTEN_HOST: '127.0.0.1' }), { kind: 'tcp', host: '127.0.0.1', port: 8080 });
    assert.deepEqual(listen({ WEB_LISTEN_SOCKET: '', WEB_LISTEN_PORT: '8081' }), {
      kind: 'tcp',
      host: '127.0.0.1',
      port: 8081,
    });
    const problems = problemsOf({
      ...BASE,
      WEB_LISTEN_SOCKET: '/run/web.sock',
      WEB_LISTEN_PORT: '8081',
      WEB_DEBUG: 'maybe',
    });
    assert.deepEqual(problems, [
      'WEB_LISTEN_SOCKET = /run/web.sock and WEB_LISTEN_PORT are both set: the web app listens on a Unix socket or on TCP; unset one',
      'WEB_DEBUG = maybe: expected true or false',
    ]);
    assert.match(
      problemsOf({ ...BASE, WEB_LISTEN_SOCKET: 'web.sock' }).join(),
      /^WEB_LISTEN_SOCKET = web\.sock: expected an absolute path$/,
    );
    const long = `/run/${'x'.repeat(103)}`;
    assert.deepEqual(problemsOf({ ...BASE, WEB_LISTEN_SOCKET: long }), [
      `WEB_LISTEN_SOCKET = ${long}: longer than 107 bytes, the limit of a Unix socket's path`,
    ]);
    assert.equal(
      parse({ ...BASE, WEB_LISTEN_SOCKET: `/run/${'x'.repeat(102)}` }).listen.kind,
      'socket',
      '107 bytes fit',
    );
  });

  for (const port of ['0', '65536', '80.5', ' 8o8o', '-1', '1e3']) {
    it(`refuses WEB_LISTEN_PORT=${JSON.stringify(port)}`, () => {
      assert.match(problemsOf({ ...BASE, WEB_LISTEN_PORT: port }).join(), /WEB_LISTEN_PORT .*1 to 65535/);
    });
  }
});
