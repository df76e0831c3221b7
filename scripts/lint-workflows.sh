#!/usr/bin/env bash
# Lints the CI workflow and the example workflows: actionlint (syntax, expressions, runner labels,
# and the run: scripts through ShellCheck; config .github/actionlint.yaml) and zizmor (security
# audits, offline; exceptions with their reasons in .github/zizmor.yml). Any finding fails.
# The tools are the pinned ones test/gentoo/setup.sh installs into .tools/lint-venv, and Debian's
# shellcheck.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.tools/lint-venv/bin
for tool in $bin/actionlint $bin/zizmor /usr/bin/shellcheck; do
  if [[ ! -x $tool ]]; then
    echo "lint-workflows: $tool is missing: run 'bash test/gentoo/setup.sh'" >&2
    exit 1
  fi
done
shopt -s nullglob
files=(.github/workflows/*.yml docs/workflows/*.yml)
# -shellcheck: Debian's shellcheck, not whatever else is on PATH; -pyflakes=: no Python in run: steps.
"$bin/actionlint" -config-file .github/actionlint.yaml -shellcheck /usr/bin/shellcheck -pyflakes= \
  "${files[@]}"
"$bin/zizmor" --offline --no-progress --config .github/zizmor.yml "${files[@]}"
echo "lint-workflows: ${#files[@]} workflows, no findings"
