#!/usr/bin/env bash
# The README's demo: set up the project's own Gentoo host (where no real Gentoo is present), then
# run the bundled action the way the runner does and build a bash container.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -f /etc/gentoo-release ]]; then
  bash test/gentoo/setup.sh
  # shellcheck source=../test/gentoo/env.sh
  source test/gentoo/env.sh
fi
[[ -f dist/main.js ]] || npm run -s bundle
node scripts/run-action.ts \
  --with packages=app-shells/bash \
  --with size-budget=64MiB \
  --with "smoke-test=/bin/bash -c 'echo ok from \$0'" \
  "$@"
