import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's full garbage collection (`gc()`), without starting Node with --expose-gc (the existing-pool package and the
 * test helpers start the credmon with their own command lines): the flag is set, and `gc` taken from a new context,
 * once. Undefined where this Node refuses it; the caller then does without.
 */
export function fullGarbageCollection(): (() => void) | undefined {
  if (collect === null) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collect = typeof gc === 'function' ? (gc as () => void) : undefined;
    } catch {
      collect = undefined;
    }
  }
  return collect;
}

let collect: (() => void) | undefined | null = null;
