import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type default as Provider, type Interaction } from 'oidc-provider';
import type { Logger } from 'pino';
import { readFormBody } from './read-form-body.js';
import { renderConsentPage } from './render-consent-page.js';
import { renderLoginPage } from './render-login-page.js';
import { sendError, sendPage } from './send-page.js';

export interface InteractionHandlerOptions {
  readonly user: string;
  readonly password: string;
  readonly logger: Logger;
}

/** Handles GET and POST /interaction/:uid (login, then consent) for one provider. */
export type InteractionHandler = (req: IncomingMessage, res: ServerResponse, uid: string) => Promise<void>;

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
      sendPage(
        res,
        200,
        renderConsentPage({
          action,
          clientId,
          user: interaction.session?.accountId ?? options.user,
          ...requestedScopes(interaction),
        }),
      );
      return;
    }
    sendError(res, new errors.InvalidRequest(`unsupported prompt ${interaction.prompt.name}`), log);
  }

  async function finishLogin(
    req: IncomingMessage,
    res: ServerResponse,
    interaction: Interaction,
    form: URLSearchParams,
    action: string,
  ): Promise<void> {
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
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: options.user } },
      { mergeWithLastSubmission: false },
    );
  }

  async function finishConsent(
    req: IncomingMessage,
    res: ServerResponse,
    interaction: Interaction,
    form: URLSearchParams,
  ): Promise<void> {
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
      sendError(res, new errors.InvalidRequest('choose Allow or Deny'), log);
      return;
    }
    const accountId = interaction.session?.accountId;
    if (accountId === undefined) {
      sendError(res, new errors.InvalidRequest('not signed in'), log);
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
    log.info(
      {
        uid: interaction.uid,
        clientId,
        resources: Object.keys(resourceScopes),
        scopes: Object.values(resourceScopes).flat(),
      },
      'consent given',
    );
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  return async function handleInteraction(req, res, uid) {
    try {
      const interaction = await provider.interactionDetails(req, res);
      if (interaction.uid !== uid) {
        sendError(res, new errors.InvalidRequest('this sign-in page belongs to another request; start again'), log);
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
        sendError(res, new errors.InvalidRequest(`unsupported prompt ${interaction.prompt.name}`), log);
      }
    } catch (error) {
      sendError(res, error, log);
    }
  };
}
