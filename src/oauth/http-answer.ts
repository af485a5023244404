import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * What the token-endpoint clients need of an HTTP answer: its status, a header, and its body as chunks, which may be
 * dropped unread (the connection is then closed, so a hostile body costs nothing).
 */
export interface HttpAnswer {
  readonly status: number;
  header(name: string): string | null;
  readonly body: AsyncIterable<Uint8Array>;
  /** Drops the rest of the body and its connection. */
  discard(): void;
}

export interface HttpPost {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Aborts the request, or the reading of its body, when it fires. */
  readonly signal: AbortSignal;
}

/** Sends one POST and resolves with the answer's head (the body is read from the answer). */
export type PostRequester = (url: string, post: HttpPost) => Promise<HttpAnswer>;

/**
 * POSTs with Node's own HTTP client over its global agents, which keep connections alive per origin (Node 20: a
 * free socket is kept 5 s, less when the server's Keep-Alive says so). A token request is a few hundred bytes each
 * way, so the WHATWG fetch machinery (streams, Request and Response objects) costs more than the exchange itself;
 * this client parses the same answers for about half the CPU (docs/performance.md). Redirects are never followed.
 */
export const postWithNode: PostRequester = (url, post) =>
  new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
    if (!send) {
      reject(new TypeError(`unsupported protocol ${target.protocol}`));
      return;
    }
    const request = send(target, {
      method: 'POST',
      headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
      signal: post.signal,
    });
    // After the answer, a late error (a reset body) reaches the reader through the answer's stream.
    request.on('error', reject);
    request.on('response', (response) => {
      // A timeout while the body trickles in ends the read with the signal's own reason, as fetch does.
      const abort = (): void => void response.destroy(post.signal.reason as Error);
      post.signal.addEventListener('abort', abort, { once: true });
      response.once('close', () => post.signal.removeEventListener('abort', abort));
      resolve({
        status: response.statusCode ?? 0,
        header: (name) => {
          const value = response.headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
        body: response,
        discard: () => response.destroy(),
      });
    });
    request.end(post.body);
  });

/** The same answer from a WHATWG fetch Response (OIDC discovery, and tests that inject a fetch). */
export function answerOfResponse(response: Response): HttpAnswer {
  const stream = response.body as ReadableStream<Uint8Array> | null;
  return {
    status: response.status,
    header: (name) => response.headers.get(name),
    body: stream ?? (async function* empty() {})(),
    discard: () => void stream?.cancel().catch(() => undefined),
  };
}

/** A PostRequester made of a fetch (tests inject one; redirects are refused as by postWithNode). */
export function postWithFetch(doFetch: typeof fetch): PostRequester {
  return async (url, post) =>
    answerOfResponse(
      await doFetch(url, {
        method: 'POST',
        headers: post.headers,
        body: post.body,
        signal: post.signal,
        redirect: 'manual',
      }),
    );
}
