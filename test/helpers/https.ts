/** HTTPS requests from the test itself that trust only the sandbox's CA: TLS verification stays on. */
import { request } from 'node:https';

export interface HttpsReply {
  readonly status: number;
  readonly body: string;
}

export interface HttpsAnswer extends HttpsReply {
  readonly headers: Record<string, string | string[] | undefined>;
}

/** GET over HTTPS trusting only `ca` (the sandbox's CA), asking for JSON. */
export function httpsGet(url: string, ca: string): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET', headers: { accept: 'application/json' }, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

export interface HttpsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Any HTTPS request trusting only `ca`, with a body and headers; for the storage's WebDAV answers (PUT, GET). */
export function httpsRequest(url: string, ca: string, options: HttpsRequestOptions = {}): Promise<HttpsReply> {
  const method = options.method ?? 'GET';
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, method, headers: options.headers ?? {}, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
