#!/usr/bin/env bash
# The README's demo: set up the project's own Gentoo host (where no real Gentoo is present), start
# local stand-ins for GitHub's cache and artifact services, and run the bundled action the way the
# runner does, twice: a cold build of a bash container, then the unchanged build again, which the
# image cache restores without merging (both in one stand-in workflow run, so each artifact gets
# its own name).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -f /etc/gentoo-release ]]; then
  bash test/gentoo/setup.sh
  # shellcheck source=../test/gentoo/env.sh
  source test/gentoo/env.sh
fi
[[ -f dist/main.js ]] || npm run -s bundle

work=$(mktemp -d /tmp/lxcmin-demo.XXXXXX)
node test/services/cli.ts --dir "$work/services" >"$work/services.json" &
services=$!
trap 'kill -TERM "$services" 2>/dev/null; wait "$services" 2>/dev/null; rm -rf "$work"' EXIT
until [[ -s $work/services.json ]]; do
  kill -0 "$services" 2>/dev/null || { echo "the local Actions services did not start" >&2; exit 1; }
  sleep 0.2
done
eval "$(node -e '
  const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  for (const [k, v] of Object.entries(j.env)) console.log(`export ${k}=${JSON.stringify(v)}`)
  for (const k of j.unset) console.log(`unset ${k}`)' "$work/services.json")"
export GITHUB_EVENT_NAME=push GITHUB_REPOSITORY=lxcmin/demo

for run in cold warm; do
  echo "=== $run build"
  # One size report per container name and run: the warm build's would collide with the cold one's.
  report=true
  [[ $run == warm ]] && report=false
  node scripts/run-action.ts \
    --with packages=app-shells/bash \
    --with artifact-name="bash-$run" \
    --with upload-report="$report" \
    --with size-budget=64MiB \
    --with "smoke-test=/bin/bash -c 'echo ok from \$0'" \
    "$@" | tee "$work/$run.log" | grep -E '^(=|[a-z-]+: |  =|ok from|::error|::warning)' || true
  grep -q '^== main exited 0, post exited 0' "$work/$run.log"
done
