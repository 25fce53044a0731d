#!/usr/bin/env bash
# Builds and packs the library as `npm publish` would, then checks the tarball itself:
# its file list, publint (package.json vs. files) and attw (types under every resolution mode).
set -euo pipefail
cd "$(dirname "$0")/.."

npm run build --silent

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tarball="$tmp/$(npm pack --pack-destination "$tmp" --silent | tail -n 1)"
echo "packed $tarball"

contents="$(tar -tzf "$tarball")"
failed=0

unexpected="$(grep -vE '^package/(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist/(esm|cjs)/.+)$' <<<"$contents" || true)"
if [[ -n "$unexpected" ]]; then
  echo "FAIL: files outside dist/, README.md, LICENSE, CHANGELOG.md in the tarball:"
  echo "$unexpected"
  failed=1
fi

# npm silently leaves out a listed file that does not exist, so check the essentials by name.
for required in package.json README.md LICENSE CHANGELOG.md \
  dist/esm/index.js dist/esm/index.d.ts \
  dist/cjs/index.js dist/cjs/index.d.ts dist/cjs/package.json; do
  if ! grep -qxF "package/$required" <<<"$contents"; then
    echo "FAIL: $required is missing from the tarball"
    failed=1
  fi
done

npx --no-install publint --strict "$tarball" || failed=1
npx --no-install attw "$tarball" || failed=1

if [[ "$failed" -ne 0 ]]; then
  echo "check-package: FAIL"
  exit 1
fi
echo "check-package: PASS"
