import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenEndpointResolver, discoverTokenEndpoint, MAX_DISCOVERY_BYTES } from '../../../src/oauth/index.js';
import type { TokenEndpointResolverOptions } from '../../../src/oauth/index.js';
import { RefreshUnavailable } from '../../../src/shared/errors.js';

const ISSUER = 'https://idp.example/oidc';
const DISCOVERY_URL = `${ISSUER}/.well-known/openid-configuration`;
const TOKEN_URL = `${ISSUER}/token`;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A fetch answering each call from `answers` in turn (the last one repeats), recording the URLs asked for. */
function fakeFetch(...answers: Array<Response | (() => Response) | Error>) {
  const urls: string[] = [];
  const fetch = (input: string): Promise<Response> => {
    urls.push(input);
    const answer = answers[Math.min(urls.length, answers.length) - 1];
    if (answer instanceof Error) return Promise.reject(answer);
    if (answer === undefined) return Promise.reject(new Error('no answer'));
    return Promise.resolve(typeof answer === 'function' ? answer() : answer.clone());
  };
  return { urls, fetch: fetch as unknown as typeof globalThis.fetch };
}

/** A clock the test moves by hand. */
function clock(startMs = Date.UTC(2026, 0, 1)) {
  let nowMs = startMs;
  return { now: () => nowMs, advanceS: (s: number) => (nowMs += s * 1000) };
}

const doc = (extra: Record<string, unknown> = {}) => json(200, { issuer: ISSUER, token_endpoint: TOKEN_URL, ...extra });

type Extra = Partial<TokenEndpointResolverOptions>;
function resolver(fetch: typeof globalThis.fetch, now: () => number, extra: Extra = {}) {
  const base = { issuer: ISSUER, lifetimeS: 3600, timeoutMs: 1000 };
  return createTokenEndpointResolver({ ...base, fetch, now, random: () => 0, ...extra });
}

describe('createTokenEndpointResolver', () => {
  it('uses TOKEN_URL when set and never asks the issuer', async () => {
    const fake = fakeFetch(doc());
    const r = resolver(fake.fetch, Date.now, { tokenUrl: ' https://static.example/token ' });
    assert.deepEqual(await r.resolve(), { tokenUrl: 'https://static.example/token', source: 'configured' });
    assert.deepEqual(fake.urls, []);
  });

  it('discovers once, serves the cached endpoint within the lifetime (a hit), discovers again after it', async () => {
    const t = clock();
    const fake = fakeFetch(doc(), doc({ token_endpoint: `${ISSUER}/token2` }));
    const r = resolver(fake.fetch, t.now);
    assert.deepEqual(await r.resolve(), { tokenUrl: TOKEN_URL, source: 'discovered' });
    t.advanceS(3599);
    assert.deepEqual(await r.resolve(), { tokenUrl: TOKEN_URL, source: 'cached' });
    assert.deepEqual(fake.urls, [DISCOVERY_URL]);
    t.advanceS(1);
    assert.deepEqual(await r.resolve(), { tokenUrl: `${ISSUER}/token2`, source: 'discovered' });
    assert.deepEqual(fake.urls, [DISCOVERY_URL, DISCOVERY_URL]);
  });

  it('adds the jitter (0..60 s, drawn once) to the lifetime, as upstream does', async () => {
    const t = clock();
    const fake = fakeFetch(doc());
    const r = resolver(fake.fetch, t.now, { random: () => 0.999 });
    await r.resolve();
    t.advanceS(3600 + 59);
    assert.equal((await r.resolve()).source, 'cached');
    t.advanceS(1);
    assert.equal((await r.resolve()).source, 'discovered');
  });

  it('the first failure is an error naming the issuer; the next call tries again', async () => {
    const t = clock();
    const fake = fakeFetch(json(503, {}, { 'retry-after': '30' }), doc());
    const r = resolver(fake.fetch, t.now);
    await assert.rejects(r.resolve(), (e: unknown) => {
      assert.ok(e instanceof RefreshUnavailable);
      assert.equal(e.message, `OIDC discovery for issuer ${ISSUER} (${DISCOVERY_URL}) failed: HTTP 503`);
      assert.equal(e.status, 503);
      assert.equal(e.retryAfterS, 30);
      return true;
    });
    assert.deepEqual(await r.resolve(), { tokenUrl: TOKEN_URL, source: 'discovered' });
  });

  it('a failure after a success keeps the last good endpoint, says why, asks again after failureRetryS', async () => {
    const t = clock();
    const fake = fakeFetch(doc(), json(500, {}), doc({ token_endpoint: `${ISSUER}/token3` }));
    const r = resolver(fake.fetch, t.now, { failureRetryS: 120 });
    await r.resolve();
    t.advanceS(3600);
    const stale = await r.resolve();
    assert.equal(stale.tokenUrl, TOKEN_URL);
    assert.equal(stale.source, 'stale');
    assert.ok(stale.problem instanceof RefreshUnavailable);
    assert.match(stale.problem.message, /issuer https:\/\/idp\.example\/oidc .* failed: HTTP 500$/);
    t.advanceS(119);
    assert.equal((await r.resolve()).source, 'stale');
    assert.equal(fake.urls.length, 2);
    t.advanceS(1);
    assert.deepEqual(await r.resolve(), { tokenUrl: `${ISSUER}/token3`, source: 'discovered' });
  });

  it('a stale endpoint is kept through unreachable issuers and bad documents too', async () => {
    const t = clock();
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const fake = fakeFetch(doc(), refused, new Response('<html>', { status: 200 }), json(200, { issuer: ISSUER }));
    const r = resolver(fake.fetch, t.now, { failureRetryS: 0 });
    await r.resolve();
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.advanceS(3601);
      const got = await r.resolve();
      assert.equal(got.tokenUrl, TOKEN_URL);
      reasons.push(got.problem?.message ?? '');
    }
    assert.match(reasons[0] ?? '', /failed: unreachable: ECONNREFUSED$/);
    assert.match(reasons[1] ?? '', /failed: the answer is not JSON$/);
    assert.match(reasons[2] ?? '', /failed: the document has no token_endpoint$/);
  });

  it('concurrent calls share one discovery', async () => {
    const fake = fakeFetch(doc());
    const r = resolver(fake.fetch, clock().now);
    const all = await Promise.all([r.resolve(), r.resolve(), r.resolve()]);
    assert.deepEqual(
      all.map((x) => x.tokenUrl),
      [TOKEN_URL, TOKEN_URL, TOKEN_URL],
    );
    assert.equal(fake.urls.length, 1);
  });
});

