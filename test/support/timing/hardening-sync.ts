/**
 * Lets a test hold requests at a chosen point of their handler, so interleavings that are rare
 * under real traffic happen on every run.
 */

// A request stuck at a barrier or gate fails after this long instead of hanging the suite.
const STUCK_AFTER = 5_000;

/**
 * Holds each arriving request until `size` have arrived: every request has loaded the session
 * before any of them commits, the worst case for lost updates.
 */
export class Barrier {
  private size = 0;
  private waiting: Array<() => void> = [];

  /** Arms the barrier for the next `size` arrivals. */
  reset(size: number): void {
    this.size = size;
    this.waiting = [];
  }

  arrive(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`barrier: ${this.waiting.length}/${this.size} arrived`)),
        STUCK_AFTER,
      );
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
      if (this.waiting.length >= this.size) {
        for (const release of this.waiting) release();
        this.waiting = [];
      }
    });
  }
}

/** One request held in its handler until the test opens the gate. */
export class Gate {
  private signalArrival!: () => void;
  private signalOpen!: () => void;
  private readonly arrival = new Promise<void>((resolve) => (this.signalArrival = resolve));
  private readonly opening = new Promise<void>((resolve) => (this.signalOpen = resolve));

  /** Called by the handler: reports that it got here, then waits for {@link open}. */
  pass(): Promise<void> {
    this.signalArrival();
    return withDeadline(this.opening, 'gate never opened');
  }

  /** Resolves once the handler reached the gate. */
  arrived(): Promise<void> {
    return withDeadline(this.arrival, 'request never reached the gate');
  }

  open(): void {
    this.signalOpen();
  }
}

const gates = new Map<string, Gate>();

/** The gate called `name`, created on first use by either the test or the handler. */
export function gate(name: string): Gate {
  let found = gates.get(name);
  if (!found) {
    found = new Gate();
    gates.set(name, found);
  }
  return found;
}

function withDeadline(work: Promise<void>, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), STUCK_AFTER);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
