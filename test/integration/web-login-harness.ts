/**
 * The harness of the login-flow tests (web-login*.test.ts): a real credential directory on disk (with a switchable
 * fault), the app, a real HTTP token endpoint, and the browser's steps (open the key link, log in, come back).
 * Only what a user (or HTCondor) can see is asserted: status codes, page text, Location parameters, files and their
 * modes, and log lines. After each test, no secret may be in the log.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { WebMetrics } from '../../src/metrics/index.js';
import { buildApp, type IssuerKeySource } from '../../src/web/index.js';
import { formatKeyFile } from '../helpers/key-file.js';
import { json, startTokenEndpoint, type FakeTokenEndpoint, type Responder } from './fake-token-endpoint.js';

export const NOW_MS = 1_760_000_000_000;
export const NOW_S = NOW_MS / 1000;
export const AUTHORIZE = 'https://provider.example/authorize';
export const CLIENT_SECRET = 'cs-SECRET-0f1e2d3c';
export const USER = 'alice';
export const KEYS: IssuerKeySource = { jwks: () => Promise.resolve({ keys: [] }), maxAgeS: 60 };

export type Ad = Record<string, string>;

/** One CHECK_CREDS request ad with all ten attributes (HTCondor 23.9 always writes all ten). */
export function ad(tokenUrl: string, provider: string, handle: string, extra: Partial<Ad> = {}): Ad {
  return {
    Audience: 'https://storage.example/data',
    AuthorizationUrl: AUTHORIZE,
    ClientId: `client-${provider}`,
    ClientSecret: CLIENT_SECRET,
    Handle: handle,
    LocalUser: USER,
    Provider: provider,
    ReturnUrl: `https://localhost:8443/return/${provider}`,
    Scopes: 'read:/public, write:/public',
    TokenUrl: tokenUrl,
    ...extra,
  };
}

export { formatKeyFile };

export function newKey(): string {
  return randomBytes(32).toString('hex');
}

/** The visible text of a page: tags removed, numeric entities decoded, whitespace collapsed. */
export function text(body: string): string {
  return body
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))
    .replace(/\s+/g, ' ')
    .trim();
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function tokenResponse(tag: string): Record<string, unknown> {
  return {
    access_token: `at-SECRET-${tag}`,
    token_type: 'Bearer',
    expires_in: 3600,
    refresh_token: `rt-SECRET-${tag}`,
    scope: 'read:/public write:/public',
  };
}

export interface Harness {
  readonly root: string;
  readonly dir: FaultyDirectory;
  endpoint: FakeTokenEndpoint;
  readonly lines: string[];
  readonly app: FastifyInstance;
  /** Every secret that reached the app (tokens handed out, client secrets); none may be logged. */
  readonly secrets: Set<string>;
  /** Authorization codes sent back to /return (checked by a dedicated test, so one leak does not fail every test). */
  readonly codes: Set<string>;
  /** The app's Prometheus metrics (what CREDMON_WEB_METRICS_ADDRESS serves). */
  readonly metrics: WebMetrics;
}

export let h: Harness;

/**
 * The real credential directory, with one fault that can be switched on for key-file reads: what the kernel answers
 * on a bad day (EIO, EMFILE) or for a file this process may not read (EACCES; the tests may run as root, where
 * chmod 000 does not refuse). The error is built as Node builds it, path included.
 */
export class FaultyDirectory extends CredentialDirectory {
  fault: string | undefined;

  override async readKeyFile(name: string): ReturnType<CredentialDirectory['readKeyFile']> {
    if (this.fault !== undefined) {
      const path = join(this.root, name);
      throw Object.assign(new Error(`${this.fault}: simulated failure, open '${path}'`), {
        code: this.fault,
        path,
        syscall: 'open',
      });
    }
    return super.readKeyFile(name);
  }
}

/** Registers the hooks of every test file of the login flow: a fresh directory, app and token endpoint per test. */
export function useHarness(): void {
  beforeEach(async () => {
    const root = await mkdtemp(join(tmpdir(), 'credmon-web-'));
    const endpoint = await startTokenEndpoint((_r, i) => json(200, tokenResponse(String(i))));
    const { logger, lines } = createMemoryLogger('web');
    const dir = new FaultyDirectory(root);
    const metrics = new WebMetrics({ processMetrics: false });
    const app = await buildApp({
      metrics,
      issuer: 'https://localhost:8443',
      keys: KEYS,
      logger,
      directory: dir,
      now: () => NOW_MS,
    });
    h = { root, dir, endpoint, lines, app, secrets: new Set([CLIENT_SECRET]), codes: new Set<string>(), metrics };
    respond((_r, i) => json(200, tokenResponse(String(i))));
  });

  afterEach(async () => {
    await h.app.close();
    await h.endpoint.close();
    try {
      const log = h.lines.join('');
      for (const secret of h.secrets)
        assert.ok(
          !log.includes(secret),
          `the log contains the secret ${JSON.stringify(secret)}:\n${h.lines.filter((l) => l.includes(secret)).join('')}`,
        );
    } finally {
      await rm(h.root, { recursive: true, force: true });
    }
  });
}

