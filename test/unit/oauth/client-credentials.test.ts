import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildClientCredentialsScope, quoteLikePython } from '../../../src/oauth/index.js';
import { requestClientCredentialsToken } from '../../../src/oauth/index.js';
import type { ClientCredentialsRequest } from '../../../src/oauth/index.js';
import { RefreshRejected, RefreshUnavailable } from '../../../src/shared/errors.js';
import { assertNoSecretLeak } from '../../helpers/secret-scan.js';

const TOKEN_URL = 'https://idp.example/oidc/token';
/** A secret with every character that an encoding changes: space + / = & % and non-ASCII. */
const SECRET = 'cs SECRET+/=&%é-0123';
const CLIENT = { clientId: 'robot id:1', clientSecret: SECRET };
const formEncode = (s: string): string => new URLSearchParams([['x', s]]).toString().slice(2);

interface Captured {
  readonly url: string;
  readonly method: string | undefined;
  readonly headers: Record<string, string>;
  readonly form: URLSearchParams;
}

/** A fetch that records each request and answers with `answer` (a Response, or a function of the call number). */
function fakeFetch(answer: Response | ((call: number, init: RequestInit) => Response | Promise<Response>)) {
  const calls: Captured[] = [];
  const fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const form = new URLSearchParams(String(init.body as URLSearchParams));
    calls.push({ url: input, method: init.method, headers, form });
    return typeof answer === 'function' ? answer(calls.length, init) : answer;
  };
  return { calls, fetch: fetch as unknown as typeof globalThis.fetch };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

const SCOPE = 'read:/user/alice condor.user:alice';
const OK = { access_token: 'at-robot', token_type: 'Bearer', expires_in: 1200, scope: SCOPE };
/** The request options for a fake fetch. */
const via = (fake: { fetch: typeof globalThis.fetch }) => ({ timeoutMs: 1000, fetch: fake.fetch });

function request(overrides: Partial<ClientCredentialsRequest> = {}): ClientCredentialsRequest {
  return {
    tokenUrl: TOKEN_URL,
    client: CLIENT,
    clientAuth: 'client_secret_basic',
    scope: 'read:/user/alice condor.user:alice',
    audience: [],
    ...overrides,
  };
}

/** Asserts the rejection is `type` and that its message holds the secret in no encoding, on one line. */
function failsWith<T extends Error>(type: new (...args: never[]) => T, check: (error: T) => void = () => undefined) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assertNoSecretLeak([SECRET], [error.message, String(error.stack)], 'error message');
    assert.doesNotMatch(error.message, /[\r\n]/);
    check(error);
    return true;
  };
}

describe('buildClientCredentialsScope', () => {
  it('joins the template scopes with spaces and ends with condor.user:<user>, as upstream means it', () => {
    const scopes = ['read:/user/alice write:/user/alice'];
    const scope = buildClientCredentialsScope({ scopes, profile: 'scitoken:2.0', user: 'alice' });
    assert.equal(scope, 'read:/user/alice write:/user/alice condor.user:alice');
  });

  it('adds wlcg before condor.user for the WLCG profile (wlcg and wlcg:1.0), not for others', () => {
    for (const profile of ['wlcg', 'wlcg:1.0', ' wlcg:1.0 ']) {
      const scope = buildClientCredentialsScope({ scopes: ['storage.read:/user/bob'], profile, user: 'bob' });
      assert.equal(scope, 'storage.read:/user/bob wlcg condor.user:bob');
    }
    for (const profile of ['', 'scitoken:2.0', 'scitokens:1.0', 'wlcg:2.0']) {
      assert.equal(buildClientCredentialsScope({ scopes: ['s'], profile, user: 'bob' }), 's condor.user:bob');
    }
  });

  it('quotes the user as urllib.parse.quote does, drops empty words and duplicates', () => {
    const scope = buildClientCredentialsScope({ scopes: ['  a  b ', 'a', ''], profile: '', user: "o'neil jr/é*" });
    assert.equal(scope, 'a b condor.user:o%27neil%20jr/%C3%A9%2A');
    assert.throws(() => buildClientCredentialsScope({ scopes: [], profile: '', user: '' }), RangeError);
  });

  it('quoteLikePython keeps A-Za-z0-9_.-~/ and percent-encodes the rest from UTF-8, upper-case hex', () => {
    assert.equal(quoteLikePython('Az09_.-~/'), 'Az09_.-~/');
    assert.equal(quoteLikePython("!'()*@:+ =&%"), '%21%27%28%29%2A%40%3A%2B%20%3D%26%25');
    assert.equal(quoteLikePython('ü😀'), '%C3%BC%F0%9F%98%80');
  });
});

