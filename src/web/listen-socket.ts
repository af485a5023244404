import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CredmonSandboxError } from '../shared/errors.js';

/** The web app's Unix socket cannot be used safely (its directory is missing or open to others, or it is taken). */
export class ListenSocketUnusable extends CredmonSandboxError {
  readonly code = 'ERR_LISTEN_SOCKET_UNUSABLE';
}

/** Owner and group (the web server's) may connect; nobody else, even for the moment between bind() and chmod(). */
export const SOCKET_MODE = 0o660;

/**
 * Listens on the Unix socket `path` (WEB_LISTEN_SOCKET). Its directory must belong to this process's user and be
 * writable by no one else: then no other user can create, replace or remove the socket, and whoever answers on it is
 * this web app. A socket left there by a web app that died (SIGKILL leaves it behind) is removed first; one that
 * still answers is another process's, and is left alone.
 */
export async function listenOnSocket(app: FastifyInstance, path: string): Promise<void> {
  await checkSocketDirectory(path);
  await removeStaleSocket(path);
  const umask = process.umask(0o777 & ~SOCKET_MODE);
  try {
    await app.listen({ path });
  } finally {
    process.umask(umask);
  }
  await chmod(path, SOCKET_MODE);
}

async function checkSocketDirectory(path: string): Promise<void> {
  const dir = dirname(path);
  const uid = process.getuid?.() ?? 0;
  const create = `install -d -o ${userInfo().username} -g <the web server's group> -m 2750 ${dir}`;
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? `does not exist (create it as root: ${create})` : `cannot be read (${code})`;
    throw new ListenSocketUnusable(`WEB_LISTEN_SOCKET ${path}: its directory ${dir} ${why}`, { cause: error });
  }
  if (!info.isDirectory()) throw new ListenSocketUnusable(`WEB_LISTEN_SOCKET ${path}: ${dir} is not a directory`);
  const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
  if (info.uid !== uid) {
    const owner = `belongs to uid ${info.uid}, not to this web app (uid ${uid})`;
    throw new ListenSocketUnusable(`WEB_LISTEN_SOCKET ${path}: its directory ${dir} ${owner}: ${create}`);
  }
  if ((info.mode & 0o022) !== 0) {
    const who = (info.mode & 0o002) !== 0 ? 'every user' : 'its group';
    throw new ListenSocketUnusable(
      `WEB_LISTEN_SOCKET ${path}: its directory ${dir} is writable by ${who} (mode ${mode}), who could put another ` +
        `server in the web app's place: chmod 2750 ${dir}`,
    );
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ListenSocketUnusable(`WEB_LISTEN_SOCKET ${path} cannot be examined`, { cause: error });
  }
  const knob = `WEB_LISTEN_SOCKET ${path}`;
  if (!info.isSocket()) throw new ListenSocketUnusable(`${knob} exists and is not a socket: remove it`);
  if (await answers(path))
    throw new ListenSocketUnusable(`${knob}: another process already listens there (a second web app?)`);
  await unlink(path);
}

/** Whether something accepts connections on the socket `path` (ECONNREFUSED: a socket nobody listens on). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.setTimeout(2000, () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code ?? error.message;
      if (error.code === 'ECONNREFUSED') resolve(false);
      else reject(new ListenSocketUnusable(`WEB_LISTEN_SOCKET ${path}: cannot tell whether it is in use (${why})`));
    });
  });
}
