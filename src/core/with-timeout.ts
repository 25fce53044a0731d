import { SessionStoreUnavailableError } from './errors.js';

/** A store call waiting for its answer, and what its timeout rejects. */
interface Waiting {
  /** In `performance.now()` ms: a monotonic clock, which no change of the system time moves. */
  readonly deadline: number;
  readonly operation: string;
  readonly ms: number;
  readonly reject: (error: unknown) => void;
}

// Every store call of every request waits with a timeout. A Node timer per call cost each call
// more than the rest of its bookkeeping (timer lists built and torn down, a priority queue): one
// timer serves them all, set for the earliest deadline, and fires about once per timeout.
const waiting = new Set<Waiting>();
let timer: ReturnType<typeof setTimeout> | undefined;
let timerDeadline = Infinity;
// The `setTimeout` the timer was set with: tests swap in fake timers and back.
let timerSetWith: typeof setTimeout | undefined;

/**
 * Settles like `work`, or rejects with {@link SessionStoreUnavailableError} after `ms`. A store
 * that hangs (Redis's offline queue does, by default) must cost a request `storeTimeout`, not
 * forever. A late failure of `work` is observed here so it never becomes an unhandled rejection.
 */
export function withTimeout<T>(operation: string, work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const now = performance.now();
    const entry: Waiting = { deadline: now + ms, operation, ms, reject };
    wait(entry, now);
    work.then(
      (value) => {
        done(entry);
        resolve(value);
      },
      (error: unknown) => {
        done(entry);
        reject(
          error instanceof SessionStoreUnavailableError
            ? error
            : new SessionStoreUnavailableError(operation, error),
        );
      },
    );
  });
}

function wait(entry: Waiting, now: number): void {
  waiting.add(entry);
  // A timer set with another `setTimeout` may never fire (a test that set it on fake timers went
  // back to real ones), and one past its deadline waits for a busy event loop: set anew.
  if (
    timer === undefined ||
    entry.deadline < timerDeadline ||
    now > timerDeadline ||
    timerSetWith !== setTimeout
  ) {
    if (timer !== undefined) clearTimeout(timer);
    setTimer(Math.min(entry.deadline, timerDeadline), now);
  } else if (waiting.size === 1) {
    // The timer outlives the calls it was set for (see `done`): it holds the process open again.
    timer.ref();
  }
}

function done(entry: Waiting): void {
  waiting.delete(entry);
  // Left to fire, with nothing to reject, rather than cleared and set again for the next call; it
  // must not keep a process with no store call in flight from exiting.
  if (waiting.size === 0) timer?.unref();
}

function setTimer(deadline: number, now: number): void {
  timerDeadline = deadline;
  timerSetWith = setTimeout;
  timer = setTimeout(expire, Math.max(1, deadline - now));
}

/**
 * Rejects the calls whose deadline has come, and sets the timer for the next one. The timer's
 * own deadline counts as come even if the clock reads earlier (a timer may fire a moment before
 * the clock gets there, and a test may fake timers but not the clock).
 */
function expire(): void {
  timer = undefined;
  const now = Math.max(performance.now(), timerDeadline);
  timerDeadline = Infinity;
  let next = Infinity;
  for (const entry of waiting) {
    if (entry.deadline <= now) {
      waiting.delete(entry);
      entry.reject(
        new SessionStoreUnavailableError(entry.operation, new Error(`no answer in ${entry.ms} ms`)),
      );
    } else if (entry.deadline < next) {
      next = entry.deadline;
    }
  }
  if (next !== Infinity) setTimer(next, now);
}
