/** A `Set-Cookie` header value as a list, whatever form a framework keeps it in. */
export function setCookieList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** Whether `list` holds a `Set-Cookie` for cookie `name` other than `own`. */
export function hasOtherCookie(list: string[], name: string, own: string): boolean {
  const prefix = `${name}=`;
  return list.some((cookie) => cookie !== own && cookie.trimStart().startsWith(prefix));
}
