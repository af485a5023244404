/** A sleep that `wake` ends early (the loop's wait for the next due time, which a SIGHUP or `stop` cuts short). */
export class WakeableSleep {
  private waker: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waker = () => {
        this.waker = undefined;
        done();
      };
    });
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.waker?.();
  }
}
