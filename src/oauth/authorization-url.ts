export type AudienceParameter = 'resource' | 'audience' | 'both';

export interface AuthorizationRequest {
  readonly authorizationUrl: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** The key file's Scopes: comma- or space-separated, as in the submit file. */
  readonly scopes: string;
  /** The key file's Audience; sent as `resource` (RFC 8707, what SciTokens servers and upstream use) by default. */
  readonly audience: string;
  readonly state: string;
  readonly codeChallenge: string;
  readonly audienceParameter?: AudienceParameter;
}

/**
 * The authorization-code request (RFC 6749 §4.1.1) with PKCE S256 (RFC 7636). Scopes are split on commas, trimmed
 * and joined with spaces, as HTCondor's web app does; parameters are added to any query the URL already has.
 * The client secret never appears here: it goes only to the token endpoint, server to server.
 */
export function buildAuthorizationUrl(request: AuthorizationRequest): string {
  const url = new URL(request.authorizationUrl);
  const p = url.searchParams;
  p.set('response_type', 'code');
  p.set('client_id', request.clientId);
  p.set('redirect_uri', request.redirectUri);
  const scope = request.scopes
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(' ');
  if (scope !== '') p.set('scope', scope);
  p.set('state', request.state);
  p.set('code_challenge', request.codeChallenge);
  p.set('code_challenge_method', 'S256');
  if (request.audience !== '') {
    const mode = request.audienceParameter ?? 'resource';
    if (mode === 'resource' || mode === 'both') p.set('resource', request.audience);
    if (mode === 'audience' || mode === 'both') p.set('audience', request.audience);
  }
  return url.toString();
}
