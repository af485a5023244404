/**
 * Which scopes the demo provider grants its client-credentials client (`robot`, the sandbox's CLIENT_CREDMON
 * provider): the user it acts for (`condor.user:<user>`), WLCG storage scopes below `/user/<name>` and the WLCG
 * profile scope `wlcg`. Any other requested word is left out of the token, as oidc-provider does for a resource
 * server's scopes. The robot's secret is root's only (the credmon's), so it may name any user; it may never ask for
 * the storage's root or `/public`.
 */

/** A user name as upstream's ClientCredmon.py quotes it (urllib.parse.quote: `A-Za-z0-9_.-~` and `%XX`). */
const USER = /^condor\.user:[A-Za-z0-9._~%-]{1,256}$/;
/** `storage.read|create|modify:/user/<name>[/<more>]`: no empty, `.` or `..` segment, no trailing `/`. */
const STORAGE = /^storage\.(?:read|create|modify):\/user(?:\/[^\s/]{1,255}){1,32}$/;
/** The longest scope word considered at all. */
const MAX_WORD_CHARS = 2048;

export interface RobotScopeDecision {
  /** The requested words the robot may have, in the order asked, each once. */
  readonly granted: readonly string[];
  /** The requested words left out (at most 10, each cut to 80 characters: for a log line). */
  readonly dropped: readonly string[];
}

/** True when `word` is one scope the robot may be granted. */
export function isRobotScope(word: string): boolean {
  if (word.length > MAX_WORD_CHARS) return false;
  if (word === 'wlcg' || USER.test(word)) return true;
  if (!STORAGE.test(word)) return false;
  const segments = word.slice(word.indexOf(':') + 1).split('/');
  return !segments.slice(2).some((s) => s === '.' || s === '..');
}

/** Splits a requested `scope` (RFC 6749 §3.3, space-separated) into what the robot gets and what it does not. */
export function grantRobotScopes(requested: string | undefined): RobotScopeDecision {
  const words = [...new Set((requested ?? '').split(' ').filter((w) => w !== ''))];
  const granted = words.filter(isRobotScope);
  const dropped = words
    .filter((w) => !isRobotScope(w))
    .slice(0, 10)
    .map((w) => (w.length > 80 ? `${w.slice(0, 80)}…` : w));
  return { granted, dropped };
}
