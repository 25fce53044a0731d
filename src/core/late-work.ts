/**
 * @internal Store work that outlives the request that started it: the undo of a `regenerateId()` whose
 * move the store ran after the request had given up on it. Tracked so that a graceful shutdown
 * lets it finish instead of cutting it off.
 */
export class LateWork {
  private readonly pending = new Set<Promise<void>>();

  /** How many pieces of work are under way. */
  get size(): number {
    return this.pending.size;
  }

  /** Tracks `work` until it settles. */
  add(work: Promise<void>): void {
    this.pending.add(work);
    const done = () => {
      this.pending.delete(work);
    };
    work.then(done, done);
  }

  /**
   * Resolves once no work is under way (work added meanwhile included), or after `ms`, whichever
   * comes first, with how many pieces are still under way then.
   */
  async settle(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    while (this.pending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
      });
      await Promise.race([Promise.allSettled(this.pending), timedOut]);
      clearTimeout(timer);
    }
    return this.pending.size;
  }
}