describe('requestClientCredentialsToken: the request', () => {
  it('client_secret_basic: grant_type and scope in the form, form-encoded id and secret in HTTP Basic', async () => {
    const fake = fakeFetch(json(200, OK));
    await requestClientCredentialsToken(request(), via(fake));
    assert.equal(fake.calls.length, 1);
    const [call] = fake.calls;
    assert.equal(call?.url, TOKEN_URL);
    assert.equal(call?.method, 'POST');
    assert.equal(call?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(call?.headers['accept'], 'application/json');
    const basic = Buffer.from(`${formEncode(CLIENT.clientId)}:${formEncode(SECRET)}`).toString('base64');
    assert.equal(call?.headers['authorization'], `Basic ${basic}`);
    assert.deepEqual(
      [...(call?.form ?? [])],
      [
        ['grant_type', 'client_credentials'],
        ['scope', 'read:/user/alice condor.user:alice'],
      ],
    );
  });

  it('client_secret_post: client_id and client_secret in the form, no Authorization header', async () => {
    const fake = fakeFetch(json(200, OK));
    await requestClientCredentialsToken(request({ clientAuth: 'client_secret_post' }), via(fake));
    const [call] = fake.calls;
    assert.equal(call?.headers['authorization'], undefined);
    assert.deepEqual(Object.fromEntries(call?.form ?? []), {
      grant_type: 'client_credentials',
      scope: 'read:/user/alice condor.user:alice',
      client_id: CLIENT.clientId,
      client_secret: SECRET,
    });
  });

  it('sends the audiences space-joined as `audience` by default, as `resource` or both when asked', async () => {
    const audience = ['https://storage.example', 'https://other.example'];
    const joined = audience.join(' ');
    const cases = [
      [undefined, { audience: joined }],
      ['audience', { audience: joined }],
      ['resource', { resource: joined }],
      ['both', { audience: joined, resource: joined }],
    ] as const;
    for (const [audienceParameter, expected] of cases) {
      const fake = fakeFetch(json(200, OK));
      const r = audienceParameter === undefined ? request({ audience }) : request({ audience, audienceParameter });
      await requestClientCredentialsToken(r, via(fake));
      const form = Object.fromEntries(fake.calls[0]?.form ?? []);
      assert.deepEqual(form, { grant_type: 'client_credentials', scope: SCOPE, ...expected });
    }
  });

  it('sends no scope field for an empty scope and no audience field for no (or empty) audiences', async () => {
    const fake = fakeFetch(json(200, OK));
    await requestClientCredentialsToken(request({ scope: '  ', audience: [''] }), via(fake));
    assert.deepEqual([...(fake.calls[0]?.form ?? [])], [['grant_type', 'client_credentials']]);
  });

  it('refuses an empty client id or secret before sending anything', async () => {
    const fake = fakeFetch(json(200, OK));
    for (const client of [
      { clientId: '', clientSecret: SECRET },
      { clientId: 'robot', clientSecret: '' },
    ]) {
      await assert.rejects(requestClientCredentialsToken(request({ client }), via(fake)), RangeError);
    }
    assert.equal(fake.calls.length, 0);
  });
});

describe('requestClientCredentialsToken: the answer', () => {
  it('returns access_token, expires_in, token_type and the granted scope', async () => {
    const fake = fakeFetch(json(200, OK));
    const token = await requestClientCredentialsToken(request(), via(fake));
    const expected = { raw: OK, accessToken: 'at-robot', expiresInS: 1200, tokenType: 'Bearer', grantedScope: SCOPE };
    assert.deepEqual(token, expected);
  });

  it('accepts no expires_in (the caller assumes TOKEN_LIFETIME), no token_type, and bearer in any case', async () => {
    const bare = await requestClientCredentialsToken(request(), via(fakeFetch(json(200, { access_token: 'at' }))));
    assert.equal(bare.expiresInS, undefined);
    assert.equal(bare.tokenType, undefined);
    assert.equal(bare.grantedScope, undefined);
    const lower = await requestClientCredentialsToken(request(), {
      timeoutMs: 1000,
      fetch: fakeFetch(json(200, { access_token: 'at', token_type: 'bearer', expires_in: '60' })).fetch,
    });
    assert.equal(lower.tokenType, 'bearer');
    assert.equal(lower.expiresInS, 60);
  });

  it('400 invalid_client is RefreshRejected, quoting the provider but never the echoed secret', async () => {
    const base64 = Buffer.from(SECRET).toString('base64');
    const description = `bad secret ${SECRET} / ${encodeURIComponent(SECRET)} / ${base64}`;
    const fake = fakeFetch(json(400, { error: 'invalid_client', error_description: description }));
    await assert.rejects(
      requestClientCredentialsToken(request(), via(fake)),
      failsWith(RefreshRejected, (e) => {
        assert.equal(e.oauthError, 'invalid_client');
        assert.equal(e.status, 400);
        assert.match(e.message, /idp\.example\/oidc\/token refused the request: HTTP 400 invalid_client: bad secret/);
      }),
    );
  });

  it('401 is RefreshRejected after exactly one request, for either method (no fallback to the other)', async () => {
    for (const clientAuth of ['client_secret_basic', 'client_secret_post'] as const) {
      const fake = fakeFetch(json(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic' }));
      await assert.rejects(
        requestClientCredentialsToken(request({ clientAuth }), via(fake)),
        failsWith(RefreshRejected, (e) => assert.equal(e.status, 401)),
      );
      assert.equal(fake.calls.length, 1, clientAuth);
    }
  });

  it('5xx and 429 are RefreshUnavailable with the provider Retry-After', async () => {
    for (const status of [500, 502, 503, 429]) {
      const fake = fakeFetch(new Response('busy', { status, headers: { 'retry-after': '120' } }));
      await assert.rejects(
        requestClientCredentialsToken(request(), via(fake)),
        failsWith(RefreshUnavailable, (e) => {
          assert.equal(e.status, status);
          assert.equal(e.retryAfterS, 120);
        }),
      );
    }
  });

  it('a timeout is RefreshUnavailable naming the endpoint and the wait', async () => {
    const fake = fakeFetch(
      (_call, init) =>
        new Promise<Response>((_resolve, reject) => {
          // AbortSignal.timeout's timer does not keep the event loop alive: this one does, until the abort.
          const keepAlive = setTimeout(() => undefined, 10_000);
          init.signal?.addEventListener('abort', () => {
            clearTimeout(keepAlive);
            reject(init.signal?.reason as Error);
          });
        }),
    );
    await assert.rejects(
      requestClientCredentialsToken(request(), { timeoutMs: 30, fetch: fake.fetch }),
      failsWith(RefreshUnavailable, (e) => assert.match(e.message, /oidc\/token unreachable: no answer within 30 ms/)),
    );
  });

  it('a body that is not JSON, or JSON without access_token, is RefreshUnavailable', async () => {
    const answers = [
      [new Response('<html>oops</html>', { headers: { 'content-type': 'text/html' } }), /neither JSON nor a form/],
      [json(200, { token_type: 'Bearer', expires_in: 60 }), /without an access_token/],
      [json(200, { access_token: '' }), /without an access_token/],
    ] as const;
    for (const [answer, message] of answers) {
      await assert.rejects(
        requestClientCredentialsToken(request(), { timeoutMs: 1000, fetch: fakeFetch(answer).fetch }),
        failsWith(RefreshUnavailable, (e) => assert.match(e.message, message)),
      );
    }
  });

  it('a token_type other than Bearer is RefreshUnavailable, quoted short and scrubbed', async () => {
    for (const tokenType of ['DPoP', 42, `N_A ${SECRET}`]) {
      const fake = fakeFetch(json(200, { access_token: 'at', token_type: tokenType }));
      await assert.rejects(
        requestClientCredentialsToken(request(), via(fake)),
        failsWith(RefreshUnavailable, (e) => assert.match(e.message, /answered token_type .*, not Bearer$/)),
      );
    }
  });
});
