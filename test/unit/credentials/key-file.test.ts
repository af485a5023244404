import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeyFile } from '../../../src/credentials/key-file.js';
import { CredentialFileInvalid } from '../../../src/shared/errors.js';

const PATH = '/creds/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

// Two ads exactly as the credd's sPrintAdWithSecrets writes them (protocol doc §3.4): attributes sorted byte-wise,
// only `"` escaped, ads separated by one empty line.
const TWO_ADS =
  'Audience = "https://datastore.example.edu/"\n' +
  'AuthorizationUrl = "https://issuer.example.org/authorize"\n' +
  'ClientId = "myproxy:oa4mp,2012:/client_id/abc"\n' +
  'ClientSecret = "s3cr3t\\"with quote\\\\n"\n' +
  'Handle = "read"\n' +
  'LocalUser = "alice"\n' +
  'Provider = "mytokens"\n' +
  'ReturnUrl = "https://ap.example.org/return/mytokens"\n' +
  'Scopes = "read:/public write:/home/alice"\n' +
  'TokenUrl = "https://issuer.example.org/token"\n' +
  '\n' +
  'Audience = ""\n' +
  'AuthorizationUrl = "https://account.box.com/api/oauth2/authorize"\n' +
  'ClientId = "box-client"\n' +
  'ClientSecret = "box-secret"\n' +
  'Handle = ""\n' +
  'LocalUser = "alice"\n' +
  'Provider = "box"\n' +
  'ReturnUrl = "https://ap.example.org/return/box"\n' +
  'Scopes = ""\n' +
  'TokenUrl = "https://api.box.com/oauth2/token"\n';

function ad(overrides: Record<string, string | undefined>): string {
  const attrs: Record<string, string | undefined> = {
    Audience: '',
    AuthorizationUrl: 'https://issuer.example.org/authorize',
    ClientId: 'id',
    ClientSecret: 'secret',
    Handle: '',
    LocalUser: 'alice',
    Provider: 'mytokens',
    ReturnUrl: 'https://ap.example.org/return/mytokens',
    Scopes: '',
    TokenUrl: 'https://issuer.example.org/token',
    ...overrides,
  };
  return Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k} = "${v}"\n`)
    .join('');
}

function rejects(content: string, reason: RegExp): void {
  assert.throws(
    () => parseKeyFile(PATH, content),
    (error: unknown) => {
      assert.ok(error instanceof CredentialFileInvalid, String(error));
      assert.equal(error.path, PATH);
      assert.match(error.message, reason);
      return true;
    },
  );
}

describe('parseKeyFile', () => {
  it('parses the two-ad file of the protocol doc, unescaping \\" only', () => {
    assert.deepEqual(parseKeyFile(PATH, TWO_ADS), [
      {
        provider: 'mytokens',
        handle: 'read',
        scopes: 'read:/public write:/home/alice',
        audience: 'https://datastore.example.edu/',
        localUser: 'alice',
        clientId: 'myproxy:oa4mp,2012:/client_id/abc',
        clientSecret: 's3cr3t"with quote\\\\n',
        authorizationUrl: 'https://issuer.example.org/authorize',
        tokenUrl: 'https://issuer.example.org/token',
        returnUrl: 'https://ap.example.org/return/mytokens',
      },
      {
        provider: 'box',
        handle: '',
        scopes: '',
        audience: '',
        localUser: 'alice',
        clientId: 'box-client',
        clientSecret: 'box-secret',
        authorizationUrl: 'https://account.box.com/api/oauth2/authorize',
        tokenUrl: 'https://api.box.com/oauth2/token',
        returnUrl: 'https://ap.example.org/return/box',
      },
    ]);
  });

  it('looks attribute names up case-insensitively (ClassAd semantics)', () => {
    const lower = ad({})
      .replace(/^(\w+) =/gm, (_m, name: string) => `${name.toLowerCase()} =`)
      .replace('provider =', 'PROVIDER =');
    const [request] = parseKeyFile(PATH, lower);
    assert.equal(request?.provider, 'mytokens');
    assert.equal(request?.localUser, 'alice');
    assert.equal(request?.tokenUrl, 'https://issuer.example.org/token');
  });

  for (const name of [
    'Provider',
    'LocalUser',
    'ClientId',
    'ClientSecret',
    'AuthorizationUrl',
    'TokenUrl',
    'ReturnUrl',
  ]) {
    it(`rejects an ad without ${name}`, () => rejects(ad({ [name]: undefined }), new RegExp(`${name} is missing`)));
  }

  it('accepts an ad without the optional Handle, Scopes and Audience', () => {
    const [request] = parseKeyFile(PATH, ad({ Handle: undefined, Scopes: undefined, Audience: undefined }));
    assert.deepEqual([request?.handle, request?.scopes, request?.audience], ['', '', '']);
  });

  for (const [attr, value] of [
    ['Provider', '../x'],
    ['Provider', 'a/b'],
    ['Handle', '../x'],
    ['Handle', 'a/b'],
    ['LocalUser', '../x'],
    ['LocalUser', 'a/b'],
    ['LocalUser', '..'],
  ] as const) {
    it(`rejects ${attr} = "${value}" (it would escape the credential directory)`, () =>
      rejects(ad({ [attr]: value }), new RegExp(`${attr} .* is not a safe name`)));
  }

  it('rejects ads for two different local users', () => {
    rejects(`${ad({ LocalUser: 'alice' })}\n${ad({ LocalUser: 'bob', Provider: 'box' })}`, /more than one LocalUser/);
  });

  it('rejects the same provider and handle requested twice', () => {
    rejects(`${ad({})}\n${ad({})}`, /twice/);
  });

  it('rejects junk lines', () => {
    rejects(`${ad({})}this is not an attribute\n`, /line \d+.*: not Name = "value"/);
    rejects(ad({}).replace('ClientId = "id"', 'ClientId = id'), /line \d+.*: not Name = "value"/);
    rejects(ad({}).replace('ClientId = "id"', 'ClientId="id"'), /line \d+.*: not Name = "value"/);
  });

  it('rejects an empty file and a URL that is not http(s)', () => {
    rejects('', /no request/);
    rejects('\n\n', /no request/);
    rejects(ad({ TokenUrl: 'file:///etc/passwd' }), /TokenUrl is not an http\(s\) URL/);
    rejects(ad({ ReturnUrl: 'not a url' }), /ReturnUrl is not a URL/);
  });

  it('rejects an attribute given twice in one ad', () => {
    rejects(`${ad({})}provider = "other"\n`, /appears twice/);
  });
});
