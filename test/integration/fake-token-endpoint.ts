/**
 * A real OAuth token endpoint on 127.0.0.1:0 for integration tests (not a test file itself). Each request is recorded
 * (headers and form body); the responder decides the answer.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly form: URLSearchParams;
}

export interface CannedResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Full control of the answer, for faults: resets, slow or endless bodies (the test writes to `res` itself). */
export interface RawResponse {
  readonly raw: (res: ServerResponse) => void;
}

/** 'hang': never answer; 'hang-body': send 200 headers and half a JSON body, then nothing. */
export type Responder = (
  request: RecordedRequest,
  index: number,
) => CannedResponse | 'hang' | 'hang-body' | Promise<CannedResponse>;

/** A Responder that may also take the answer into its own hands (RawResponse). */
export type FaultResponder = (request: RecordedRequest, index: number) => ReturnType<Responder> | RawResponse;

export interface FakeTokenEndpoint {
  readonly url: string;
  readonly requests: RecordedRequest[];
  respondWith(responder: FaultResponder): void;
  close(): Promise<void>;
}

export function json(status: number, body: unknown): CannedResponse {
  return { status, body: JSON.stringify(body), contentType: 'application/json' };
}

export async function startTokenEndpoint(responder: FaultResponder): Promise<FakeTokenEndpoint> {
  let current = responder;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        form: new URLSearchParams(body),
      };
      requests.push(recorded);
      const answer = current(recorded, requests.length - 1);
      if (answer instanceof Promise) {
        void answer.then((later) =>
          res
            .writeHead(later.status, { 'content-type': later.contentType ?? 'text/plain', ...later.headers })
            .end(later.body),
        );
        return;
      }
      if (answer === 'hang') return;
      if (typeof answer === 'object' && 'raw' in answer) {
        answer.raw(res);
        return;
      }
      if (answer === 'hang-body') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"access_token": "at-partial');
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/plain', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/oauth2/token`,
    requests,
    respondWith(next) {
      current = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback URL on which nothing listens (the port was just released). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/token`;
}

/**
 * A provider that rotates refresh tokens and revokes the one it replaces (as Box does, and OIDC providers with
 * refresh-token rotation): a refresh with the current refresh token answers a new one, any other refresh token (an
 * earlier one) gets 400 invalid_grant. `accessTokenBytes` makes large access tokens (a multi-page `.use`).
 */
export interface RotatingProvider {
  readonly responder: Responder;
  /** The only refresh token the provider accepts now. */
  current(): string;
  /** Every refresh token it issued or accepted, oldest first (the first is the initial one). */
  readonly issued: readonly string[];
  /** The refresh token each refresh request sent, in order. */
  readonly presented: readonly string[];
  /** A new login: the provider issued `refreshToken` (a new grant); it is the only one accepted from now on. */
  login(refreshToken: string): void;
}

export interface RotatingOptions {
  /** Pad access tokens to this length (a `.use` of several pages). */
  readonly accessTokenBytes?: number;
}

export function rotatingRefreshTokens(initial: string, options: RotatingOptions = {}): RotatingProvider {
  const issued = [initial];
  const presented: string[] = [];
  const current = (): string => issued[issued.length - 1] ?? initial;
  const responder: Responder = (request) => {
    const sent = request.form.get('refresh_token') ?? '';
    presented.push(sent);
    if (request.form.get('grant_type') !== 'refresh_token' || sent !== current()) {
      return json(400, { error: 'invalid_grant', error_description: 'refresh token revoked or unknown' });
    }
    const n = issued.length;
    issued.push(`rt-rotated-${n}-secret`);
    const accessToken = `at-rotated-${n}-secret-`.padEnd(options.accessTokenBytes ?? 32, 'x');
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: current() });
  };
  return { responder, current, issued, presented, login: (refreshToken) => void issued.push(refreshToken) };
}
