import type { ClientProviderConfig } from '../config/index.js';
import {
  formatLocalUseFile,
  parseTopFile,
  parseUseFile,
  providerOfCredential,
  readLocalCredentialSync,
  writeUseFileSync,
} from '../credentials/index.js';
import { buildScopes, type GroupMapfile } from '../issuer/index.js';
import {
  buildClientCredentialsScope,
  requestClientCredentialsToken,
  type TokenEndpointResolver,
} from '../oauth/index.js';
import { DiskFull, RefreshRejected, describeError } from '../shared/errors.js';
import { providerOf, unavailableOutcome, type OAuthRefreshContext } from './oauth-refresh.js';
import {
  LOCAL_RENEWAL_FRACTION,
  lifeAfterWrite,
  renewAfterWriteMs,
  renewAtMs,
  useLifeOf,
  type UseLife,
} from './renewal.js';

/** One client-credentials provider as set up at start: its configuration and the secret read from its file. */
export interface ClientProvider {
  readonly config: ClientProviderConfig;
  readonly secret: string;
}

/** One client-credentials provider, ready to ask: also its token endpoint and its group mapfile. */
export interface ClientEndpoint extends ClientProvider {
  readonly resolver: TokenEndpointResolver;
  /** AUTHZ_GROUP_MAPFILE, when the group template needs it. */
  readonly mapfile: GroupMapfile | undefined;
}

/** The refresh path's context (directory, the one gate, timeout, clock, fetch), and what client providers add. */
export interface ClientRefreshContext extends OAuthRefreshContext {
  readonly handles: boolean;
  /** Every client provider by name, or why it cannot be used (no secret, say): its credentials wait for a restart. */
  readonly clients: ReadonlyMap<string, ClientEndpoint | Error>;
  /** A problem that does not stop the request (discovery failed, the last good endpoint is used): logged once. */
  readonly warn: (onceKey: string, message: string) => void;
}

export type ClientOutcome =
  | { readonly kind: 'gone' }
  | { readonly kind: 'fresh'; readonly dueMs: number; readonly life: UseLife }
  /** A file or the provider's setup cannot be used as it is: nothing to do until the files change. */
  | { readonly kind: 'invalid'; readonly problem: string }
  /** `assumedLifetimeS`: the provider sent no expires_in, so TOKEN_LIFETIME was assumed. */
  | { readonly kind: 'obtained'; readonly dueMs: number; readonly life: UseLife; readonly assumedLifetimeS?: number }
  /** `life`, on a failure: the `.use` on disk, still expiring as before. */
  | { readonly kind: 'rejected'; readonly problem: string; readonly life?: UseLife }
  | {
      readonly kind: 'unavailable';
      readonly problem: string;
      readonly retryAfterMs: number | undefined;
      readonly life?: UseLife;
    }
  | { readonly kind: 'failed'; readonly problem: string }
  | { readonly kind: 'disk-full'; readonly problem: string }
  | { readonly kind: 'stopped' };

/**
 * Looks at one client-credentials credential (`<user>/<provider>.top`, the credd's marker) and, when its `.use` is
 * missing, unreadable or past half its life, asks the provider's token endpoint for a new token for the user by the
 * client-credentials grant, through the provider's gate, and writes it as `.use`. Never throws.
 */
