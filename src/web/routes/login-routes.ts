import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  KEY_FILE_NAME,
  credentialName,
  storeOAuthLogin,
  type CredentialDirectory,
  type KeyFileRequest,
} from '../../credentials/index.js';
import {
  buildAuthorizationUrl,
  createPkcePair,
  exchangeAuthorizationCode,
  type AudienceParameter,
} from '../../oauth/index.js';
import {
  AuthorizationDenied,
  CredentialFileInvalid,
  KeyFileNotFound,
  OAuthStateMismatch,
} from '../../shared/errors.js';
import { toErrorResponse } from '../../html/index.js';
import { createScrub, sendErrorResponse } from '../error-handler.js';
import { SESSION_COOKIE, readCookie, sessionCookie } from '../login/cookies.js';
import type { LoginSession, LoginStore } from '../login/login-store.js';
import { keyLabel, readKeyRequests } from '../login/read-key-requests.js';
import { renderIndexPage, renderKeyPage } from '../pages/login-pages.js';
import { WEB_SITE } from '../pages/web-site.js';
import { decodeJwt } from 'jose';
import type { SitePaths } from '../site-paths.js';
import type { LoginOutcome, WebAppMetrics } from '../../metrics/index.js';

export interface LoginRoutesOptions {
  readonly directory: CredentialDirectory;
  readonly store: LoginStore;
  readonly tokenTimeoutMs: number;
  readonly audienceParameter: AudienceParameter;
  readonly paths: SitePaths;
  readonly now: () => number;
  readonly fetch?: typeof fetch;
  readonly metrics?: WebAppMetrics;
}

const SESSION_MAX_AGE_S = 12 * 3600;

/**
 * The pages condor_submit's URL leads to (HTCondor 23.9's contract, improved):
 *   GET /key/<64 hex>          shows what the key file asks for and starts a browser session bound to it
 *   GET /login/<key>/<name>    sends the browser to the provider (authorization code + PKCE S256, single-use state)
 *   GET /return/<provider>     the provider's redirect (`<SVC>_RETURN_URL_SUFFIX`): exchange the code, write
 *                              .use/.meta/.top, remove the key file once every credential is done
 *   GET /                      the current session's progress, or what this site is
 */
