import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { writeFileAtomically } from '../credentials/index.js';

interface StoredEntry {
  readonly payload: AdapterPayload;
  /** Epoch milliseconds; undefined = no expiry. */
  readonly expiresAtMs: number | undefined;
}

/** oidc-provider model names are PascalCase words; anything else is refused as a folder name. */
const MODEL_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const ENTRY_FILE = /^[0-9a-f]{64}\.json$/;

export interface FileAdapterOptions {
  readonly now?: () => number;
}

/**
 * oidc-provider's storage in files, so that grants, refresh tokens and sessions survive a restart of the demo
 * provider (its in-memory default forgets them, and users had to log in again). One folder per model (0700), one
 * file per entry named by the SHA-256 of its id (ids come from requests and never become paths), written atomically
 * (0600) with the project's writeFileAtomically. Expired entries are dropped when read, and swept at start.
 * Lookups by uid, user code or grant id scan a folder: fine for a demo with a handful of users, not for production.
 */
export async function createFileAdapterFactory(dir: string, options: FileAdapterOptions = {}): Promise<AdapterFactory> {
  const now = options.now ?? Date.now;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await sweepExpired(dir, now());
  return (name: string) => new FileAdapter(dir, name, now);
}

class FileAdapter implements Adapter {
  private readonly folder: string;
  private readonly root: string;
  private readonly now: () => number;
  private ready: Promise<unknown> | undefined;

  constructor(root: string, name: string, now: () => number) {
    if (!MODEL_NAME.test(name)) throw new RangeError(`unexpected oidc-provider model name ${JSON.stringify(name)}`);
    this.root = root;
    this.folder = join(root, name);
    this.now = now;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.ready ??= mkdir(this.folder, { recursive: true, mode: 0o700 });
    await this.ready;
    const entry: StoredEntry = { payload, expiresAtMs: expiresIn > 0 ? this.now() + expiresIn * 1000 : undefined };
    await writeFileAtomically(this.pathOf(id), JSON.stringify(entry), { mode: 0o600 });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return (await this.read(this.pathOf(id)))?.payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere((p) => p.uid === uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere((p) => p.userCode === userCode);
  }

  async consume(id: string): Promise<void> {
    const path = this.pathOf(id);
    const entry = await this.read(path);
    if (!entry) return;
    const consumed: StoredEntry = { ...entry, payload: { ...entry.payload, consumed: Math.floor(this.now() / 1000) } };
    await writeFileAtomically(path, JSON.stringify(consumed), { mode: 0o600 });
  }

  async destroy(id: string): Promise<void> {
    await removeFile(this.pathOf(id));
  }

  /** Removes everything issued under a grant, in every model (refresh tokens, codes, the grant itself). */
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const model of await listFolder(this.root)) {
      if (!MODEL_NAME.test(model)) continue;
      for (const file of await listFolder(join(this.root, model))) {
        if (!ENTRY_FILE.test(file)) continue;
        const entry = await this.read(join(this.root, model, file));
        if (entry?.payload.grantId === grantId) await removeFile(join(this.root, model, file));
      }
    }
  }

  private pathOf(id: string): string {
    return join(this.folder, `${createHash('sha256').update(id).digest('hex')}.json`);
  }

  private async findWhere(match: (payload: AdapterPayload) => boolean): Promise<AdapterPayload | undefined> {
    for (const file of await listFolder(this.folder)) {
      if (!ENTRY_FILE.test(file)) continue;
      const entry = await this.read(join(this.folder, file));
      if (entry && match(entry.payload)) return entry.payload;
    }
    return undefined;
  }

  /** The entry at `path`, or undefined when missing, unreadable as JSON, or expired (then it is removed). */
  private async read(path: string): Promise<StoredEntry | undefined> {
    const entry = await readEntry(path);
    if (entry?.expiresAtMs !== undefined && entry.expiresAtMs <= this.now()) {
      await removeFile(path);
      return undefined;
    }
    return entry;
  }
}

async function readEntry(path: string): Promise<StoredEntry | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { payload, expiresAtMs } = parsed as { payload?: unknown; expiresAtMs?: unknown };
    if (typeof payload !== 'object' || payload === null) return undefined;
    return {
      payload: payload as AdapterPayload,
      expiresAtMs: typeof expiresAtMs === 'number' ? expiresAtMs : undefined,
    };
  } catch {
    return undefined;
  }
}

async function sweepExpired(root: string, nowMs: number): Promise<void> {
  for (const model of await listFolder(root)) {
    if (!MODEL_NAME.test(model)) continue;
    for (const file of await listFolder(join(root, model))) {
      const path = join(root, model, file);
      if (ENTRY_FILE.test(file)) {
        const entry = await readEntry(path);
        if (entry?.expiresAtMs !== undefined && entry.expiresAtMs <= nowMs) await removeFile(path);
      } else if (/^\.credmon-\d+-[0-9a-f]+\.tmp$/.test(file)) {
        await removeFile(path); // left behind by a crash in the middle of a write
      }
    }
  }
}

async function listFolder(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
      return [];
    throw error;
  }
}

async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
