import type { IncomingMessage } from 'node:http';
import { CredmonSandboxError } from '../shared/errors.js';

export const FORM_BODY_LIMIT_BYTES = 16 * 1024;

/** A form POST we will not read: wrong content type (415) or too large (413). */
export class FormBodyRejected extends CredmonSandboxError {
  readonly code = 'ERR_FORM_BODY_REJECTED';
  readonly statusCode: 413 | 415;

  constructor(message: string, statusCode: 413 | 415) {
    super(message);
    this.statusCode = statusCode;
  }
}

/** Reads an application/x-www-form-urlencoded body of at most `limitBytes`, without trusting Content-Length. */
export async function readFormBody(req: IncomingMessage, limitBytes = FORM_BODY_LIMIT_BYTES): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new FormBodyRejected('expected an application/x-www-form-urlencoded form', 415);
  }
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    throw new FormBodyRejected(`form larger than ${limitBytes} bytes`, 413);
  }
  // Listeners rather than `for await`: leaving an async iterator early destroys the socket, and the 413 would be lost.
  return new Promise<URLSearchParams>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return; // keep draining so the response can still be written
      size += chunk.length;
      if (size > limitBytes) {
        tooLarge = true;
        chunks.length = 0;
        reject(new FormBodyRejected(`form larger than ${limitBytes} bytes`, 413));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (!tooLarge) resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    });
    req.once('error', reject);
  });
}
