#!/usr/bin/env bash
# Only the cshim package may import "C" (DESIGN: layers).
set -euo pipefail
bad=$(go list -f '{{if .CgoFiles}}{{.ImportPath}}{{end}}' ./... | grep -v '/cshim$' || true)
grepped=$(git grep -l -E '^import "C"|^\s+"C"$' -- '*.go' | grep -v '^cshim/' || true)
if [ -n "$bad$grepped" ]; then
  echo "only cshim may import \"C\"; found: $bad $grepped" >&2
  exit 1
fi
