/** What both token-endpoint clients (the refresh path and OIDC discovery) need of a fetch answer. */

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

/** A short reason for a failed fetch or body read: the timeout, or the socket's error code. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
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
  response: Response,
  maxBytes: number,
  tooLarge: () => Error,
  readFailed: (error: unknown, bytesSoFar: number) => unknown = (error) => error,
): Promise<string> {
  if (Number(response.headers.get('content-length') ?? '') > maxBytes) {
    void response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw readFailed(error, total);
    }
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total > maxBytes) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
