#!/usr/bin/env bash
# dist/ is committed: it must be exactly what src/ bundles to.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run -s bundle
if ! git diff --quiet -- dist || [[ -n $(git ls-files --others --exclude-standard -- dist) ]]; then
  echo "dist/ does not match src/: run 'npm run bundle' and commit dist/" >&2
  git status --short -- dist >&2
  exit 1
fi
echo "dist/ matches src/"
