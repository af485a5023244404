import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildAuthorizationUrl, createPkcePair, type AuthorizationRequest } from '../../../src/oauth/index.js';

const BASE: AuthorizationRequest = {
  authorizationUrl: 'https://provider.example/authorize',
  clientId: 'client:id/with spaces',
  redirectUri: 'https://localhost:8443/return/scitokens',
  scopes: 'read:/public, write:/public',
  audience: 'https://storage.example/data',
  state: 'state-123',
  codeChallenge: 'c'.repeat(43),
};

describe('buildAuthorizationUrl', () => {
  it('builds an authorization-code request with PKCE S256 and resource', () => {
    const url = new URL(buildAuthorizationUrl(BASE));
    assert.equal(`${url.origin}${url.pathname}`, 'https://provider.example/authorize');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      response_type: 'code',
      client_id: 'client:id/with spaces',
      redirect_uri: 'https://localhost:8443/return/scitokens',
      scope: 'read:/public write:/public',
      state: 'state-123',
      code_challenge: 'c'.repeat(43),
      code_challenge_method: 'S256',
      resource: 'https://storage.example/data',
    });
  });

  it('passes space-separated scopes through unchanged and trims comma-separated ones', () => {
    assert.equal(
      new URL(buildAuthorizationUrl({ ...BASE, scopes: 'read:/public write:/public' })).searchParams.get('scope'),
      'read:/public write:/public',
    );
    assert.equal(new URL(buildAuthorizationUrl({ ...BASE, scopes: ' a ,, b , ' })).searchParams.get('scope'), 'a b');
  });

  it('omits scope and resource when they are empty', () => {
    const p = new URL(buildAuthorizationUrl({ ...BASE, scopes: '', audience: '' })).searchParams;
    assert.equal(p.has('scope'), false);
    assert.equal(p.has('resource'), false);
    assert.equal(p.has('audience'), false);
  });

  it('sends the audience as resource, audience or both', () => {
    const a = new URL(buildAuthorizationUrl({ ...BASE, audienceParameter: 'audience' })).searchParams;
    assert.equal(a.get('audience'), BASE.audience);
    assert.equal(a.has('resource'), false);
    const b = new URL(buildAuthorizationUrl({ ...BASE, audienceParameter: 'both' })).searchParams;
    assert.equal(b.get('audience'), BASE.audience);
    assert.equal(b.get('resource'), BASE.audience);
  });

  it('keeps a query the authorization URL already has', () => {
    const url = new URL(
      buildAuthorizationUrl({ ...BASE, authorizationUrl: 'https://provider.example/authorize?tenant=abc' }),
    );
    assert.equal(url.searchParams.get('tenant'), 'abc');
    assert.equal(url.searchParams.get('response_type'), 'code');
  });

  it('never carries a client secret or a code verifier', () => {
    const p = new URL(buildAuthorizationUrl(BASE)).searchParams;
    assert.equal(p.has('client_secret'), false);
    assert.equal(p.has('code_verifier'), false);
  });
});

describe('createPkcePair', () => {
  it('makes a 43-character base64url verifier whose S256 is the challenge', () => {
    const { verifier, challenge } = createPkcePair();
    assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.match(challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(createHash('sha256').update(verifier).digest('base64url'), challenge);
    assert.notEqual(createPkcePair().verifier, verifier);
  });
});
