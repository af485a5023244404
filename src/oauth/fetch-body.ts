/** What both token-endpoint clients (the refresh path and OIDC discovery) need of an HTTP answer. */
import type { HttpAnswer } from './http-answer.js';

const MAX_DESCRIPTION_CHARS = 200;

/** Provider text on one line, without control or invisible formatting characters, at most 200 characters. */
export function oneLine(text: string): string {
  const flat = text
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...flat];
  return chars.length > MAX_DESCRIPTION_CHARS ? `${chars.slice(0, MAX_DESCRIPTION_CHARS).join('')}…` : flat;
}

/** A short reason for a failed request or body read: the timeout, or the socket's error code. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  // Node's HTTP client puts the code on the error; fetch on its cause.
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string' && /^E[A-Z_]+$/.test(own)) return own;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const why =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : String((error as Error | null)?.message ?? error);
  return oneLine(why);
}

/**
 * Reads at most `maxBytes` of the body as text, streaming: a longer answer (declared or not) throws `tooLarge()` and
 * the connection is dropped, so a hostile or broken server costs at most the cap in memory. A read that fails
 * throws `readFailed(error, bytesSoFar)` (by default the read's own error).
 */
export async function readCappedText(
  answer: HttpAnswer,
  maxBytes: number,
  tooLarge: () => Error,
  readFailed: (error: unknown, bytesSoFar: number) => unknown = (error) => error,
): Promise<string> {
  if (Number(answer.header('content-length') ?? '') > maxBytes) {
    answer.discard();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = answer.body[Symbol.asyncIterator]();
  for (;;) {
    let chunk: IteratorResult<Uint8Array>;
    try {
      chunk = await reader.next();
    } catch (error) {
      throw readFailed(error, total);
    }
    if (chunk.done === true) break;
    total += chunk.value.byteLength;
    if (total > maxBytes) {
      // The iterator holds the body (a WHATWG stream is locked to it): ending it cancels the body, then the rest goes.
      void reader.return?.()?.catch(() => undefined);
      answer.discard();
      throw tooLarge();
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
