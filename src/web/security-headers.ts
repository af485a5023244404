import type { FastifyReply, FastifyRequest } from 'fastify';
import { pageHeaders } from '../html/index.js';

/** HSTS for a real host name: one year. No includeSubDomains/preload: the sandbox does not own its parent domain. */
export const HSTS_LONG = 'max-age=31536000';
/**
 * HSTS for localhost: five minutes. Browsers apply HSTS to every port of a host, so a year-long policy learnt from the
 * sandbox at https://localhost:8443 would break every plain-http development server on localhost for a year.
 */
export const HSTS_LOCALHOST = 'max-age=300';

/** The one header set of both apps' pages (src/html/page-headers.ts); the web app's pages post no form. */
const FIXED = pageHeaders({ postsForms: false });

function isLocalHost(hostname: string): boolean {
  const host = hostname
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1';
}

/**
 * An onSend hook that gives every answer what a scanner of an OAuth client expects. Pages and errors default to
 * Cache-Control: no-store (they carry keys, states, session cookies); routes that may be cached (the JWKS, discovery)
 * set their own. HSTS only over HTTPS (nginx says so in X-Forwarded-Proto, over the Unix socket or from 127.0.0.1).
 */
export function addSecurityHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  for (const [name, value] of Object.entries(FIXED)) void reply.header(name, value);
  if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  if (request.protocol === 'https')
    void reply.header('strict-transport-security', isLocalHost(request.host) ? HSTS_LOCALHOST : HSTS_LONG);
  return Promise.resolve(payload);
}
