const WELL_FORMED_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether a Cookie header could carry a well-formed `sid`: a `sid=` pair whose value, trimmed,
 * unquoted and percent-decoded, is 43 base64url characters. Deliberately generous (an upper bound
 * on what the library may accept), so that a store call for a header it rejects is a real finding.
 */
export function mayCarryWellFormedSid(header: string, name = 'sid'): boolean {
  return header.split(';').some((part) => {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) return false;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    return WELL_FORMED_ID.test(value) || WELL_FORMED_ID.test(safeDecode(value));
  });
}

/**
 * `text` as a header value Node will send: its UTF-8 bytes, one latin1 character per byte (how
 * Node writes and reads header strings), without the control characters HTTP forbids.
 */
export function asHeaderValue(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
