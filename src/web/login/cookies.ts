export const SESSION_COOKIE = 'credmon_session';

/** Reads one cookie from a Cookie header (RFC 6265 syntax; values are our own base64url tokens). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * The session cookie: HttpOnly, Secure (the site is only served over HTTPS), SameSite=Lax (survives the provider's
 * redirect back), sent only to the login pages' path (`/` at the root of the host).
 */
export function sessionCookie(value: string, maxAgeS: number, path = '/'): string {
  return `${SESSION_COOKIE}=${value}; Path=${path}; HttpOnly; Secure; SameSite=Lax; Max-Age=${maxAgeS}`;
}
