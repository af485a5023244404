import { html, type Site } from '../../html/index.js';

/** The web app's pages in the shared frame (src/html): its title suffix, its header line, its advice on errors. */
export const WEB_SITE: Site = {
  titleSuffix: ' – HTCondor credentials',
  header: 'HTCondor credential manager (credmon-sandbox)',
  errorHint: html`If this keeps happening, run <code>condor_submit</code> again to get a new link.`,
};
