import type { IncomingHttpHeaders } from 'node:http';

/** Why a request counts as coming from another site. */
export type CrossSiteReason = 'csrf_cross_site' | 'csrf_origin_mismatch';

/**
 * Whether a browser sent this request on behalf of another site, by Fetch Metadata first, then
 * by the `Origin` header: `Sec-Fetch-Site: cross-site`, `same-site` from an origin that is not
 * trusted, or an `Origin` that is neither the request's own nor trusted. A request without these
 * headers (a non-browser client, an older browser's same-origin GET) is not cross-site.
 * `ownOrigin` is only called when there is an `Origin` to compare.
 */
export function crossSiteReason(
  headers: IncomingHttpHeaders,
  ownOrigin: () => string,
  trustedOrigins: readonly string[],
): CrossSiteReason | undefined {
  const origin = headerValue(headers, 'origin');
  const trusted = origin !== undefined && trustedOrigins.includes(origin);
  // A structured-header token: case and surrounding spaces carry no meaning.
  const site = headerValue(headers, 'sec-fetch-site')?.trim().toLowerCase();
  if (site === 'cross-site' || (site === 'same-site' && !trusted)) return 'csrf_cross_site';
  if (origin !== undefined && !trusted && origin !== ownOrigin()) return 'csrf_origin_mismatch';
  return undefined;
}

/** The first value of header `name` (lower case). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
