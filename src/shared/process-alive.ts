/**
 * True while a process with this pid exists. A process we may not signal (EPERM) exists; only ESRCH means it is gone.
 * A pid that is not a positive integer names no process (and `kill(0)` or `kill(-1)` would mean a group).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