describe('discoverTokenEndpoint', () => {
  const discover = (...answers: Parameters<typeof fakeFetch>) => {
    const fake = fakeFetch(...answers);
    return { fake, result: discoverTokenEndpoint(`${ISSUER}/`, { timeoutMs: 1000, fetch: fake.fetch }) };
  };

  it('reads <issuer>/.well-known/openid-configuration (a trailing / on the issuer aside)', async () => {
    const { fake, result } = discover(json(200, { issuer: `${ISSUER}/`, token_endpoint: TOKEN_URL }));
    assert.equal(await result, TOKEN_URL);
    assert.deepEqual(fake.urls, [DISCOVERY_URL]);
  });

  const failures: Array<{ what: string; answer: Response; message: RegExp }> = [
    { what: 'a 404', answer: json(404, {}), message: /failed: HTTP 404$/ },
    { what: 'a JSON array', answer: json(200, [TOKEN_URL]), message: /failed: the answer is not a JSON object$/ },
    {
      what: 'another issuer',
      answer: doc({ issuer: 'https://evil.example' }),
      message: /names issuer "https:\/\/evil\.example", not https:\/\/idp\.example\/oidc$/,
    },
    { what: 'no issuer', answer: json(200, { token_endpoint: TOKEN_URL }), message: /names issuer \(none\), not/ },
    {
      what: 'a non-http(s) token_endpoint',
      answer: doc({ token_endpoint: 'javascript:alert(1)' }),
      message: /token_endpoint "javascript:alert\(1\)" is not an http\(s\) URL$/,
    },
    { what: 'a numeric token_endpoint', answer: doc({ token_endpoint: 42 }), message: /token_endpoint "42" is not/ },
    {
      what: 'an oversized document',
      answer: doc({ padding: 'x'.repeat(MAX_DISCOVERY_BYTES) }),
      message: /failed: the answer is larger than 262144 bytes$/,
    },
  ];
  for (const { what, answer, message } of failures) {
    it(`refuses ${what} with a RefreshUnavailable naming the issuer`, async () => {
      await assert.rejects(discover(answer).result, (e: unknown) => {
        assert.ok(e instanceof RefreshUnavailable);
        assert.match(e.message, /^OIDC discovery for issuer https:\/\/idp\.example\/oidc \(/);
        assert.match(e.message, message);
        assert.doesNotMatch(e.message, /[\r\n]/);
        return true;
      });
    });
  }

  it('a timeout names the wait', async () => {
    const fetch = ((_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        // AbortSignal.timeout's timer does not keep the event loop alive: this one does, until the abort.
        const keepAlive = setTimeout(() => undefined, 10_000);
        init.signal?.addEventListener('abort', () => {
          clearTimeout(keepAlive);
          reject(init.signal?.reason as Error);
        });
      })) as unknown as typeof globalThis.fetch;
    const result = discoverTokenEndpoint(ISSUER, { timeoutMs: 30, fetch });
    await assert.rejects(result, /failed: unreachable: no answer within 30 ms$/);
  });
});
