import { execFileSync } from 'node:child_process';
import { ClassAdEvaluationFailed, ConfigInvalid } from '../shared/errors.js';

/**
 * LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR (HTCondor 25.2.1+): a ClassAd expression, evaluated in an ad holding only
 * `Username`, whose string value is one more scope of that user's token (upstream's LocalCredmon
 * generate_access_token_info). HTCondor's own `classad_eval` evaluates it, so every ClassAd function an admin may use
 * behaves as in HTCondor; many users go to one process (10,000 users take about 0.8 s), and each user's value is kept
 * for the life of the process (it depends on nothing else).
 */

/**
 * Evaluates `expression` for each user: its string value, or undefined when it is not a string. Throws
 * ClassAdEvaluationFailed when it cannot evaluate at all.
 */
export type ClassAdEvaluator = (expression: string, users: readonly string[]) => Map<string, string | undefined>;

/** A value a scope may hold: printable ASCII without spaces (a space would make it two scopes). */
const SCOPE_TEXT = /^[\x21-\x7e]+$/;

/** Where classad_eval is looked for when neither the caller nor this process's environment says. */
const FALLBACK_PATH = '/usr/bin:/bin';

/**
 * The evaluator that runs HTCondor's `classad_eval` (CONDOR_CONFIG=ONLY_ENV: it needs no configuration). Each user's
 * value comes back as one ClassAd string literal: `"S<value>"` when the expression is a string, `"N"` otherwise.
 * The child's environment is only CONDOR_CONFIG and PATH: `envPath`, which the composition root gives (its own
 * PATH, passed down from src/bin); without it, a fixed system PATH (FALLBACK_PATH).
 */
export function classadEvalEvaluator(binary = 'classad_eval', timeoutMs = 30_000, envPath?: string): ClassAdEvaluator {
  return (expression, users) => {
    const wrapped = `ifThenElse(isString(${expression}), strcat("S", ${expression}), "N")`;
    const args = ['-quiet'];
    for (const user of users) args.push(`Username = ${quoteClassAdString(user)}`, wrapped);
    let output: string;
    try {
      output = execFileSync(binary, args, {
        encoding: 'utf8',
        env: { PATH: envPath ?? FALLBACK_PATH, CONDOR_CONFIG: 'ONLY_ENV' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
      if (e.code === 'ENOENT')
        throw new ClassAdEvaluationFailed(`${binary} (HTCondor's ClassAd evaluator) is not installed`);
      const said = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-1)[0] ?? '';
      // classad_eval quotes what it could not parse: our wrapper around the admin's expression, which would confuse.
      if (said.startsWith('Unable to turn'))
        throw new ClassAdEvaluationFailed('not a ClassAd expression (classad_eval cannot parse it)');
      throw new ClassAdEvaluationFailed(`${binary} failed${said ? `: ${said}` : ` (${e.message})`}`);
    }
    const lines = output.split('\n').filter((line) => line !== '');
    if (lines.length !== users.length) {
      throw new ClassAdEvaluationFailed(`${binary} answered ${lines.length} values for ${users.length} users`);
    }
    const values = new Map<string, string | undefined>();
    users.forEach((user, i) => {
      const value = parseClassAdString(lines[i] ?? '');
      values.set(user, value?.startsWith('S') ? value.slice(1) : undefined);
    });
    return values;
  };
}

/** After a failed evaluation, how long every user goes without the expression's scope before the next try. */
const RETRY_AFTER_FAILURE_MS = 60_000;

/** Each user's extra scope, evaluated in batches and remembered. */
export class ScopeExpression {
  private readonly values = new Map<string, string | undefined>();
  private failure: { readonly atMs: number; readonly error: unknown } | undefined;

  constructor(
    readonly expression: string,
    private readonly evaluate: ClassAdEvaluator,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Evaluates the expression for every user in `users` not seen before, in one batch. Throws
   * ClassAdEvaluationFailed when it cannot; then, for a minute, every call throws that again at once (a scan of
   * thousands of users must not start thousands of processes that fail), and the values stay unknown.
   */
  prepare(users: readonly string[]): void {
    const missing = [...new Set(users)].filter((user) => !this.values.has(user));
    if (missing.length === 0) return;
    if (this.failure && this.now() - this.failure.atMs < RETRY_AFTER_FAILURE_MS) throw this.failure.error;
    let evaluated: Map<string, string | undefined>;
    try {
      evaluated = this.evaluate(this.expression, missing);
    } catch (error) {
      this.failure = { atMs: this.now(), error };
      throw error;
    }
    this.failure = undefined;
    for (const [user, value] of evaluated) {
      this.values.set(user, value !== undefined && SCOPE_TEXT.test(value) ? value : undefined);
    }
  }

  /** The user's extra scope, or undefined when the expression gives no usable string for them. */
  scopeFor(user: string): string | undefined {
    this.prepare([user]);
    return this.values.get(user);
  }

  /** Checks at start that the expression evaluates at all (a syntax error, no classad_eval): ConfigInvalid names `knob`. */
  check(knob: string): void {
    try {
      this.evaluate(this.expression, ['nobody']);
    } catch (error) {
      throw new ConfigInvalid([
        `${knob} = ${this.expression}: ${error instanceof Error ? error.message : String(error)}`,
      ]);
    }
  }
}

/** A ClassAd string literal for `value` (user names are letters, digits and - + = _ . only, but quote anyway). */
function quoteClassAdString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 10,
  t: 9,
  r: 13,
  b: 8,
  f: 12,
  a: 7,
  v: 11,
  '\\': 92,
  '"': 34,
  "'": 39,
  '/': 47,
};

/**
 * The value of one ClassAd string literal as classad_eval prints it (`"a\\b\"\n\303\251"`: C escapes, non-ASCII
 * bytes in octal, UTF-8); undefined when the line is not a string literal (undefined, error, a number).
 */
export function parseClassAdString(line: string): string | undefined {
  const m = /^"(.*)"$/s.exec(line.trim());
  if (m === null) return undefined;
  const body = m[1] ?? '';
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1))?.[0];
    if (octal) {
      bytes.push(Number.parseInt(octal, 8) & 0xff);
      i += octal.length;
    } else if (next in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[next] ?? 0);
      i += 1;
    } else return undefined;
  }
  return Buffer.from(bytes).toString('utf8');
}
