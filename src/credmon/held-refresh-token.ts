import { inspect } from 'node:util';

/**
 * A refresh token that the provider issued (rotated) but that could not be written to the `.top` (the disk was full):
 * it lives only in this process's memory until a write succeeds, and it is the one to refresh with, since a provider
 * that rotates may already have revoked the one in the `.top`. A credmon restart before the write loses it.
 * It belongs to the `.top` it replaces, known by that file's mtime: a new login (a new `.top`) makes it stale.
 * Printing it (JSON, util.inspect, a log line) never shows the token.
 */
export class HeldRefreshToken {
  /** mtime of the `.top` on disk that still holds the older refresh token. */
  readonly topMtimeMs: number;
  readonly #token: string;

  constructor(token: string, topMtimeMs: number) {
    if (token === '') throw new RangeError('a held refresh token cannot be empty');
    this.#token = token;
    this.topMtimeMs = topMtimeMs;
  }

  /** The token itself, for the next refresh request and the `.top` write only. */
  reveal(): string {
    return this.#token;
  }

  /** Whether it still belongs to the `.top` on disk, which has `topMtimeMs` now. */
  belongsTo(topMtimeMs: number): boolean {
    return this.topMtimeMs === topMtimeMs;
  }

  toString(): string {
    return '[refresh token held in memory]';
  }

  toJSON(): { readonly heldRefreshToken: string; readonly topMtimeMs: number } {
    return { heldRefreshToken: '[held in memory]', topMtimeMs: this.topMtimeMs };
  }

  [inspect.custom](): string {
    return `HeldRefreshToken { topMtimeMs: ${this.topMtimeMs} }`;
  }
}
