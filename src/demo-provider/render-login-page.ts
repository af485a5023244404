import { html, renderPage } from '../html/index.js';
import { DEMO_SITE } from './send-page.js';

export interface LoginPageOptions {
  readonly action: string;
  readonly clientId: string;
  readonly demoUser: string;
  readonly demoPassword: string;
  /** Shown above the form (e.g. after a wrong password). */
  readonly error?: string | undefined;
  /** The user name to put back into the field after a failed attempt. */
  readonly username?: string | undefined;
}

/** The demo login form: labelled fields, no JavaScript, the demo credentials stated on the page. */
export function renderLoginPage(options: LoginPageOptions): string {
  const error =
    options.error === undefined ? html`` : html`<p class="error" role="alert" id="login-error">${options.error}</p> `;
  const describedBy = options.error === undefined ? 'demo-account' : 'login-error demo-account';
  return renderPage(
    DEMO_SITE,
    'Sign in',
    html`<p class="banner" id="demo-account">
        Demo provider — user: <code>${options.demoUser}</code>, password: <code>${options.demoPassword}</code>
      </p>
      <p><strong>${options.clientId}</strong> asks you to sign in.</p>
      ${error}
      <form method="post" action="${options.action}" aria-describedby="${describedBy}">
        <input type="hidden" name="prompt" value="login" />
        <label for="username">User name</label>
        <input
          id="username"
          name="username"
          type="text"
          autocomplete="username"
          required
          autofocus
          value="${options.username ?? ''}"
        />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>`,
  );
}
