#!/usr/bin/env bash
# Packs the library once, then for each consumer app: `npm ci` from its lock file, install the
# tarball (not a link to the checkout, so only what `files` ships is visible) and run its tests.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
consumers=(nest12-esm nest11-cjs)
started=$SECONDS

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== building and packing nest-aura-session"
if ! (cd "$root" && npm run build --silent); then
  echo "FAIL: library build"
  exit 1
fi
if ! packed="$(cd "$root" && npm pack --pack-destination "$tmp" --silent | tail -n 1)"; then
  echo "FAIL: npm pack"
  exit 1
fi
tarball="$tmp/$packed"
echo "packed $tarball"

passed=0
failed=0
results=()
for consumer in "${consumers[@]}"; do
  echo "== consumer $consumer"
  consumer_started=$SECONDS
  if (
    set -e
    cd "$here/$consumer"
    npm ci --no-audit --no-fund
    npm install --no-save --no-audit --no-fund "$tarball"
    npm test
  ); then
    results+=("PASS: $consumer ($((SECONDS - consumer_started)) s)")
    passed=$((passed + 1))
  else
    results+=("FAIL: $consumer ($((SECONDS - consumer_started)) s)")
    failed=$((failed + 1))
  fi
done

echo "== consumer results ($((SECONDS - started)) s in all)"
printf '%s\n' "${results[@]}"
echo "consumers: $passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
