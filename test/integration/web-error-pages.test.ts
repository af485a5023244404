/**
 * The web app's error pages come from the one error answer (src/html/error-response.ts), byte for byte: the
 * not-found answer (JSON, or a page for a browser), a login step's refusal, and Fastify's own refusals.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { toErrorResponse, type ErrorContext } from '../../src/html/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { KeyFileNotFound } from '../../src/shared/errors.js';
import { createScrub } from '../../src/web/error-handler.js';
import { buildApp } from '../../src/web/index.js';
import { WEB_SITE } from '../../src/web/pages/web-site.js';

let root: string;
let app: FastifyInstance;
let lines: string[];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'credmon-web-errors-'));
  const memory = createMemoryLogger('web');
  lines = memory.lines;
  const keys = { jwks: () => Promise.resolve({ keys: [] }), maxAgeS: 60 };
  app = await buildApp({
    issuer: 'https://localhost:8443',
    keys,
    logger: memory.logger,
    directory: new CredentialDirectory(root),
  });
});

after(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

function context(step: ErrorContext['step'], accept?: string): ErrorContext {
  return {
    site: WEB_SITE,
    step,
    format: step === 'request' ? 'negotiate' : 'html',
    accept,
    scrub: createScrub([root]),
  };
}

describe('the web app answers every error through the one error answer', () => {
  it('an unknown path: the same JSON as before for API clients, a page for browsers', async () => {
    const notFound = { statusCode: 404, message: 'No page at /nowhere' };
    const json = await app.inject({ method: 'GET', url: '/nowhere?code=secret' });
    assert.equal(json.statusCode, 404);
    assert.deepEqual(json.json(), { error: 'Not found', message: 'No page at /nowhere' });
    assert.equal(json.body, toErrorResponse(notFound, context('request')).body);
    const page = await app.inject({ method: 'GET', url: '/nowhere', headers: { accept: 'text/html' } });
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.body, toErrorResponse(notFound, context('request', 'text/html')).body);
  });

  it("a login step's refusal: the page and the log line of the one answer", async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/key/not-a-key',
      headers: { accept: 'application/json' },
    });
    const error = new KeyFileNotFound(
      'This is not a login link that HTCondor made (it must end in 64 hexadecimal characters).',
    );
    const expected = toErrorResponse(error, context('login step'));
    assert.equal(response.statusCode, 404);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8', 'a login link always gets a page');
    assert.equal(response.body, expected.body);
    assert.ok(lines.some((l) => l.includes(expected.log.message)));
  });

  it("Fastify's own refusals (a body on a GET-only route, a bad content type) go through it too", async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/',
      payload: 'x',
      headers: { 'content-type': 'x/y', accept: 'text/html' },
    });
    assert.ok(response.statusCode >= 400 && response.statusCode < 500, String(response.statusCode));
    assert.match(response.body, /<p class="error" role="alert">/);
    assert.match(response.body, /If this keeps happening, run <code>condor_submit<\/code> again/);
  });
});
