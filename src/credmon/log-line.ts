import type { Logger } from 'pino';
import type { CredentialRef } from '../credentials/index.js';

/** A log line as a value, so that pure functions can say what to log and the caller's logger writes it. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export function writeLogLine(log: Logger, line: LogLine): void {
  if (line.fields) log[line.level](line.fields, line.message);
  else log[line.level](line.message);
}

/** The logger of one credential: every line it writes names the user and the credential. */
export function credentialLogger(log: Logger, ref: Pick<CredentialRef, 'user' | 'name'>): Logger {
  return log.child({ user: ref.user, credential: ref.name });
}
