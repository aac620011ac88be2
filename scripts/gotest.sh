#!/usr/bin/env bash
# Runs go test with the given arguments and, when it fails, ends the output with a summary of what
# failed: every "--- FAIL" line with the test's own log lines under it, and any panic or FAIL line of
# a package. The full output comes first as always; the summary repeats its failures last, so that a
# log cut to its tail (CI's) still names the failing test and why, not only the server logs that a
# failing package prints after its tests.
set -uo pipefail
log=$(mktemp "${TMPDIR:-/tmp}/go-libssh2-test.XXXXXX")
trap 'rm -f "$log"' EXIT
"${GO:-go}" test "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ]; then
  echo
  echo "== go test failed (exit $rc); the failures again:"
  awk '
    /^[ \t]*--- FAIL/ { print; n = 0; keep = 1; next }
    keep && /^[ \t]+[^ \t-]/ { if (n++ < 25) print; next }
    { keep = 0 }
    /^panic:|^FAIL|^fatal error:|timed out/ { print }
  ' "$log"
fi
exit "$rc"
