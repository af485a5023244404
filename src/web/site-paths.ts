/**
 * The browser-facing paths of the login pages. The app's routes live at the root; when the site serves it under a
 * path (CREDMON_WEB_PREFIX = https://host/credmon), the web server strips that path before the app sees a request,
 * and every link, redirect and cookie the app hands to a browser carries it again.
 */
export interface SitePaths {
  /** '' at the root of the host, else '/credmon' (no trailing slash). */
  readonly base: string;
  key(key: string): string;
  login(key: string, name: string): string;
}

export function sitePaths(base = ''): SitePaths {
  return Object.freeze({
    base,
    key: (key: string) => `${base}/key/${key}`,
    login: (key: string, name: string) => `${base}/login/${key}/${name}`,
  });
}
