/** The app's answer to the harness's 'usage' message. */
export interface UsageReply {
  /** Resident set size, bytes. */
  rss: number;
  /** Heap in use, bytes; after a full collection when the app runs with `--expose-gc`. */
  heapUsed: number;
  /** CPU time (user + system) the app has used so far, microseconds. */
  cpuMicros: number;
}

/** Answers 'usage' messages from the harness. */
export function answerUsageProbes(): void {
  process.on('message', (message) => {
    if (message !== 'usage') return;
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    process.send?.({ rss, heapUsed, cpuMicros: user + system } satisfies UsageReply);
  });
}
