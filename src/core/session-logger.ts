/** @internal Where the session model reports what an operator should know (Nest's `Logger` fits). */
export interface SessionLogger {
  warn(message: string): void;
}
