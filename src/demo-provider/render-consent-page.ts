import { html, renderPage, type Html } from '../html/index.js';
import { DEMO_SITE } from './send-page.js';

export interface ConsentPageOptions {
  readonly action: string;
  readonly clientId: string;
  readonly user: string;
  /** Requested scopes per resource (audience). */
  readonly resourceScopes: Readonly<Record<string, readonly string[]>>;
  /** Requested OpenID Connect scopes (usually none: the sandbox sends plain OAuth 2.0 requests). */
  readonly oidcScopes: readonly string[];
}

function scopeList(scopes: readonly string[]): Html {
  return html`<ul>
    ${scopes.map((s) => html`<li><code>${s}</code></li> `)}
  </ul>`;
}

/** The consent page: what the client asks for, for which resource, with Allow and Deny. */
export function renderConsentPage(options: ConsentPageOptions): string {
  const sections = Object.entries(options.resourceScopes).map(
    ([resource, scopes]) =>
      html`<h2>For <code>${resource}</code></h2>
        ${scopeList(scopes)} `,
  );
  if (options.oidcScopes.length > 0)
    sections.push(
      html`<h2>About you</h2>
        ${scopeList(options.oidcScopes)} `,
    );
  return renderPage(
    DEMO_SITE,
    'Allow access?',
    html`<p>Signed in as <strong>${options.user}</strong>.</p>
      <p><strong>${options.clientId}</strong> asks for these permissions:</p>
      ${sections.length > 0 ? sections : html`<p>No specific permissions.</p> `}
      <form method="post" action="${options.action}">
        <input type="hidden" name="prompt" value="consent" />
        <button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny">Deny</button>
      </form>`,
  );
}
