/**
 * Says a condition once for as long as the process lives: a broken entry, a provider left alone or a refused name is
 * not logged again at every scan. Keys are the caller's (kind, user, name, problem).
 */
export class ReportOnce {
  private readonly said = new Set<string>();

  /** Runs `report` the first time `key` is seen; returns whether it ran. */
  once(key: string, report: () => void): boolean {
    if (this.said.has(key)) return false;
    this.said.add(key);
    report();
    return true;
  }
}
