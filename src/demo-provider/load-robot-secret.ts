import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigInvalid } from '../shared/errors.js';

/** The variable that names the file, for messages. */
const KNOB = 'DEMO_ROBOT_SECRET_FILE';
/** Shorter secrets are refused: the robot may ask for a token of any user. */
const MIN_SECRET_CHARS = 16;
const MAX_SECRET_BYTES = 4096;

export interface LoadedRobotSecret {
  readonly secret: string;
  /** `generated`: this start wrote the file; `existing`: it was there (an earlier start, or the admin's). */
  readonly origin: 'generated' | 'existing';
  /** True when an existing file is readable by group or others (the caller warns). */
  readonly looseMode: boolean;
}

function checkSecret(path: string, text: string): string {
  // Trimmed as upstream's credmon and HTCondor trim a client secret file; anything inside stays.
  const secret = text.trim();
  if (secret.length < MIN_SECRET_CHARS || /[\s\x00-\x1f\x7f]/.test(secret)) {
    throw new ConfigInvalid([
      `${KNOB} ${path}: expected one line of at least ${MIN_SECRET_CHARS} printable characters without spaces ` +
        '(remove the file to have a new secret generated)',
    ]);
  }
  return secret;
}

async function readExisting(path: string): Promise<LoadedRobotSecret> {
  let text: string;
  let mode: number;
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_SECRET_BYTES) {
      throw new Error(`not a regular file of at most ${MAX_SECRET_BYTES} bytes`);
    }
    mode = info.mode;
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigInvalid([`cannot read ${KNOB} ${path}: ${(error as Error).message}`]);
  }
  return { secret: checkSecret(path, text), origin: 'existing', looseMode: (mode & 0o077) !== 0 };
}

/**
 * The robot client's secret, from `path`: read when the file exists, otherwise generated (32 random bytes,
 * base64url), written 0600 with O_EXCL (so two starts never write two secrets) in a 0700 directory. The sandbox
 * container reads the same file from a volume both mount and installs it root-only for the credmon.
 */
export async function loadRobotSecret(path: string): Promise<LoadedRobotSecret> {
  let claimed;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    claimed = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readExisting(path);
    throw new ConfigInvalid([`cannot create ${KNOB} ${path}: ${(error as Error).message}`]);
  }
  const secret = randomBytes(32).toString('base64url');
  try {
    await claimed.writeFile(`${secret}\n`);
    await claimed.sync();
    await claimed.close();
  } catch (error) {
    await claimed.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw new ConfigInvalid([`cannot write ${KNOB} ${path}: ${(error as Error).message}`]);
  }
  return { secret, origin: 'generated', looseMode: false };
}
