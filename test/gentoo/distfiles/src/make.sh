#!/usr/bin/env bash
# TEST ONLY: (re)build the committed distfiles from src/, byte for byte: sorted names, fixed
# mtime, numeric owner 0:0, no gzip name or timestamp (GNU tar + gzip -n, as on Debian 12).
#   bash test/gentoo/distfiles/src/make.sh          # rewrite ../lxcmin-fetched-1.0.tar.gz
#   bash test/gentoo/distfiles/src/make.sh --check  # exit 1 if the committed tarball differs
# After a real change, update the Manifest: see test/gentoo/README.md ("A fetched package").
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(dirname "$SRC")
P=lxcmin-fetched-1.0

make_tarball() { # <output file>
	tar -C "$SRC" --create --format=gnu --sort=name --mtime=@1735689600 \
		--owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' "$P" \
		| gzip -9 -n >"$1"
}

if [[ ${1:-} == --check ]]; then
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	make_tarball "$tmp"
	if cmp -s "$tmp" "$OUT/$P.tar.gz"; then
		echo "make.sh: $P.tar.gz is up to date"
	else
		echo "make.sh: $P.tar.gz differs from src/$P (run make.sh without --check)" >&2
		exit 1
	fi
else
	make_tarball "$OUT/$P.tar.gz"
	echo "make.sh: wrote $OUT/$P.tar.gz ($(stat -c %s "$OUT/$P.tar.gz") bytes)"
fi