export function registerLoginRoutes(app: FastifyInstance, options: LoginRoutesOptions): void {
  const { directory, store, paths } = options;
  // Never shown nor logged: the credential directory's path (keys are cut to 8 characters by the mapper itself).
  const scrub = createScrub([directory.root]);

  const sessionOf = (request: FastifyRequest): LoginSession | undefined =>
    store.getSession(readCookie(request.headers.cookie, SESSION_COOKIE));

  const sendPage = (reply: FastifyReply, status: number, body: string): FastifyReply =>
    reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);

  // Always a page (a browser follows these links), with a way back to the login page when there is one.
  const sendError = (reply: FastifyReply, request: FastifyRequest, error: unknown, retryKey?: string): FastifyReply => {
    const retry = retryKey === undefined ? undefined : { href: paths.key(retryKey), label: 'Back to the login page' };
    return sendErrorResponse(
      reply,
      request.log,
      toErrorResponse(error, { site: WEB_SITE, step: 'login step', format: 'html', scrub, retry }),
    );
  };

  const readRequests = (key: string): Promise<KeyFileRequest[]> => readKeyRequests(directory, key);
  const finished = (provider: string | undefined, outcome: LoginOutcome): void =>
    options.metrics?.loginFinished(provider, outcome);

  app.get('/', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return sendPage(reply, 200, renderIndexPage());
    return sendPage(reply, 200, renderKeyPage(session, paths));
  });

  app.get<{ Params: { key: string } }>('/key/:key', async (request, reply) => {
    const { key } = request.params;
    if (!KEY_FILE_NAME.test(key))
      return sendError(
        reply,
        request,
        new KeyFileNotFound('This is not a login link that HTCondor made (it must end in 64 hexadecimal characters).'),
      );
    const existing = sessionOf(request);
    let requests: KeyFileRequest[];
    try {
      requests = await readRequests(key);
    } catch (error) {
      if (error instanceof KeyFileNotFound && existing?.key === key && existing.done.size === existing.names.length) {
        return sendPage(reply, 200, renderKeyPage(existing, paths));
      }
      return sendError(reply, request, error);
    }
    const requested = new Map(
      requests.map(
        (r) =>
          [
            credentialName(r.provider, r.handle),
            { provider: r.provider, handle: r.handle, scopes: r.scopes, audience: r.audience },
          ] as const,
      ),
    );
    const first = requests[0];
    if (!first) return sendError(reply, request, new CredentialFileInvalid(keyLabel(key), 'holds no request'));
    let session = existing;
    if (!session || session.key !== key) {
      session = store.createSession(key, first.localUser, requested);
      request.log.info(
        { user: first.localUser, credentials: [...requested.keys()] },
        'New login session from a key file',
      );
      void reply.header('set-cookie', sessionCookie(session.id, SESSION_MAX_AGE_S, `${paths.base}/`));
    }
    return sendPage(reply, 200, renderKeyPage(session, paths));
  });

  app.get<{ Params: { key: string; name: string } }>('/login/:key/:name', async (request, reply) => {
    const { key, name } = request.params;
    const session = sessionOf(request);
    if (!KEY_FILE_NAME.test(key) || !session || session.key !== key) {
      return sendError(
        reply,
        request,
        new OAuthStateMismatch('Start from the link condor_submit printed (this browser has no login session for it).'),
        KEY_FILE_NAME.test(key) ? key : undefined,
      );
    }
    let requests: KeyFileRequest[];
    try {
      requests = await readRequests(key);
    } catch (error) {
      return sendError(reply, request, error);
    }
    const target = requests.find((r) => credentialName(r.provider, r.handle) === name);
    if (!target)
      return sendError(reply, request, new KeyFileNotFound(`This login link does not ask for ${name}.`), key);
    const pkce = createPkcePair();
    const login = store.startLogin(session, name, target.provider, pkce.verifier);
    const location = buildAuthorizationUrl({
      authorizationUrl: target.authorizationUrl,
      clientId: target.clientId,
      redirectUri: target.returnUrl,
      scopes: target.scopes,
      audience: target.audience,
      state: login.state,
      codeChallenge: pkce.challenge,
      audienceParameter: options.audienceParameter,
    });
    request.log.info({ user: session.localUser, credential: name }, 'Sending the browser to the provider');
    options.metrics?.loginStarted(target.provider);
    return reply.header('cache-control', 'no-store').redirect(location, 303);
  });

  app.get<{ Params: { provider: string }; Querystring: Record<string, string | undefined> }>(
    '/return/:provider',
    async (request, reply) => {
      const q = request.query;
      const session = sessionOf(request);
      let login;
      try {
        login = store.consumeState(
          typeof q['state'] === 'string' ? q['state'] : undefined,
          session?.id,
          request.params.provider,
        );
      } catch (error) {
        finished(undefined, 'invalid_state');
        return sendError(reply, request, error, session?.key);
      }
      const retryKey = login.key;
      if (typeof q['error'] === 'string') {
        const description =
          typeof q['error_description'] === 'string' ? q['error_description'].slice(0, 300) : undefined;
        finished(login.provider, 'denied');
        return sendError(reply, request, new AuthorizationDenied(q['error'], description), retryKey);
      }
      const code = typeof q['code'] === 'string' ? q['code'] : '';
      if (code === '') {
        finished(login.provider, 'failed');
        return sendError(
          reply,
          request,
          new OAuthStateMismatch('The provider came back without an authorization code.'),
          retryKey,
        );
      }
      try {
        const requests = await readRequests(login.key);
        const target = requests.find((r) => credentialName(r.provider, r.handle) === login.name);
        if (!target) throw new KeyFileNotFound(`The key file no longer asks for ${login.name}.`);
        const tokens = await exchangeAuthorizationCode(
          target.tokenUrl,
          code,
          target.returnUrl,
          login.codeVerifier,
          target,
          {
            timeoutMs: options.tokenTimeoutMs,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          },
        );
        const name = await storeOAuthLogin(directory, target, tokens, Math.floor(options.now() / 1000));
        const scope = typeof tokens.raw['scope'] === 'string' ? tokens.raw['scope'] : undefined;
        session?.done.set(name, { scope, subject: subjectOf(tokens.accessToken) });
        request.log.info(
          { user: target.localUser, credential: name, refreshable: tokens.refreshToken !== undefined },
          'Stored tokens from a completed login',
        );
        if (session && session.done.size === session.names.length) {
          await directory.removeKeyFile(login.key);
          request.log.info({ user: target.localUser }, 'Every login of the key file is done; removed the key file');
        }
        finished(login.provider, 'completed');
        return reply.header('cache-control', 'no-store').redirect(paths.key(login.key), 303);
      } catch (error) {
        finished(login.provider, 'failed');
        return sendError(reply, request, error, retryKey);
      }
    },
  );
}

/** The `sub` of a JWT access token, shown as "Logged in as …"; opaque tokens have none. */
function subjectOf(token: string): string | undefined {
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
