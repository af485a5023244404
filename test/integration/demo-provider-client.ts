/**
 * A browser and an OAuth client for the demo provider's tests: cookies, the code flow step by step (authorization,
 * login, consent), the token endpoint, and the access token's verification against the provider's JWKS.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export const CLIENT_ID = 'credmon-sandbox-scitokens';
export const CLIENT_SECRET = 'demo-scitokens-secret';
export const REDIRECT_URI = 'https://localhost:8443/return/scitokens';
export const RESOURCE = 'https://localhost';
export const ACCESS_TOKEN_TTL_S = 90;

/** Remembers cookies by name, as a browser would for one site (paths ignored: names do not collide here). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k = '', v = ''] = a.trim().split('=');
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A browser: follows nothing by itself, keeps cookies. */
export class Browser {
  readonly jar = new CookieJar();

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { cookie: this.jar.header() };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body: body ?? null,
      redirect: 'manual',
    });
    this.jar.store(response);
    return response;
  }
}

export interface Running {
  server: Server;
  issuer: string;
  port: number;
  lines: string[];
}

let running: Running;

/** Points the helpers below at a running demo provider (an in-process server or a started process). */
export function useProvider(provider: Running): void {
  running = provider;
}

export function base64url(buf: Buffer): string {
  return buf.toString('base64url');
}

export function location(response: Response, base: string): URL {
  const value = response.headers.get('location');
  assert.ok(value, `expected a redirect, got ${response.status}`);
  return new URL(value, base);
}

/** Follows redirects inside the provider until one leaves it (to the client's redirect_uri) or a page is shown. */
export async function followWithinProvider(
  browser: Browser,
  response: Response,
): Promise<{ response: Response; url: URL }> {
  let current = response;
  let url = new URL(running.issuer);
  while (current.status >= 300 && current.status < 400) {
    url = location(current, running.issuer);
    if (url.origin !== running.issuer) return { response: current, url };
    await current.arrayBuffer();
    current = await browser.go(url.href);
  }
  return { response: current, url };
}

export interface AuthorizationStart {
  browser: Browser;
  verifier: string;
  state: string;
  interactionUrl: string;
}

export async function startAuthorization(overrides: Record<string, string> = {}): Promise<AuthorizationStart> {
  const browser = new Browser();
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'read:/public',
    state,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    resource: RESOURCE,
    ...overrides,
  });
  const response = await browser.go(`${running.issuer}/auth?${params.toString()}`);
  assert.equal(response.status, 303, 'the authorization endpoint redirects to our interaction page');
  const url = location(response, running.issuer);
  assert.match(url.pathname, /^\/interaction\/[\w-]+$/);
  return { browser, verifier, state, interactionUrl: url.href };
}

/** Logs in with the demo account and returns the consent page's response. */
export async function logIn(start: AuthorizationStart): Promise<{ consentUrl: string; page: string }> {
  const after = await start.browser.go(start.interactionUrl, {
    form: { prompt: 'login', username: 'demo', password: 'demo' },
  });
  const { response, url } = await followWithinProvider(start.browser, after);
  assert.equal(response.status, 200, 'after login comes the consent page');
  return { consentUrl: url.href, page: await response.text() };
}

export async function consent(start: AuthorizationStart, consentUrl: string, decision: 'allow' | 'deny'): Promise<URL> {
  const after = await start.browser.go(consentUrl, { form: { prompt: 'consent', decision } });
  const { url } = await followWithinProvider(start.browser, after);
  assert.equal(`${url.origin}${url.pathname}`, REDIRECT_URI);
  return url;
}

export async function token(
  form: Record<string, string>,
  endpoint = `${running.issuer}/token`,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...form }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The whole browser flow up to the code exchange; returns the token response. */
export async function obtainTokens(): Promise<Record<string, unknown>> {
  const start = await startAuthorization();
  const { consentUrl } = await logIn(start);
  const back = await consent(start, consentUrl, 'allow');
  const code = back.searchParams.get('code');
  assert.ok(code);
  const result = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: start.verifier,
  });
  assert.equal(result.status, 200, JSON.stringify(result.body));
  return result.body;
}

export async function verifyAccessToken(accessToken: unknown): Promise<Record<string, unknown>> {
  assert.equal(typeof accessToken, 'string');
  const discovery = (await (await fetch(`${running.issuer}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
    jwks_uri: string;
  };
  assert.equal(discovery.issuer, running.issuer);
  const { payload, protectedHeader } = await jwtVerify(
    accessToken as string,
    createRemoteJWKSet(new URL(discovery.jwks_uri)),
    {
      issuer: running.issuer,
      audience: RESOURCE,
    },
  );
  assert.equal(protectedHeader.alg, 'ES256');
  return payload;
}
