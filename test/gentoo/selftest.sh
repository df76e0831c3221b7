#!/usr/bin/env bash
# TEST ONLY: end-to-end proof that the stand-in Gentoo host from test/gentoo/setup.sh works, using
# the wrappers exactly as the action will: a config root built from `portageq repos_config /`,
# baselayout then bash into ROOT=<tmp>/rootfs, lxc-execute, binary packages into a second root,
# the pretend/host-merge/failure output formats, and no Portage state on the real host.
# LXCMIN_SELFTEST_KEEP=1 keeps the temp dir.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ -x $REPO/.tools/bin/emerge ]] || { echo "selftest: run test/gentoo/setup.sh first" >&2; exit 1; }
# shellcheck source=test/gentoo/env.sh
source "$REPO/test/gentoo/env.sh"
[[ $(command -v emerge) == "$REPO/.tools/bin/emerge" ]] || { echo "selftest: env.sh did not set PATH" >&2; exit 1; }

TMP=$(mktemp -d /tmp/lxcmin-selftest.XXXXXX)
CONTAINERS=()
cleanup() {
	local rc=$? c
	for c in "${CONTAINERS[@]}"; do lxc-stop -k -n "$c" -P "$TMP/lxc" >/dev/null 2>&1 || true; done
	if [[ ${LXCMIN_SELFTEST_KEEP:-} == 1 || $rc -ne 0 ]]; then
		echo "selftest: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

PASS=0
t_base='' t_bash='' t_bin_base='' t_bin_bash='' t_special='' # set by timed
ok() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }
expect_line() { # <file> <ERE for a whole line> <description>
	grep -Eq -- "^$2\$" "$1" || { sed 's/^/     | /' "$1" >&2; fail "$3: no line matching /^$2\$/"; }
}
timed() { # <seconds var> <command...>: run and store the wall time in seconds (1 decimal)
	local __var=$1 start end rc=0; shift
	start=$(date +%s%N)
	"$@" || rc=$?
	end=$(date +%s%N)
	printf -v "$__var" '%d.%d' $(((end - start) / 1000000000)) $(((end - start) / 100000000 % 10))
	return "$rc"
}

# Portage paths that must never appear on the real host (only checked if absent at the start).
HOST_PATHS=(/var/db/pkg /var/cache/edb /var/lib/portage /var/tmp/portage /var/cache/distfiles
	/var/cache/binpkgs /var/log/emerge.log /var/log/emerge-fetch.log /var/log/portage /etc/portage
	/var/lib/gentoo /share /usr/share/portage /run/portage)
absent_before=()
for p in "${HOST_PATHS[@]}"; do [[ -e $p || -L $p ]] || absent_before+=("$p"); done
touch "$TMP/.start"
sleep 1 # mtime granularity for the find -newer check below

# --- A config root built the way the action builds it --------------------------------------------
make_configroot() { # <dir>
	local cfg=$1 main_repo main_path
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
	ln -s "$main_path/profiles/default/linux/amd64/23.0/no-multilib" "$cfg/etc/portage/make.profile"
}

portageq repos_config / >"$TMP/repos_config.txt"
expect_line "$TMP/repos_config.txt" 'main-repo = lxcmin-gentoo' "portageq repos_config /"
expect_line "$TMP/repos_config.txt" '\[lxcmin-gentoo\]' "portageq repos_config /"
expect_line "$TMP/repos_config.txt" "location = $REPO/test/gentoo/repo" "portageq repos_config /"
grep -q '^\[gentoo\]' "$TMP/repos_config.txt" && fail "portageq repos_config / still lists [gentoo]"
ok "portageq repos_config / names lxcmin-gentoo ($REPO/test/gentoo/repo) as the main repo"

CFG=$TMP/cfg
make_configroot "$CFG"
export PORTAGE_CONFIGROOT=$CFG ROOT=$TMP/rootfs
mkdir -p "$ROOT"

