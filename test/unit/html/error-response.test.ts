/**
 * The one error answer (src/html/error-response.ts) produces every error page both apps showed before: the web app's
 * login failures with their "Back to the login page" link, its 403 page for a provider's refusal, its not-found JSON,
 * and the demo provider's OAuth error pages, each with the status and log line the app used to choose itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors as oidcErrors } from 'oidc-provider';
import { FormBodyRejected } from '../../../src/demo-provider/read-form-body.js';
import { toDemoErrorResponse } from '../../../src/demo-provider/send-page.js';
import { toErrorResponse, type ErrorContext } from '../../../src/html/index.js';
import * as errors from '../../../src/shared/errors.js';
import { createScrub } from '../../../src/web/error-handler.js';
import { WEB_SITE } from '../../../src/web/pages/web-site.js';

const KEY = 'ab'.repeat(32);
const ROOT = '/var/lib/condor/oauth_credentials';
const login: ErrorContext = {
  site: WEB_SITE,
  step: 'login step',
  format: 'html',
  scrub: createScrub([ROOT]),
  retry: { href: `/key/${KEY}`, label: 'Back to the login page' },
};
const request = (accept: string | undefined): ErrorContext => ({
  site: WEB_SITE,
  step: 'request',
  format: 'negotiate',
  accept,
  scrub: createScrub([ROOT]),
});

function text(body: string): string {
  return body
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))
    .replace(/\s+/g, ' ')
    .trim();
}

describe('the web app through the one error answer', () => {
  it("a login step's failure: an HTML page with the retry link, warn for refusals and the provider's 502", () => {
    const r = toErrorResponse(new errors.OAuthStateMismatch('This login response cannot be accepted.'), login);
    assert.equal(r.status, 400);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.match(r.body, new RegExp(`<a class="button" href="/key/${KEY}">Back to the login page</a>`));
    assert.match(text(r.body), /This request cannot be used – HTCondor credentials/);
    assert.match(text(r.body), /If this keeps happening, run condor_submit again to get a new link\./);
    assert.deepEqual([r.log.level, r.log.message], ['warn', 'login step refused']);
    const upstream = toErrorResponse(new errors.RefreshRejected('refused: invalid_grant', {}), login);
    assert.deepEqual([upstream.status, upstream.log.level, upstream.log.message], [502, 'warn', 'login step refused']);
  });

  it("a login step that fails on the server's side: level error, the directory's path and the key never shown", () => {
    const r = toErrorResponse(new errors.CredentialDirectoryUnusable(`${ROOT}/alice is a symbolic link (key ${KEY})`), {
      ...login,
      retry: undefined,
    });
    assert.equal(r.status, 503);
    assert.deepEqual([r.log.level, r.log.message], ['error', 'login step failed']);
    for (const shown of [r.body, r.log.fields.err]) {
      assert.ok(!shown.includes(ROOT) && !shown.includes(KEY), shown);
    }
    const full = toErrorResponse(new errors.DiskFull(`${ROOT}/alice/scitokens.use`), login);
    assert.equal(full.status, 507);
    assert.equal(full.log.level, 'error');
    assert.match(text(full.body), /No space left on the server.*disk of the server is full/);
  });

  it("a provider's refusal (the former hand-built 403 page): plain words, the description as text, the retry link", () => {
    const r = toErrorResponse(
      new errors.AuthorizationDenied('access_denied', 'The user <b>denied</b> the request'),
      login,
    );
    assert.equal(r.status, 403);
    const page = text(r.body);
    assert.match(page, /Access was not granted/);
    assert.match(
      page,
      /You \(or the provider\) declined the request, so no token was stored\. The provider said: access_denied: The user <b>denied<\/b>/,
    );
    assert.ok(!r.body.includes('<b>denied</b>'));
    assert.match(r.body, new RegExp(`href="/key/${KEY}"`));
    const other = toErrorResponse(new errors.AuthorizationDenied('invalid_scope', undefined), login);
    assert.match(
      text(other.body),
      /The provider did not grant the request, so no token was stored\. The provider said: invalid_scope/,
    );
  });

  it('the not-found answer (the former JSON of build-app.ts): JSON unless the browser asks for HTML', () => {
    const notFound = { statusCode: 404, message: 'No page at /nowhere' };
    const r = toErrorResponse(notFound, request(undefined));
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(r.body), { error: 'Not found', message: 'No page at /nowhere' });
    assert.deepEqual([r.log.level, r.log.message], ['info', 'request refused']);
    const page = toErrorResponse(notFound, request('text/html,application/xhtml+xml'));
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(text(page.body), /Not found – HTCondor credentials .* No page at \/nowhere/);
  });

  it('an unexpected error: 500, level error, nothing of it shown', () => {
    const r = toErrorResponse(new Error(`EIO at ${ROOT}/secret`), request('application/json'));
    assert.equal(r.status, 500);
    assert.deepEqual([r.log.level, r.log.message], ['error', 'request failed']);
    assert.deepEqual(JSON.parse(r.body), {
      error: 'Server error',
      message: 'Something went wrong on the server. The details are in its log.',
    });
    assert.ok(!r.log.fields.err.includes(ROOT));
  });
});

describe('the demo provider through the one error answer', () => {
  it("its former inline pages: 400 with the OAuth error code and description, logged as 'interaction rejected'", () => {
    const r = toDemoErrorResponse(new oidcErrors.InvalidRequest('choose Allow or Deny'));
    assert.equal(r.status, 400);
    assert.match(r.body, /<code>invalid_request<\/code>: choose Allow or Deny/);
    assert.match(text(r.body), /Go back to the application and start again\./);
    assert.doesNotMatch(r.body, /<header>|HTCondor credentials/, "the demo's pages keep their own frame");
    assert.deepEqual([r.log.level, r.log.message], ['warn', 'interaction rejected']);
  });

  it("oidc-provider's renderError and a refused form keep their status; a crash is a 500 that shows nothing", () => {
    const redirect = toDemoErrorResponse({
      statusCode: 400,
      error: 'invalid_redirect_uri',
      error_description: "redirect_uri did not match any of the client's",
    });
    assert.equal(redirect.status, 400);
    assert.match(text(redirect.body), /invalid_redirect_uri : redirect_uri did not match/);
    assert.equal(toDemoErrorResponse(new FormBodyRejected('form larger than 16384 bytes', 413)).status, 413);
    const crash = toDemoErrorResponse(new Error('adapter exploded at /state/x'));
    assert.equal(crash.status, 500);
    assert.doesNotMatch(crash.body, /exploded/);
    assert.deepEqual([crash.log.level, crash.log.message], ['error', 'interaction failed']);
  });
});
