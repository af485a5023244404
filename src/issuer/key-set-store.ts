import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../credentials/index.js';
import { signingKeyOf, type KeySet, type NewKey } from './key-set.js';
import { KeySetFileInvalid } from '../shared/errors.js';
import { isProcessAlive } from '../shared/process-alive.js';
import { formatKeySetFile, isSafeKeyId, parseKeySetFile } from './key-set-file.js';
import { parseSigningKey, type SigningAlgorithm, type SigningKey } from './signing-key.js';

/**
 * A local issuer's key set on disk: `keyset.json` (which keys, their states and times: 0644), one `<kid>.pem` per key
 * (the private key: 0600, root's) and `<kid>.pub` (SPKI PEM, 0644: what the web app publishes). The directory sits
 * beside LOCAL_CREDMON_PRIVATE_KEY (`keySetDirectoryFor`); without `keyset.json` the issuer signs with that one key
 * as before. Crash order: a new key's files are written and synced before `keyset.json` names them (its atomic
 * replacement is the commit), so files that `keyset.json` does not name are leftovers that `removeUnlistedKeys`
 * deletes; a named key whose file is missing makes the set unusable, with the file's name.
 */
export const KEY_SET_FILE = 'keyset.json';
const LOCK_FILE = 'keyset.lock';
const MAX_PEM_BYTES = 16_384;

/** `/etc/condor/scitokens-private.pem` → `/etc/condor/scitokens-private.keyset`. */
export function keySetDirectoryFor(privateKeyPath: string): string {
  return `${privateKeyPath.replace(/\.pem$/, '')}.keyset`;
}

/** A key set with its keys loaded: what signs and what is published. */
export interface LoadedKeySet {
  readonly set: KeySet;
  readonly keys: ReadonlyMap<string, SigningKey>;
}

/** The key set in `dir`, or undefined when there is none (no `keyset.json`). Throws KeySetFileInvalid. */
export async function readKeySet(dir: string): Promise<KeySet | undefined> {
  const path = join(dir, KEY_SET_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeySetFileInvalid(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseKeySetFile(text, path);
}

/** Loads the private key of the set's active key (what signs), checking its algorithm. Root only. */
export async function loadActiveKey(dir: string, set: KeySet): Promise<SigningKey> {
  const loaded = await loadKeySetKeys(dir, { keys: [signingKeyOf(set)] });
  return loaded.keys.get(signingKeyOf(set).kid) as SigningKey;
}

/** Loads every key `set` names from `dir` (private keys, so root only). */
export async function loadKeySetKeys(dir: string, set: KeySet): Promise<LoadedKeySet> {
  const keys = new Map<string, SigningKey>();
  for (const entry of set.keys) {
    const path = join(dir, `${entry.kid}.pem`);
    const pem = await readPem(path);
    const key = parseSigningKey(pem, entry.kid, path);
    if (key.alg !== entry.alg)
      throw new KeySetFileInvalid(`${path} is an ${key.alg} key; ${KEY_SET_FILE} says ${entry.alg}`);
    keys.set(entry.kid, key);
  }
  return { set, keys };
}

/** The public keys `set` publishes, from `<kid>.pub` (readable by the web app, which has no private key). */
export async function readPublicPems(dir: string, set: KeySet): Promise<Map<string, string>> {
  const pems = new Map<string, string>();
  for (const entry of set.keys) pems.set(entry.kid, await readPem(join(dir, `${entry.kid}.pub`)));
  return pems;
}

/** Replaces `keyset.json` (durable, atomic: the commit point of every change). */
export async function writeKeySet(dir: string, set: KeySet): Promise<void> {
  await writeFileAtomically(join(dir, KEY_SET_FILE), formatKeySetFile(set), { mode: 0o644 });
}

/**
 * Generates a key (`alg`) under a new kid `<prefix>-<UTC date and time>-<4 hex>` and writes its files, synced, with
 * O_EXCL: the private key 0600, the public key 0644. `keyset.json` does not name it yet.
 */
export async function generateKeyFiles(
  dir: string,
  prefix: string,
  alg: SigningAlgorithm,
  nowMs: number,
): Promise<NewKey> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const kid = `${prefix}-${stamp}-${randomBytes(2).toString('hex')}`;
  if (!isSafeKeyId(kid)) throw new KeySetFileInvalid(`cannot make a key id from ${prefix}: ${kid} is not a safe name`);
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: alg === 'ES384' ? 'P-384' : 'P-256' });
  const type = alg === 'RS256' ? 'pkcs1' : 'sec1';
  await writeNew(join(dir, `${kid}.pem`), String(pair.privateKey.export({ format: 'pem', type })), 0o600);
  await writeNew(join(dir, `${kid}.pub`), String(pair.publicKey.export({ format: 'pem', type: 'spki' })), 0o644);
  return { kid, alg };
}

/** Installs an existing key (today's single key, at the first rotation) under `kid`, synced. */
export async function installKeyFiles(dir: string, key: SigningKey): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const type = key.alg === 'RS256' ? 'pkcs1' : 'sec1';
  await writeFileAtomically(join(dir, `${key.kid}.pem`), String(key.privateKey.export({ format: 'pem', type })), {
    mode: 0o600,
  });
  const spki = String(key.publicKey.export({ format: 'pem', type: 'spki' }));
  await writeFileAtomically(join(dir, `${key.kid}.pub`), spki, { mode: 0o644 });
}

/**
 * Deletes key files `set` does not name (a crash between writing a key and naming it, or a key that left) and temp
 * files of interrupted writes. Call it holding the lock.
 */
export async function removeUnlistedKeys(dir: string, set: KeySet): Promise<string[]> {
  const named = new Set(set.keys.map((k) => k.kid));
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    // A temp file of an atomic write killed half-way: only the lock's holder writes here, so none is in use.
    const waiting = /^\.lock-(\d+)-/.exec(name);
    if (waiting && isProcessAlive(Number(waiting[1]))) continue; // another process about to take the lock
    if (name.startsWith('.') && name.endsWith('.tmp')) {
      await unlink(join(dir, name)).catch(() => undefined);
      removed.push(name);
      continue;
    }
    const match = /^(.+)\.(pem|pub)$/.exec(name);
    if (!match || named.has(match[1] ?? '')) continue;
    await unlink(join(dir, name)).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

/**
 * Runs `change` holding the key set's lock (`keyset.lock`, holding the pid; it appears complete, by link(2) of a
 * written temp file, or not at all): the credmon and `credmon-key` never both rewrite `keyset.json`. A lock whose
 * process is gone (a crash), or that names this very process (a restarted container often reuses the pid: no call
 * here nests), is taken over; a live holder is waited for 5 s, then named in the error.
 */
export async function withKeySetLock<T>(dir: string, change: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, LOCK_FILE);
  const mine = join(dir, `.lock-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(mine, String(process.pid), { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(mine, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (holder === process.pid || !isProcessAlive(holder)) await unlink(path).catch(() => undefined);
        else if (attempt >= 50) {
          throw new KeySetFileInvalid(`${path} is held by the running process ${holder}; try again when it is done`);
        } else await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await unlink(mine).catch(() => undefined);
  }
  try {
    return await change();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

async function readPem(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_PEM_BYTES)
      throw new Error(`not a regular file of at most ${MAX_PEM_BYTES} bytes`);
    return await handle.readFile('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? (error as Error).message})`;
    throw new KeySetFileInvalid(`${path}, named in ${KEY_SET_FILE}, ${why}`);
  } finally {
    await handle?.close();
  }
}

async function writeNew(path: string, data: string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