/** Uses a responder that hands out `at-SECRET-<tag>-<n>` tokens and records them as secrets. */
export function respond(responder: Responder): void {
  h.endpoint.respondWith((r, i) => {
    const answer = responder(r, i);
    if (typeof answer === 'object' && !(answer instanceof Promise)) {
      try {
        const parsed = JSON.parse(answer.body) as Record<string, unknown>;
        for (const k of ['access_token', 'refresh_token']) if (typeof parsed[k] === 'string') h.secrets.add(parsed[k]);
      } catch {
        // not JSON
      }
    }
    return answer;
  });
}

export async function writeKeyFile(key: string, ads: readonly Ad[]): Promise<void> {
  await writeFile(join(h.root, key), formatKeyFile(ads), { mode: 0o640 });
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function userFiles(): Promise<string[]> {
  return readdir(join(h.root, USER)).then(
    (names) => names.sort(),
    () => [],
  );
}

export async function get(url: string, cookie?: string): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'GET', url, headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
}

/** Opens condor_submit's link; returns the session cookie (`name=value`) the browser would send back. */
export async function openKey(key: string): Promise<{ cookie: string; response: LightMyRequestResponse }> {
  const response = await get(`/key/${key}`);
  assert.equal(response.statusCode, 200, response.body);
  const setCookie = response.headers['set-cookie'];
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  assert.ok(header, 'the key page sets a session cookie');
  return { cookie: header.split(';')[0] ?? '', response };
}

/** Clicks "Log in" for `name`; returns the provider URL the browser is sent to. */
export async function startLogin(cookie: string, key: string, name: string): Promise<URL> {
  const response = await get(`/login/${key}/${name}`, cookie);
  assert.equal(response.statusCode, 303, response.body);
  const location = response.headers['location'];
  assert.equal(typeof location, 'string');
  return new URL(String(location));
}

/** The provider redirects the browser back with `code` and the state it was given. */
export async function callback(
  cookie: string | undefined,
  provider: string,
  state: string,
  code: string,
): Promise<LightMyRequestResponse> {
  h.codes.add(code);
  return get(`/return/${provider}?${new URLSearchParams({ code, state }).toString()}`, cookie);
}

export function state(url: URL): string {
  const value = url.searchParams.get('state');
  assert.ok(value, 'the authorization URL carries a state');
  return value;
}

export async function assertNoCredentialFiles(): Promise<void> {
  const files = await userFiles();
  assert.deepEqual(
    files.filter((f) => /\.(use|top|meta)$/.test(f) || f.endsWith('.tmp')),
    [],
    `no credential file may be written, found ${files.join(', ')}`,
  );
}

export async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o7777;
}

/** The forms a secret could take in a log line: as is, upper case, percent-, JSON- and base64-encoded. */
export function encodingsOf(secret: string): string[] {
  const forms = [
    secret,
    secret.toUpperCase(),
    encodeURIComponent(secret),
    [...secret].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
  if (/^[0-9a-f]+$/.test(secret) && secret.length % 2 === 0) {
    forms.push(Buffer.from(secret, 'hex').toString('base64'), Buffer.from(secret, 'hex').toString('base64url'));
  }
  return [...new Set(forms)];
}

/**
 * Fails when a key (or its 9-character prefix, in any case) is in any log line, in any encoding, or in the page
 * other than in its own links (/key/<key>, /login/<key>/...: the URL the user's own browser came from).
 */
export function assertKeyNowhere(key: string, page: string): void {
  const log = h.lines.join('');
  const body = page.split(`href="/key/${key}"`).join('').split(`href="/login/${key}/`).join('');
  for (const form of encodingsOf(key)) {
    assert.ok(
      !log.includes(form),
      `the log holds the key as ${form}:\n${h.lines.filter((l) => l.includes(form)).join('')}`,
    );
    assert.ok(!body.includes(form), `the page holds the key as ${form}`);
  }
  assert.ok(!log.toLowerCase().includes(key.slice(0, 9)), 'the log holds more than 8 characters of the key');
  assert.ok(!body.toLowerCase().includes(key.slice(0, 9)), 'the page holds more than 8 characters of the key');
  assert.ok(!body.includes(h.root), 'the page shows no server path');
}
