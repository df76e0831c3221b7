#!/usr/bin/env bash
# The README's test command (and `npm test`, and CI's one test job): set up the test Gentoo host,
# then typecheck, lint, the workflow lint, formatting, unit and service tests, check that dist/
# matches src/, and the integration tests on real Portage and LXC.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash test/gentoo/setup.sh
# shellcheck source=../test/gentoo/env.sh
source test/gentoo/env.sh
# Everything runs here: a test whose prerequisite is missing fails instead of skipping.
export LXCMIN_TEST_STRICT=1
echo "node $(node --version), $(emerge --version | head -1)"
npm run -s typecheck
npm run -s lint
bash scripts/lint-workflows.sh
npm run -s format:check
node scripts/readme-usage.ts --check
# Unit and service tests in one run: the service tests mostly wait (the libraries' retries).
npx vitest run --project unit --project services
bash scripts/check-dist.sh
npm run -s test:integration
