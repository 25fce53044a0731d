/** Form fields arrive as anything a client cares to send: keep only a trimmed, bounded string. */
export function textField(value: unknown, maxLength: number): string {
  return typeof value === 'string' ? value.trim().slice(0, maxLength) : '';
}
