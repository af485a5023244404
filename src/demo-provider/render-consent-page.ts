import { escapeHtml, renderPage } from './render-page.js';

export interface ConsentPageOptions {
  readonly action: string;
  readonly clientId: string;
  readonly user: string;
  /** Requested scopes per resource (audience). */
  readonly resourceScopes: Readonly<Record<string, readonly string[]>>;
  /** Requested OpenID Connect scopes (usually none: the sandbox sends plain OAuth 2.0 requests). */
  readonly oidcScopes: readonly string[];
}

/** The consent page: what the client asks for, for which resource, with Allow and Deny. */
export function renderConsentPage(options: ConsentPageOptions): string {
  const sections = Object.entries(options.resourceScopes).map(
    ([resource, scopes]) =>
      `<h2>For <code>${escapeHtml(resource)}</code></h2>\n<ul>\n${scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('\n')}\n</ul>`,
  );
  if (options.oidcScopes.length > 0) {
    sections.push(`<h2>About you</h2>\n<ul>\n${options.oidcScopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('\n')}\n</ul>`);
  }
  return renderPage(
    'Allow access?',
    `<p>Signed in as <strong>${escapeHtml(options.user)}</strong>.</p>
<p><strong>${escapeHtml(options.clientId)}</strong> asks for these permissions:</p>
${sections.length > 0 ? sections.join('\n') : '<p>No specific permissions.</p>'}
<form method="post" action="${escapeHtml(options.action)}">
<input type="hidden" name="prompt" value="consent">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}
