import { open } from 'node:fs/promises';
import { READ_FLAGS, describeType } from './read-rules.js';

/** A client secret is a short string; a file larger than this is not one. */
export const MAX_CLIENT_SECRET_BYTES = 64 * 1024;

/** Why a client secret file cannot be used; the message names the knob and the file, never the secret. */
export class ClientSecretFileInvalid extends Error {
  override readonly name = 'ClientSecretFileInvalid';
}

/**
 * Reads a client secret as HTCondor's read_secure_file expects it kept: a regular file (no symlink, FIFO or device,
 * opened without blocking), owned by this process's user (`ownerUid`), readable by nobody else (no group or other
 * permission bits), at most MAX_CLIENT_SECRET_BYTES. The content is trimmed, as upstream's `fp.read().strip()`, and an
 * empty secret is refused (upstream's ClientCredmon raises on it).
 */
export async function readClientSecretFile(path: string, knob: string, ownerUid: number): Promise<string> {
  const where = `${knob} = ${path}`;
  let handle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why: Record<string, string> = {
      ENOENT: 'the file does not exist',
      EACCES: 'permission denied',
      ELOOP: 'it is a symbolic link; name the file itself',
    };
    throw new ClientSecretFileInvalid(`${where}: cannot read the client secret: ${why[code ?? ''] ?? code}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ClientSecretFileInvalid(`${where}: is ${describeType(info)}, not a regular file`);
    if (info.uid !== ownerUid) {
      const how = `chown ${ownerUid} ${path}`;
      throw new ClientSecretFileInvalid(`${where}: is owned by uid ${info.uid}, not by the credmon's user (${how})`);
    }
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
      const how = `chmod 600 ${path}`;
      throw new ClientSecretFileInvalid(`${where}: mode ${mode} lets other users read the client secret (${how})`);
    }
    if (info.size > MAX_CLIENT_SECRET_BYTES) {
      throw new ClientSecretFileInvalid(`${where}: is larger than ${MAX_CLIENT_SECRET_BYTES} bytes`);
    }
    const secret = (await handle.readFile('utf8')).trim();
    if (secret === '') throw new ClientSecretFileInvalid(`${where}: the file is empty`);
    if (/[\r\n]/.test(secret)) throw new ClientSecretFileInvalid(`${where}: holds more than one line`);
    return secret;
  } finally {
    await handle.close();
  }
}
