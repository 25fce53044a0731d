/** How many characters of a name or key a message shows: enough to tell which it is. */
const MAX_SHOWN = 100;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: each could start a
// forged line in a log, or garble a terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `text`, which may come from a client (a segment name or key taken from a route), as an error
 * or log message can show it: control characters escaped as `\uXXXX`, so no line break reaches
 * the log, and cut to its first 100 characters, so a long one does not make a huge log line.
 */
export function printable(text: string): string {
  return escaped(text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text);
}

/**
 * Like {@link printable}, but a long one keeps its last 100 characters: the end of a property
 * path is what tells where in a value the problem is.
 */
export function printableTail(text: string): string {
  return escaped(text.length > MAX_SHOWN ? `…${text.slice(-MAX_SHOWN)}` : text);
}

function escaped(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** {@link printable} in double quotes, its own double quotes escaped. */
export function quoted(text: string): string {
  return `"${printable(text).replaceAll('"', '\\"')}"`;
}
