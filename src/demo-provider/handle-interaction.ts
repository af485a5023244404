import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import type { Logger } from 'pino';
import { describeError } from '../shared/errors.js';
import { FormBodyRejected, readFormBody } from './read-form-body.js';
import { renderConsentPage } from './render-consent-page.js';
import { renderErrorPage } from './render-error-page.js';
import { renderLoginPage } from './render-login-page.js';
import { PAGE_HEADERS } from './render-page.js';

export interface InteractionHandlerOptions {
  readonly user: string;
  readonly password: string;
  readonly logger: Logger;
}

/** Handles GET and POST /interaction/:uid (login, then consent) for one provider. */
export type InteractionHandler = (req: IncomingMessage, res: ServerResponse, uid: string) => Promise<void>;

function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

/** Constant-time comparison of two strings of any length. */
function isSameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Narrows the consent prompt's details (typed `UnknownObject` by @types/oidc-provider). */
function requestedScopes(interaction: Interaction): { resourceScopes: Record<string, string[]>; oidcScopes: string[] } {
  const details = interaction.prompt.details;
  const resourceScopes: Record<string, string[]> = {};
  const missing = details['missingResourceScopes'];
  if (typeof missing === 'object' && missing !== null) {
    for (const [resource, scopes] of Object.entries(missing as Record<string, unknown>)) {
      resourceScopes[resource] = stringList(scopes);
    }
  }
  return { resourceScopes, oidcScopes: stringList(details['missingOIDCScope']) };
}

function clientIdOf(interaction: Interaction): string {
  const id = interaction.params['client_id'];
  return typeof id === 'string' ? id : 'unknown client';
}

/** Maps an error thrown while handling an interaction to a status and page; details only below 500. */
function sendError(res: ServerResponse, error: unknown, log: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const e = error as { statusCode?: unknown; status?: unknown; error?: unknown; error_description?: unknown; expose?: unknown };
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 500;
  if (status >= 500) {
    log.error({ err: describeError(error) }, 'interaction failed');
    sendPage(res, 500, renderErrorPage('server_error', undefined));
    return;
  }
  const code = typeof e.error === 'string' ? e.error : error instanceof FormBodyRejected ? error.code : 'invalid_request';
  const description = typeof e.error_description === 'string' ? e.error_description : error instanceof Error ? error.message : undefined;
  log.warn({ status, error: code }, 'interaction rejected');
  sendPage(res, status, renderErrorPage(code, description));
}

/**
 * Our own interaction pages (devInteractions is disabled). GET shows the login form or the consent page, whichever
 * prompt oidc-provider asks for; POST handles that prompt: a wrong password shows the form again with 401, Allow
 * grants exactly the requested scopes for the requested resource, Deny ends the request with access_denied.
 */
export function createInteractionHandler(provider: Provider, options: InteractionHandlerOptions): InteractionHandler {
  const log = options.logger;

  function showPrompt(res: ServerResponse, interaction: Interaction, action: string): void {
    const clientId = clientIdOf(interaction);
    if (interaction.prompt.name === 'login') {
      sendPage(res, 200, renderLoginPage({ action, clientId, demoUser: options.user, demoPassword: options.password }));
      return;
    }
    if (interaction.prompt.name === 'consent') {
      sendPage(res, 200, renderConsentPage({ action, clientId, user: interaction.session?.accountId ?? options.user, ...requestedScopes(interaction) }));
      return;
    }
    sendPage(res, 400, renderErrorPage('invalid_request', `unsupported prompt ${interaction.prompt.name}`));
  }

  async function finishLogin(req: IncomingMessage, res: ServerResponse, interaction: Interaction, form: URLSearchParams, action: string): Promise<void> {
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const userOk = isSameSecret(username, options.user);
    const passwordOk = isSameSecret(password, options.password);
    if (!userOk || !passwordOk) {
      log.warn({ uid: interaction.uid, user: username.slice(0, 64) }, 'demo login failed');
      sendPage(
        res,
        401,
        renderLoginPage({
          action,
          clientId: clientIdOf(interaction),
          demoUser: options.user,
          demoPassword: options.password,
          error: 'Wrong user name or password. Try again.',
          username,
        }),
      );
      return;
    }
    log.info({ uid: interaction.uid, user: options.user }, 'demo login succeeded');
    await provider.interactionFinished(req, res, { login: { accountId: options.user } }, { mergeWithLastSubmission: false });
  }

  async function finishConsent(req: IncomingMessage, res: ServerResponse, interaction: Interaction, form: URLSearchParams): Promise<void> {
    const decision = form.get('decision');
    const clientId = clientIdOf(interaction);
    if (decision === 'deny') {
      log.info({ uid: interaction.uid, clientId }, 'consent denied');
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'the user denied the request' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (decision !== 'allow') {
      sendPage(res, 400, renderErrorPage('invalid_request', 'choose Allow or Deny'));
      return;
    }
    const accountId = interaction.session?.accountId;
    if (accountId === undefined) {
      sendPage(res, 400, renderErrorPage('invalid_request', 'not signed in'));
      return;
    }
    const existing = interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
    const grant = existing ?? new provider.Grant({ accountId, clientId });
    const { resourceScopes, oidcScopes } = requestedScopes(interaction);
    if (oidcScopes.length > 0) grant.addOIDCScope(oidcScopes.join(' '));
    for (const [resource, scopes] of Object.entries(resourceScopes)) {
      if (scopes.length > 0) grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    log.info({ uid: interaction.uid, clientId, resources: Object.keys(resourceScopes), scopes: Object.values(resourceScopes).flat() }, 'consent given');
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  return async function handleInteraction(req, res, uid) {
    try {
      const interaction = await provider.interactionDetails(req, res);
      if (interaction.uid !== uid) {
        sendPage(res, 400, renderErrorPage('invalid_request', 'this sign-in page belongs to another request; start again'));
        return;
      }
      const action = `/interaction/${encodeURIComponent(uid)}`;
      if (req.method === 'GET' || req.method === 'HEAD') {
        showPrompt(res, interaction, action);
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'GET, POST' }).end();
        return;
      }
      const form = await readFormBody(req);
      if (interaction.prompt.name === 'login') {
        await finishLogin(req, res, interaction, form, action);
      } else if (interaction.prompt.name === 'consent') {
        await finishConsent(req, res, interaction, form);
      } else {
        sendPage(res, 400, renderErrorPage('invalid_request', `unsupported prompt ${interaction.prompt.name}`));
      }
    } catch (error) {
      sendError(res, error, log);
    }
  };
}
