/** A short name for the browser and system a `User-Agent` header names, for a person to recognize. */
export function deviceName(userAgent: string | undefined): string {
  if (userAgent === undefined) return 'Unknown device';
  const browser =
    find(userAgent, [
      [/Edg\//, 'Edge'],
      [/Firefox\//, 'Firefox'],
      [/Chrom(e|ium)\//, 'Chrome'],
      [/Safari\//, 'Safari'],
      [/curl\//, 'curl'],
    ]) ?? 'A browser';
  const system = find(userAgent, [
    [/Android/, 'Android'],
    [/iPhone|iPad/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ]);
  return system === undefined ? browser : `${browser} on ${system}`;
}

function find(text: string, patterns: Array<[RegExp, string]>): string | undefined {
  return patterns.find(([pattern]) => pattern.test(text))?.[1];
}
