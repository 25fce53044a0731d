/** A `Set-Cookie` header value as a list, whatever form a framework keeps it in. */
export function setCookieList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}
