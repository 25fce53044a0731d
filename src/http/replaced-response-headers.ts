/**
 * The headers that describe the handler's body, cleared when an error is sent in its place after
 * a failed commit: kept, a `Content-Disposition` would have the browser save the error as the
 * download, a `Content-Range` splice it into a file, a `Content-Encoding` make it undecodable.
 * `Content-Type` is set anew; `Set-Cookie`, `Cache-Control` and `Vary` stay, as they hold for
 * the error too.
 */
export const REPLACED_RESPONSE_HEADERS: readonly string[] = [
  'content-disposition',
  'content-range',
  'accept-ranges',
  'last-modified',
  'content-encoding',
  'content-language',
  'content-location',
  'content-length',
  'etag',
  'location',
];
