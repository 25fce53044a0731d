/**
 * Form fields arrive as anything a client cares to send: keep only a trimmed, bounded string.
 * Bounded in characters as a user counts them (code points), so an emoji at the limit is kept or
 * dropped whole, never cut into a lone surrogate that `bindUser()` refuses; and in NFC, so the
 * same name typed on two keyboards is one user.
 */
export function textField(value: unknown, maxLength: number): string {
  if (typeof value !== 'string') return '';
  return Array.from(value.trim().normalize('NFC')).slice(0, maxLength).join('');
}
