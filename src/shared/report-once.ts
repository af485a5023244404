/**
 * Conditions reported once for as long as this process lives: a broken entry or a provider left alone is logged
 * at the first scan that finds it, not on every scan.
 */
export class ReportOnce {
  private readonly seen = new Set<string>();

  /** Calls `report` the first time `key` comes, never again. */
  once(key: string, report: () => void): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    report();
  }
}
