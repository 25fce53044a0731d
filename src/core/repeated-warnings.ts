import type { SessionLogger } from './session-logger.js';

/** How long a warning's repeats are counted before their count is written. */
export const REPEAT_WINDOW_MS = 10_000;

// Beyond this many different warnings within one window, each is written as it comes: counting
// them would keep a timer and an entry per message, without bound.
const MAX_COUNTED = 100;

interface Window {
  /** The first message of the window, as written. */
  readonly message: string;
  repeats: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Writes each warning once per window of {@link REPEAT_WINDOW_MS}: a store outage fails every
 * request that needs its session, and a line per request (a thousand a second on a busy app)
 * would bury everything else in the log. The first of a message goes out at once; one like it
 * within the window (the same text but for its numbers: the milliseconds a timeout waited, the
 * bytes of a session too large) is counted, and the count goes out when the window ends (or at
 * {@link RepeatedWarnings.flush}, on shutdown), as the first message followed by "(N more like it
 * within 10 s)".
 */
export class RepeatedWarnings implements SessionLogger {
  readonly #windows = new Map<string, Window>();

  constructor(private readonly logger: SessionLogger) {}

  warn(message: string): void {
    const kind = message.replace(/\d+/g, '#');
    const open = this.#windows.get(kind);
    if (open) {
      open.repeats++;
      return;
    }
    this.logger.warn(message);
    if (this.#windows.size >= MAX_COUNTED) return;
    const timer = setTimeout(() => this.#close(kind), REPEAT_WINDOW_MS);
    // A window still open must not keep the process alive once the app has stopped.
    timer.unref();
    this.#windows.set(kind, { message, repeats: 0, timer });
  }

  /** Writes the counts of every open window now, and closes them. */
  flush(): void {
    for (const [kind, { timer }] of this.#windows) {
      clearTimeout(timer);
      this.#close(kind);
    }
  }

  #close(kind: string): void {
    const window = this.#windows.get(kind);
    this.#windows.delete(kind);
    if (!window?.repeats) return;
    this.logger.warn(
      `${window.message} (${window.repeats} more like it within ${REPEAT_WINDOW_MS / 1000} s)`,
    );
  }
}
