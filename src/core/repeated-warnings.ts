import type { SessionLogger } from './session-logger.js';

/** How long a warning's repeats are counted before their count is written. */
export const REPEAT_WINDOW_MS = 10_000;

// Beyond this many different warnings within one window, each is written as it comes: counting
// them would keep a timer and an entry per message, without bound.
const MAX_COUNTED = 100;

interface Window {
  repeats: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Writes each warning once per window of {@link REPEAT_WINDOW_MS}: a store outage fails every
 * request that needs its session, and a line per request (a thousand a second on a busy app)
 * would bury everything else in the log. The first of a message goes out at once; the same
 * message again within the window is counted, and the count goes out when the window ends (or
 * at {@link RepeatedWarnings.flush}, on shutdown), as that message followed by "(N more times
 * within 10 s)".
 */
export class RepeatedWarnings implements SessionLogger {
  readonly #windows = new Map<string, Window>();

  constructor(private readonly logger: SessionLogger) {}

  warn(message: string): void {
    const open = this.#windows.get(message);
    if (open) {
      open.repeats++;
      return;
    }
    this.logger.warn(message);
    if (this.#windows.size >= MAX_COUNTED) return;
    const timer = setTimeout(() => this.#close(message), REPEAT_WINDOW_MS);
    // A window still open must not keep the process alive once the app has stopped.
    timer.unref();
    this.#windows.set(message, { repeats: 0, timer });
  }

  /** Writes the counts of every open window now, and closes them. */
  flush(): void {
    for (const [message, { timer }] of this.#windows) {
      clearTimeout(timer);
      this.#close(message);
    }
  }

  #close(message: string): void {
    const window = this.#windows.get(message);
    this.#windows.delete(message);
    if (!window?.repeats) return;
    const times = window.repeats === 1 ? 'time' : 'times';
    this.logger.warn(
      `${message} (${window.repeats} more ${times} within ${REPEAT_WINDOW_MS / 1000} s)`,
    );
  }
}
