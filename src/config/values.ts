/** Parsers for HTCondor's value syntax. Each returns a value or pushes a problem that names the knob. */

export type KnobLookup = (name: string) => string | undefined;

/** HTCondor booleans: true/false, yes/no, t/f, 1/0, case-insensitive. */
export function parseBoolean(knob: string, raw: string | undefined, fallback: boolean, problems: string[]): boolean {
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', 'yes', 't', '1'].includes(v)) return true;
  if (['false', 'no', 'f', '0'].includes(v)) return false;
  problems.push(`${knob} = ${raw}: expected true or false`);
  return fallback;
}

/** A positive whole number of seconds (HTCondor allows a trailing comment-free integer only here). */
export function parsePositiveInteger(
  knob: string,
  raw: string | undefined,
  fallback: number,
  problems: string[],
): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim();
  if (!/^\d+$/.test(v) || Number(v) <= 0 || !Number.isSafeInteger(Number(v))) {
    problems.push(`${knob} = ${raw}: expected a positive whole number of seconds`);
    return fallback;
  }
  return Number(v);
}

/** An absolute filesystem path. */
export function parseAbsolutePath(
  knob: string,
  raw: string | undefined,
  fallback: string | undefined,
  problems: string[],
): string | undefined {
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim();
  if (!v.startsWith('/')) {
    problems.push(`${knob} = ${raw}: expected an absolute path`);
    return fallback;
  }
  return v;
}

/** An https:// (or, for development on loopback, http://) URL, returned without a trailing slash. */
export function parseHttpUrl(
  knob: string,
  raw: string,
  problems: string[],
  options: { allowQuery?: boolean } = {},
): string {
  const v = raw.trim();
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    problems.push(`${knob} = ${raw}: not a URL`);
    return v;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    problems.push(`${knob} = ${raw}: expected an https:// URL`);
  if (url.hash || (!options.allowQuery && url.search)) problems.push(`${knob} = ${raw}: expected no query or fragment`);
  return v.replace(/\/+$/, '');
}

/** An issuer URL (`iss`): http(s), no query, no fragment, no trailing slash. */
export function parseIssuerUrl(knob: string, raw: string, problems: string[]): string {
  return parseHttpUrl(knob, raw, problems);
}

/** LOCAL_CREDMON_ISSUER, or upstream's default `https://$(FULL_HOSTNAME)`: the credmon and the web app agree on it. */
export function parseLocalIssuer(lookup: KnobLookup, problems: string[], knob = 'LOCAL_CREDMON_ISSUER'): string {
  const hostname = (lookup('FULL_HOSTNAME') ?? '').trim() || 'localhost';
  return parseIssuerUrl(knob, (lookup('LOCAL_CREDMON_ISSUER') ?? '').trim() || `https://${hostname}`, problems);
}
