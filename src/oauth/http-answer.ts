import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext } from 'node:tls';

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

let httpsAgent: HttpsAgent | undefined;

/**
 * The HTTPS agent of every token request: connections kept alive per origin (a free socket 5 s, less when the
 * server's Keep-Alive says so), and one TLS context for all of them. Without it each new connection builds its own
 * context, copying every trusted CA (the system bundle and NODE_EXTRA_CA_CERTS) into a new store: about 2 ms of CPU
 * per connection, 50 of them when a storm of refreshes opens the provider's connections at once.
 */
function tokenHttpsAgent(): HttpsAgent {
  httpsAgent ??= new HttpsAgent({ keepAlive: true, timeout: 5000, secureContext: createSecureContext() });
  return httpsAgent;
}

/**
 * POSTs with Node's own HTTP client: over HTTPS with tokenHttpsAgent, over plain HTTP (tests, a local endpoint)
 * with the global agent, which keeps connections alive as well. A token request is a few hundred bytes each
 * way, so the WHATWG fetch machinery (streams, Request and Response objects) costs more than the exchange itself;
 * this client parses the same answers for about half the CPU (docs/performance.md). Redirects are never followed.
 */
export const postWithNode: PostRequester = (url, post) =>
  new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const https = target.protocol === 'https:';
    if (!https && target.protocol !== 'http:') {
      reject(new TypeError(`unsupported protocol ${target.protocol}`));
      return;
    }
    const request = (https ? httpsRequest : httpRequest)(target, {
      ...(https ? { agent: tokenHttpsAgent() } : {}),
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
