import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PAGE_STYLE } from './pages/html.js';

/** HSTS for a real host name: one year. No includeSubDomains/preload: the sandbox does not own its parent domain. */
export const HSTS_LONG = 'max-age=31536000';
/**
 * HSTS for localhost: five minutes. Browsers apply HSTS to every port of a host, so a year-long policy learnt from the
 * sandbox at https://localhost:8443 would break every plain-http development server on localhost for a year.
 */
export const HSTS_LOCALHOST = 'max-age=300';

/**
 * The pages carry no script, no images and no forms; their only style is the inline <style> of pages/html.ts,
 * allowed by its hash. Nothing may frame them (clickjacking of the "Log in" button).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`,
  "img-src 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const FIXED: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  // /key/<64 hex> is a capability: it must not leak to the provider (or anyone) in a Referer header.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

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
  if (request.protocol === 'https') void reply.header('strict-transport-security', isLocalHost(request.host) ? HSTS_LOCALHOST : HSTS_LONG);
  return Promise.resolve(payload);
}