export async function refreshClientCredential(
  ctx: ClientRefreshContext,
  user: string,
  name: string,
): Promise<ClientOutcome> {
  const cannot = `Cannot get ${name} token for user ${user}`;
  let files;
  try {
    files = readLocalCredentialSync(ctx.directory, user, name);
    if (files.top && parseTopFile(`${user}/${name}.top`, files.top.content).kind === 'oauth') {
      return { kind: 'invalid', problem: `${cannot}: ${name}.top holds a refresh token; a client provider's does not` };
    }
  } catch (error) {
    return { kind: 'invalid', problem: `${cannot}: ${describeError(error)}` };
  }
  if (!files.top) return { kind: 'gone' };
  const provider = providerOfCredential(name, ctx.handles) ?? name;
  const client = ctx.clients.get(provider) ?? new Error(`${provider} is not set up as a client provider`);
  if (client instanceof Error) return { kind: 'invalid', problem: `${cannot}: ${client.message}` };
  const nowMs = ctx.now();
  let onDisk: { life?: UseLife } = {};
  if (files.use && !(files.use instanceof Error)) {
    try {
      const use = parseUseFile(`${user}/${name}.use`, files.use.content);
      const life = useLifeOf(use, files.use);
      onDisk = { life };
      const dueMs = renewAtMs(use, files.use, LOCAL_RENEWAL_FRACTION);
      if (dueMs > nowMs) return { kind: 'fresh', dueMs, life };
    } catch {
      // An unreadable .use is simply replaced.
    }
  }
  let tokenUrl: string;
  try {
    const resolved = await client.resolver.resolve();
    tokenUrl = resolved.tokenUrl;
    if (resolved.problem) ctx.warn(`discovery:${provider}`, `${provider}: ${resolved.problem.message}`);
  } catch (error) {
    return { ...unavailableOutcome(error, `${cannot} (no token endpoint)`), ...onDisk };
  }
  const origin = providerOf(tokenUrl);
  return ctx.gate.run(origin, async (): Promise<ClientOutcome> => {
    if (ctx.isStopping()) return { kind: 'stopped' };
    try {
      const outcome = await obtain(ctx, client, { user, name, tokenUrl });
      ctx.gate.succeeded(origin);
      return outcome;
    } catch (error) {
      if (error instanceof RefreshRejected) {
        ctx.gate.succeeded(origin);
        return { kind: 'rejected', problem: `${cannot}: ${error.message}. Check the client's registration`, ...onDisk };
      }
      const outcome = { ...unavailableOutcome(error, cannot), ...onDisk };
      ctx.gate.failed(origin, outcome.retryAfterMs);
      return outcome;
    }
  });
}

interface Request {
  readonly user: string;
  readonly name: string;
  readonly tokenUrl: string;
}

/** The request and the write; throws what the token endpoint client throws. */
async function obtain(ctx: ClientRefreshContext, client: ClientEndpoint, at: Request): Promise<ClientOutcome> {
  const { config, secret } = client;
  const { user, name } = at;
  const token = await requestClientCredentialsToken(
    {
      tokenUrl: at.tokenUrl,
      client: { clientId: config.clientId, clientSecret: secret },
      clientAuth: config.clientAuth,
      scope: buildClientCredentialsScope({
        scopes: [buildScopes(config, user, groupsOf(ctx, client, user))],
        profile: config.tokenVersion,
        user,
      }),
      audience: config.audience,
    },
    { timeoutMs: ctx.timeoutMs, now: ctx.now, ...(ctx.fetch ? { fetch: ctx.fetch } : {}) },
  );
  const lifetimeS = token.expiresInS ?? config.tokenLifetimeS;
  // A deletion (condor_store_cred delete) while the request was out: nothing is written.
  if (!ctx.directory.userFileInfoSync(user, `${name}.top`)) return { kind: 'gone' };
  try {
    writeUseFileSync(ctx.directory, user, name, formatLocalUseFile(token.accessToken, lifetimeS, config.useJson));
  } catch (error) {
    const problem = `Cannot write the ${name} token of user ${user}: ${describeError(error)}`;
    return { kind: error instanceof DiskFull ? 'disk-full' : 'failed', problem };
  }
  const writtenMs = ctx.now();
  const dueMs = renewAfterWriteMs(writtenMs, lifetimeS * 1000, LOCAL_RENEWAL_FRACTION);
  const life = lifeAfterWrite(writtenMs, lifetimeS);
  return token.expiresInS === undefined
    ? { kind: 'obtained', dueMs, life, assumedLifetimeS: lifetimeS }
    : { kind: 'obtained', dueMs, life };
}

/** The groups of the group mapfile for `user`, when the group template needs them; none when it cannot be read. */
function groupsOf(ctx: ClientRefreshContext, client: ClientEndpoint, user: string): readonly string[] {
  const { config, mapfile } = client;
  if (config.authzGroupTemplate === undefined || mapfile === undefined) return [];
  const groups = mapfile.groupsOf(user);
  if (!(groups instanceof Error)) return groups;
  const what = `${config.providerName}: the group mapfile ${mapfile.path} cannot be read (${describeError(groups)})`;
  ctx.warn(`mapfile:${config.providerName}`, `${what}; asking for tokens without group scopes`);
  return [];
}
