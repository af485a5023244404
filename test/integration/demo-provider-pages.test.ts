/**
 * The demo provider's pages come from the shared HTML stack (src/html): one CSP without 'unsafe-inline' whose style
 * hash allows the one inline style sheet, and every error page from the one error answer, byte for byte.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { errors } from 'oidc-provider';
import { buildDemoApp, parseDemoProviderConfig } from '../../src/demo-provider/index.js';
import { DEMO_PAGE_HEADERS, toDemoErrorResponse } from '../../src/demo-provider/send-page.js';
import { createMemoryLogger } from '../../src/log/index.js';
import {
  Browser,
  CLIENT_ID,
  followWithinProvider,
  startAuthorization,
  useProvider,
  type Running,
} from './demo-provider-client.js';

let running: Running;

before(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const { logger, lines } = createMemoryLogger('demo-provider');
  server.on(
    'request',
    (await buildDemoApp(parseDemoProviderConfig({ DEMO_ISSUER: issuer }), { logger })).handleRequest,
  );
  running = { server, issuer, port, lines };
  useProvider(running);
});

after(async () => {
  running.server.closeAllConnections();
  await new Promise<void>((resolve) => running.server.close(() => resolve()));
});

function assertSharedHeaders(response: Response, label: string): void {
  for (const [name, value] of Object.entries(DEMO_PAGE_HEADERS))
    assert.equal(response.headers.get(name), value, `${label}: ${name}`);
  assert.doesNotMatch(response.headers.get('content-security-policy') ?? '', /unsafe-inline|unsafe-eval|\*/, label);
}

describe('the demo provider on the shared HTML stack', () => {
  it('sends its login and consent pages with the one CSP, whose hash allows their one inline style sheet', async () => {
    const start = await startAuthorization();
    const loginPage = await start.browser.go(start.interactionUrl);
    const after = await start.browser.go(start.interactionUrl, {
      form: { prompt: 'login', username: 'demo', password: 'demo' },
    });
    const { response: consentPage } = await followWithinProvider(start.browser, after);
    for (const [label, response] of [
      ['the login page', loginPage],
      ['the consent page', consentPage],
    ] as const) {
      assert.equal(response.status, 200, label);
      assertSharedHeaders(response, label);
      const body = await response.text();
      const style = /<style>([\s\S]*?)<\/style>/.exec(body)?.[1] ?? '';
      const hash = createHash('sha256').update(style).digest('base64');
      assert.ok(
        style.length > 0 &&
          (response.headers.get('content-security-policy') ?? '').includes(`style-src 'sha256-${hash}'`),
        label,
      );
      assert.doesNotMatch(body, /<script|style="/, label);
    }
  });

  it('answers a sign-in page of another request with the one error answer', async () => {
    const mine = await startAuthorization();
    const theirs = await startAuthorization();
    await mine.browser.go(mine.interactionUrl);
    const response = await mine.browser.go(theirs.interactionUrl);
    const expected = toDemoErrorResponse(
      new errors.InvalidRequest('this sign-in page belongs to another request; start again'),
    );
    assert.equal(response.status, expected.status);
    assertSharedHeaders(response, 'the error page');
    assert.equal(await response.text(), expected.body);
    assert.ok(running.lines.some((l) => l.includes('interaction rejected')));
  });

  it('answers a consent without Allow or Deny with the one error answer', async () => {
    const start = await startAuthorization();
    const after = await start.browser.go(start.interactionUrl, {
      form: { prompt: 'login', username: 'demo', password: 'demo' },
    });
    const { url } = await followWithinProvider(start.browser, after);
    const response = await start.browser.go(url.href, { form: { prompt: 'consent', decision: 'maybe' } });
    const expected = toDemoErrorResponse(new errors.InvalidRequest('choose Allow or Deny'));
    assert.equal(response.status, 400);
    assert.equal(await response.text(), expected.body);
  });

  it("answers oidc-provider's own errors (renderError) with the one error answer", async () => {
    const browser = new Browser();
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: 'https://evil.example/return',
      scope: 'read:/public',
    });
    const response = await browser.go(`${running.issuer}/auth?${params.toString()}`);
    assert.equal(response.status, 400);
    assertSharedHeaders(response, 'the renderError page');
    const body = await response.text();
    const description = /<code>invalid_redirect_uri<\/code>: ([^<]*)<\/p>/.exec(body)?.[1] ?? '';
    assert.match(description, /redirect_uri/);
    const decoded = description.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
    assert.equal(
      body,
      toDemoErrorResponse({ statusCode: 400, error: 'invalid_redirect_uri', error_description: decoded }).body,
    );
  });
});