# --- Pretend output -------------------------------------------------------------------------------
ROOT_RE=${ROOT//./\\.}
emerge -pq --color=n sys-apps/baselayout app-shells/bash >"$TMP/pretend.txt"
for p in sys-libs/glibc-2.36 sys-apps/baselayout-2.17 sys-libs/ncurses-6.4_p20230506 \
	sys-libs/readline-8.2_p1 app-shells/bash-5.2_p15; do
	expect_line "$TMP/pretend.txt" "\[ebuild  N    \] ${p} to ${ROOT_RE}/" "emerge -pq"
done
ok "emerge -pq: '[ebuild  N    ] cat/pkg-ver to $ROOT/' for all 5 packages"

[[ -z $(portageq match / dev-build/lxcmin-hosttool) ]] \
	|| fail "dev-build/lxcmin-hosttool is merged into the build host: remove it with 'emerge -C dev-build/lxcmin-hosttool' (ROOT unset)"
USE=hostdep emerge -pq --color=n app-misc/lxcmin-hello >"$TMP/pretend-hostdep.txt"
expect_line "$TMP/pretend-hostdep.txt" '\[ebuild  N    \] dev-build/lxcmin-hosttool-1\.0 ' "USE=hostdep"
expect_line "$TMP/pretend-hostdep.txt" "\[ebuild  N    \] app-misc/lxcmin-hello-1\.0 to ${ROOT_RE}/" "USE=hostdep"
ok "USE=hostdep: the build host merge has no 'to <root>' suffix"

if emerge -pq --color=n app-misc/no-such-package >"$TMP/pretend-unknown.txt" 2>&1; then
	fail "emerge -p of an unknown atom succeeded"
fi
expect_line "$TMP/pretend-unknown.txt" "emerge: there are no ebuilds to satisfy \"app-misc/no-such-package\" for ${ROOT_RE}/\\." "unknown atom"
ok "unknown atom: exit status non-zero, 'emerge: there are no ebuilds to satisfy \"cat/pkg\" for <root>/.'"

# The fixtures: an overlay with masters = lxcmin-gentoo, and package.use turning on "extra".
CFG2=$TMP/cfg-overlay
make_configroot "$CFG2"
printf '\n[lxcmin-overlay]\nlocation = %s\n' "$REPO/test/fixtures/overlay" >>"$CFG2/etc/portage/repos.conf/repos.conf"
cp "$REPO/test/fixtures/config-extra/package.use" "$CFG2/etc/portage/package.use"
# (-q never shows ::repo; -v does, with a wider status column and sizes)
PORTAGE_CONFIGROOT=$CFG2 emerge -pv --color=n app-misc/lxcmin-motd app-misc/lxcmin-hello >"$TMP/pretend-overlay.txt"
expect_line "$TMP/pretend-overlay.txt" "\[ebuild  N     \] app-misc/lxcmin-motd-1\.0::lxcmin-overlay to ${ROOT_RE}/ 0 KiB" "overlay"
expect_line "$TMP/pretend-overlay.txt" "\[ebuild  N     \] app-misc/lxcmin-extra-1\.0::lxcmin-gentoo to ${ROOT_RE}/ 0 KiB" "package.use extra"
expect_line "$TMP/pretend-overlay.txt" "\[ebuild  N     \] app-misc/lxcmin-hello-1\.0::lxcmin-gentoo to ${ROOT_RE}/ USE=\"extra -hostdep\" 0 KiB" "package.use extra"
ok "fixtures (emerge -pv): ::lxcmin-overlay resolves; package.use 'extra' pulls app-misc/lxcmin-extra"

# --- The recipe: baselayout first, then bash (with binary packages) -----------------------------
timed t_base env FEATURES=buildpkg emerge -q --color=n sys-apps/baselayout >"$TMP/merge-baselayout.log" 2>&1 \
	|| { cat "$TMP/merge-baselayout.log"; fail "emerge sys-apps/baselayout"; }
timed t_bash env FEATURES=buildpkg emerge -q --color=n app-shells/bash >"$TMP/merge-bash.log" 2>&1 \
	|| { cat "$TMP/merge-bash.log"; fail "emerge app-shells/bash"; }
ok "emerge (FEATURES=buildpkg): baselayout ${t_base}s, glibc+ncurses+readline+bash ${t_bash}s"

[[ $(portageq match "$ROOT" app-shells/bash) == app-shells/bash-5.2_p15 ]] || fail "portageq match"
[[ -z $(portageq match "$ROOT" app-misc/lxcmin-hello) ]] || fail "portageq match of a missing package"
ok "portageq match $ROOT app-shells/bash -> app-shells/bash-5.2_p15"

run_container() { # <rootfs> <name>: lxc-execute 'echo ok' and '/bin/sh -c true'
	local rootfs=$1 name=$2 out
	mkdir -p "$rootfs"/{dev,proc,sys} "$TMP/lxc"
	cat >"$TMP/$name.conf" <<-EOF
		lxc.net.0.type = empty
		lxc.rootfs.path = dir:$rootfs
		lxc.uts.name = lxcmin-selftest
		lxc.autodev = 1
		lxc.tty.max = 1
		lxc.pty.max = 1
	EOF
	CONTAINERS+=("$name")
	out=$(lxc-execute -n "$name" -P "$TMP/lxc" -f "$TMP/$name.conf" -- /bin/bash -c 'echo ok')
	[[ $out == ok ]] || fail "lxc-execute /bin/bash -c 'echo ok' printed '$out'"
	lxc-execute -n "$name" -P "$TMP/lxc" -f "$TMP/$name.conf" -- /bin/sh -c true \
		|| fail "lxc-execute /bin/sh -c true"
}
run_container "$ROOT" "lxcmin-selftest-$$"
ok "lxc-execute: /bin/bash -c 'echo ok' printed ok; /bin/sh -c true succeeded"
size=$(du -s --apparent-size "$ROOT" | cut -f1)
ok "rootfs size: ${size} KiB (du -s --apparent-size)"

# --- Binary packages into a second root (bug 953999: ROOT != / binpkgs) -----------------------------
shopt -s nullglob
binpkgs=("$TMP"/binpkgs/*/*/*.gpkg.tar "$TMP"/binpkgs/*/*.gpkg.tar)
shopt -u nullglob
((${#binpkgs[@]} == 5)) || fail "expected 5 binary packages, found: ${binpkgs[*]:-none}"
ok "FEATURES=buildpkg wrote ${#binpkgs[@]} .gpkg.tar packages"

ROOT2=$TMP/rootfs2
mkdir -p "$ROOT2"
ROOT=$ROOT2 emerge -pq --color=n --usepkg sys-apps/baselayout app-shells/bash >"$TMP/pretend-binpkg.txt"
expect_line "$TMP/pretend-binpkg.txt" "\[binary  N    \] app-shells/bash-5\.2_p15-1 to ${ROOT2//./\\.}/" "emerge -pq --usepkg"
ok "emerge -pq --usepkg: '[binary  N    ] cat/pkg-ver-1 to $ROOT2/'"
timed t_bin_base env ROOT="$ROOT2" emerge -q --color=n --usepkg sys-apps/baselayout >"$TMP/binpkg-baselayout.log" 2>&1 \
	|| { cat "$TMP/binpkg-baselayout.log"; fail "emerge --usepkg baselayout"; }
timed t_bin_bash env ROOT="$ROOT2" emerge -q --color=n --usepkg app-shells/bash >"$TMP/binpkg-bash.log" 2>&1 \
	|| { cat "$TMP/binpkg-bash.log"; fail "emerge --usepkg bash"; }
grep -q 'Emerging binary' "$TMP/binpkg-bash.log" || fail "emerge --usepkg built from source"
run_container "$ROOT2" "lxcmin-selftest-bin-$$"
ok "emerge --usepkg into a fresh root: ${t_bin_base}s + ${t_bin_bash}s, runs under lxc-execute"

# --- Files that are hard to copy: setuid, hard links, a capability, odd names ------------------------
timed t_special emerge -q --color=n app-misc/lxcmin-special >"$TMP/merge-special.log" 2>&1 \
	|| { cat "$TMP/merge-special.log"; fail "emerge app-misc/lxcmin-special"; }
sp=$ROOT/usr/share/lxcmin-special
[[ -u $ROOT/usr/bin/lxcmin-special ]] || fail "lxcmin-special: not setuid"
[[ $(stat -c %i "$sp/hardlink-a") == "$(stat -c %i "$sp/hardlink-b")" ]] || fail "lxcmin-special: hard link broken"
[[ $(getcap "$ROOT/usr/bin/lxcmin-special-cap") == *cap_net_raw=ep* ]] || fail "lxcmin-special: no capability"
[[ $(readlink "$sp/host-only-absolute") == /etc/host-only && -f "$sp/ünïcødé ファイル.txt" && -f "$sp/file with spaces.txt" ]] \
	|| fail "lxcmin-special: symlink or odd file names"
ok "app-misc/lxcmin-special (${t_special}s): setuid, hard link pair, cap_net_raw=ep, symlink to /etc/host-only, odd names"

# --- A failing build ------------------------------------------------------------------------------
if NOCOLOR=true emerge -q --color=n app-misc/lxcmin-broken >"$TMP/broken.txt" 2>&1; then
	fail "app-misc/lxcmin-broken merged"
fi
expect_line "$TMP/broken.txt" ' \* ERROR: app-misc/lxcmin-broken-1\.0::lxcmin-gentoo failed \(compile phase\):' "failure"
log=$(sed -n "s/^ \* The complete build log is located at '\(.*\)'\.\$/\1/p" "$TMP/broken.txt" | head -n1)
[[ $log == "$TMP/logs/app-misc:lxcmin-broken-1.0:"*.log && -f $log ]] || fail "build log line: '$log'"
ok "failure: ' * ERROR: ... failed (compile phase):' and the build log at $log"

# --- Nothing written on the real host ---------------------------------------------------------------
for p in "${absent_before[@]}"; do
	[[ -e $p || -L $p ]] && fail "Portage wrote $p on the host"
done
# Other processes on a shared machine (apt, npm, ...) may write too: only Portage-looking paths fail.
find /etc /var /root /home /opt /srv /usr/share /usr/lib /usr/local -xdev -newer "$TMP/.start" \
	-print 2>/dev/null >"$TMP/host-changes.txt" || true
if grep -E 'portage|gentoo|emerge|/edb|binpkgs|distfiles|/var/db/pkg|lxcmin|\.gpkg' "$TMP/host-changes.txt" >"$TMP/host-portage.txt"; then
	fail "Portage wrote on the host during the selftest:"$'\n'"$(head -n 20 "$TMP/host-portage.txt")"
fi
ok "no Portage state on the host (${#absent_before[@]} paths stay absent, no Portage files under /etc /var /usr /root; $(wc -l <"$TMP/host-changes.txt") unrelated changes)"

echo "$PASS passed, 0 failed"
