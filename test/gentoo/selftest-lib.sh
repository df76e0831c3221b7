# shellcheck shell=bash
# TEST ONLY: what selftest.sh and selftest-accounts.sh share: the checks that the host is set up,
# a temp dir removed at exit (kept on failure or with LXCMIN_SELFTEST_KEEP=1) with the containers
# in CONTAINERS stopped, the ok/fail reporting, and a config root made the way the action makes
# it. Source it with SELFTEST set to the script's name.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ -x $REPO/.tools/bin/emerge ]] || { echo "$SELFTEST: run test/gentoo/setup.sh first" >&2; exit 1; }
# shellcheck source=test/gentoo/env.sh
source "$REPO/test/gentoo/env.sh"
[[ $(command -v emerge) == "$REPO/.tools/bin/emerge" ]] || { echo "$SELFTEST: env.sh did not set PATH" >&2; exit 1; }

TMP=$(mktemp -d /tmp/lxcmin-selftest.XXXXXX)
CONTAINERS=()
cleanup() {
	local rc=$? c
	for c in "${CONTAINERS[@]}"; do lxc-stop -k -n "$c" -P "$TMP/lxc" >/dev/null 2>&1 || true; done
	if [[ ${LXCMIN_SELFTEST_KEEP:-} == 1 || $rc -ne 0 ]]; then
		echo "$SELFTEST: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

PASS=0
ok() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }
expect_line() { # <file> <ERE for a whole line> <description>
	grep -Eq -- "^$2\$" "$1" || { sed 's/^/     | /' "$1" >&2; fail "$3: no line matching /^$2\$/"; }
}
re() { sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$1"; } # <text>: as an ERE matching it literally

MERGED=default/linux/amd64/23.0/no-multilib         # the action's default profile: merged /usr
SPLIT=default/linux/amd64/23.0/split-usr/no-multilib # split /usr
make_configroot() { # <dir> [<profile>]: as the action makes it
	local cfg=$1 profile=${2:-$MERGED} main_repo main_path
	mkdir -p "$cfg/etc/portage/repos.conf" "$TMP"/{distfiles,binpkgs,portage-tmp,logs}
	cat >"$cfg/etc/portage/make.conf" <<-EOF
		DISTDIR="$TMP/distfiles"
		PKGDIR="$TMP/binpkgs"
		PORTAGE_TMPDIR="$TMP/portage-tmp"
		PORT_LOGDIR="$TMP/logs"
	EOF
	portageq repos_config / >"$cfg/etc/portage/repos.conf/repos.conf"
	main_repo=$(sed -n 's/^main-repo = //p' "$cfg/etc/portage/repos.conf/repos.conf" | head -n1)
	main_path=$(portageq get_repo_path / "$main_repo")
	ln -s "$main_path/profiles/$profile" "$cfg/etc/portage/make.profile"
}
