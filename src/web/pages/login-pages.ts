import type { LoginSession, RequestSummary } from '../login/login-store.js';
import type { SitePaths } from '../site-paths.js';
import { html, renderPage, type Html } from '../../html/index.js';
import { WEB_SITE } from './web-site.js';

function describeRequest(r: RequestSummary): string {
  return r.handle ? `${r.provider} (handle ${r.handle})` : r.provider;
}

/** The page condor_submit's link opens: what the job needs, what is done, and a login button for the rest. */
export function renderKeyPage(session: LoginSession, paths: SitePaths): string {
  const all = session.done.size === session.names.length;
  const rows: Html[] = session.names.map((name) => {
    const r = session.requested.get(name);
    const done = session.done.get(name);
    const status = done
      ? html`<span class="ok">✔ Logged in${done.subject ? html` as ${done.subject}` : ''}</span>`
      : html`<span class="todo">Not yet</span>
          <a class="button" href="${paths.login(session.key, name)}">Log in to ${r ? r.provider : name}</a>`;
    return html`<tr>
      <th scope="row">${r ? describeRequest(r) : name}</th>
      <td>${r?.scopes || '(provider default)'}</td>
      <td>${r?.audience || '(none)'}</td>
      <td>${status}</td>
    </tr>`;
  });
  const lead = all
    ? html`<p class="note">
        <strong>All done.</strong> HTCondor now holds the tokens your job asked for and will keep them fresh. Go back to
        your terminal and <strong>run the same <code>condor_submit</code> command again</strong>; you may close this
        window.
      </p>`
    : html`<p>
        Your job, submitted as local user <strong>${session.localUser}</strong>, needs tokens from the providers below.
        Log in to each one; HTCondor then keeps the tokens fresh for as long as you have jobs. When every row says
        “Logged in”, run <code>condor_submit</code> again.
      </p>`;
  return renderPage(
    WEB_SITE,
    all ? 'You are logged in' : 'Log in to get tokens for your job',
    html`${lead}
      <table>
        <caption class="note">
          Credentials requested (${session.done.size} of ${session.names.length} done)
        </caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Scopes</th>
            <th scope="col">Audience</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>`,
  );
}

/** The front page without a session: what this site is. */
export function renderIndexPage(): string {
  return renderPage(
    WEB_SITE,
    'Tokens for your HTCondor jobs',
    html`<p>
      This site lets HTCondor obtain OAuth tokens on your behalf. You do not start here: when a job needs a token you
      have not granted yet,
      <code>condor_submit</code> prints a link to this site. Open that link, log in to each provider it lists, then run
      <code>condor_submit</code> again.
    </p>`,
  );
}
