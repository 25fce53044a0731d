/** @internal Where the session model reports what an operator should know (Nest's `Logger` fits). */
export interface SessionLogger {
  warn(message: string): void;
  /** Writes what the logger holds back, if it holds anything back (at shutdown). */
  flush?(): void;
}
