#!/usr/bin/env bash
# TEST ONLY: end-to-end proof that the stand-in Gentoo host from test/gentoo/setup.sh works, using
# the wrappers exactly as the action will: a config root built from `portageq repos_config /`, the
# profile stack (merged and split /usr), the build host's package.provided, baselayout with and
# without USE=build, baselayout then bash into ROOT=<tmp>/rootfs, lxc-execute, binary packages into
# other roots, no file shared by two packages, the pretend/host-merge/failure output formats, and
# no Portage state on the real host.
# LXCMIN_SELFTEST_KEEP=1 keeps the temp dir.
set -euo pipefail

SELFTEST=selftest
# shellcheck source=test/gentoo/selftest-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/selftest-lib.sh"
t_base='' t_bash='' t_bin_base='' t_bin_bash='' t_special='' t_build='' # set by timed
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
portageq repos_config / >"$TMP/repos_config.txt"
expect_line "$TMP/repos_config.txt" 'main-repo = lxcmin-gentoo' "portageq repos_config /"
expect_line "$TMP/repos_config.txt" '\[lxcmin-gentoo\]' "portageq repos_config /"
expect_line "$TMP/repos_config.txt" "location = $REPO/test/gentoo/repo" "portageq repos_config /"
grep -q '^\[gentoo\]' "$TMP/repos_config.txt" && fail "portageq repos_config / still lists [gentoo]"
ok "portageq repos_config / names lxcmin-gentoo ($REPO/test/gentoo/repo) as the main repo"

CFG=$TMP/cfg
make_configroot "$CFG"
CFG_SPLIT=$TMP/cfg-split
make_configroot "$CFG_SPLIT" "$SPLIT"
export PORTAGE_CONFIGROOT=$CFG ROOT=$TMP/rootfs
mkdir -p "$ROOT"
ROOT_RE=$(re "$ROOT")

# --- The profile stack: base, default/linux, arch/amd64[/no-multilib], releases/23.0, features/split-usr
envval() { # <portageq envvar -v output> <VAR>: the value, unquoted
	local v
	v=$(sed -n "s/^$2=//p" "$1")
	v=${v#\'}
	printf '%s' "${v%\'}"
}
var_is() { # <file> <VAR> <value> <description>
	[[ $(envval "$1" "$2") == "$3" ]] || fail "$4: $2='$(envval "$1" "$2")', expected '$3'"
}
var_has() { # <file> <VAR> <word> <description>
	[[ " $(envval "$1" "$2") " == *" $3 "* ]] || fail "$4: $2='$(envval "$1" "$2")' lacks '$3'"
}
var_lacks() { # <file> <VAR> <word> <description>
	[[ " $(envval "$1" "$2") " != *" $3 "* ]] || fail "$4: $2 has '$3'"
}
ENVVARS=(IUSE_IMPLICIT USE_EXPAND USE_EXPAND_HIDDEN USE_EXPAND_IMPLICIT USE_EXPAND_UNPREFIXED
	USE_EXPAND_VALUES_ARCH USE_EXPAND_VALUES_ELIBC USE_EXPAND_VALUES_KERNEL USE_EXPAND_VALUES_USERLAND
	ELIBC KERNEL USERLAND ARCH ACCEPT_KEYWORDS CHOST ABI DEFAULT_ABI MULTILIB_ABIS LIBDIR_amd64
	SYMLINK_LIB CFLAGS CXXFLAGS LDFLAGS ACCEPT_LICENSE CONFIG_PROTECT CONFIG_PROTECT_MASK USE
	PROFILE_23_USRTYPE)
for cfg in "$CFG" "$CFG_SPLIT"; do
	out=$TMP/envvar-${cfg##*/}.txt
	what="profile of ${cfg##*/}"
	# (exit status 1 when a variable is empty: PROFILE_23_USRTYPE of the merged profile)
	PORTAGE_CONFIGROOT=$cfg portageq envvar -v "${ENVVARS[@]}" >"$out" || true
	(($(wc -l <"$out") == ${#ENVVARS[@]})) || fail "$what: portageq envvar -v: $(cat "$out")"
	for w in prefix prefix-guest prefix-stack abi_x86_64; do var_has "$out" IUSE_IMPLICIT "$w" "$what"; done
	for w in ABI_X86 ELIBC KERNEL USERLAND; do var_has "$out" USE_EXPAND "$w" "$what"; done
	for w in ELIBC KERNEL USERLAND ABI_X86; do var_has "$out" USE_EXPAND_HIDDEN "$w" "$what"; done
	var_is "$out" USE_EXPAND_IMPLICIT "ARCH ELIBC KERNEL USERLAND" "$what"
	var_is "$out" USE_EXPAND_UNPREFIXED ARCH "$what"
	var_has "$out" USE_EXPAND_VALUES_ARCH amd64 "$what"
	var_is "$out" USE_EXPAND_VALUES_ELIBC "bionic Cygwin Darwin glibc mingw musl SunOS Winnt" "$what"
	var_is "$out" USE_EXPAND_VALUES_KERNEL "Darwin linux SunOS Winnt" "$what"
	var_is "$out" USE_EXPAND_VALUES_USERLAND "BSD GNU" "$what"
	for kv in ELIBC=glibc KERNEL=linux USERLAND=GNU ARCH=amd64 ACCEPT_KEYWORDS=amd64 \
		CHOST=x86_64-pc-linux-gnu ABI=amd64 DEFAULT_ABI=amd64 MULTILIB_ABIS=amd64 LIBDIR_amd64=lib64 \
		SYMLINK_LIB=no "CFLAGS=-O2 -pipe" "CXXFLAGS=-O2 -pipe" "LDFLAGS=-Wl,-O1 -Wl,--as-needed" \
		ACCEPT_LICENSE=@FREE CONFIG_PROTECT=/etc CONFIG_PROTECT_MASK=/etc/env.d; do
		var_is "$out" "${kv%%=*}" "${kv#*=}" "$what"
	done
	for w in nls unicode amd64 abi_x86_64 elibc_glibc kernel_linux userland_GNU; do var_has "$out" USE "$w" "$what"; done
	for w in prefix prefix-guest prefix-stack elibc_musl x86 build; do var_lacks "$out" USE "$w" "$what"; done
done
var_lacks "$TMP/envvar-cfg.txt" USE split-usr "$MERGED (releases/23.0 masks split-usr)"
var_is "$TMP/envvar-cfg.txt" PROFILE_23_USRTYPE "" "$MERGED"
var_has "$TMP/envvar-cfg-split.txt" USE split-usr "$SPLIT (features/split-usr forces it)"
var_is "$TMP/envvar-cfg-split.txt" PROFILE_23_USRTYPE split-usr "$SPLIT"
emerge -pv --color=n sys-apps/baselayout >"$TMP/pretend-baselayout.txt"
expect_line "$TMP/pretend-baselayout.txt" "\[ebuild  N     \] sys-apps/baselayout-2\.18::lxcmin-gentoo to ${ROOT_RE}/ USE=\"-build \(-split-usr\)\" 0 KiB" "$MERGED"
PORTAGE_CONFIGROOT=$CFG_SPLIT emerge -pv --color=n sys-apps/baselayout >"$TMP/pretend-baselayout-split.txt"
expect_line "$TMP/pretend-baselayout-split.txt" "\[ebuild  N     \] sys-apps/baselayout-2\.18::lxcmin-gentoo to ${ROOT_RE}/ USE=\"\(split-usr\) -build\" 0 KiB" "$SPLIT"
ok "profile stack: IUSE_IMPLICIT, USE_EXPAND*, glibc/linux/GNU, amd64 no-multilib; baselayout USE=\"-build (-split-usr)\" in $MERGED, USE=\"(split-usr) -build\" in $SPLIT"

# --- Pretend output -------------------------------------------------------------------------------
emerge -pq --color=n sys-apps/baselayout app-shells/bash >"$TMP/pretend.txt"
for p in sys-libs/glibc-2.36 sys-apps/baselayout-2.18 virtual/libc-1 sys-libs/ncurses-6.4_p20230506 \
	sys-libs/readline-8.2_p1 app-shells/bash-5.2_p15; do
	expect_line "$TMP/pretend.txt" "\[ebuild  N    \] $(re "$p") to ${ROOT_RE}/" "emerge -pq"
done
(($(grep -c '^\[' "$TMP/pretend.txt") == 6)) || fail "emerge -pq: expected 6 packages: $(cat "$TMP/pretend.txt")"
ok "emerge -pq: '[ebuild  N    ] cat/pkg-ver to $ROOT/' for all 6 packages (virtual/libc pulls glibc)"

[[ -z $(portageq match / dev-build/lxcmin-hosttool) ]] \
	|| fail "dev-build/lxcmin-hosttool is merged into the build host: remove it with 'emerge -C dev-build/lxcmin-hosttool' (ROOT unset)"
USE=hostdep emerge -pq --color=n app-misc/lxcmin-hello >"$TMP/pretend-hostdep.txt"
expect_line "$TMP/pretend-hostdep.txt" '\[ebuild  N    \] dev-build/lxcmin-hosttool-1\.0 ' "USE=hostdep"
expect_line "$TMP/pretend-hostdep.txt" "\[ebuild  N    \] app-misc/lxcmin-hello-1\.0 to ${ROOT_RE}/" "USE=hostdep"
expect_line "$TMP/pretend-hostdep.txt" "\[ebuild  N    \] virtual/libc-1 to ${ROOT_RE}/" "lxcmin-hello's RDEPEND"
ok "USE=hostdep: the build host merge has no 'to <root>' suffix; lxcmin-hello pulls virtual/libc"

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

# --- The build host's @system: package.provided ------------------------------------------------------
# An ebuild whose BDEPEND names every package.provided entry exactly, and an IDEPEND like
# acct-user's: both resolve on the build host ("/") to nothing to merge.
PROVIDED=$REPO/.tools/gentoo-host/etc/portage/profile/package.provided
[[ -f $PROVIDED ]] || fail "no $PROVIDED: rerun test/gentoo/setup.sh"
mapfile -t provided < <(grep -v '^#' "$PROVIDED" | grep .)
((${#provided[@]} >= 20)) || fail "package.provided: only ${#provided[@]} entries"
for p in sys-apps/shadow sys-devel/gcc sys-devel/binutils dev-build/make app-arch/tar app-arch/zstd \
	sys-apps/coreutils virtual/pkgconfig sys-apps/portage dev-lang/python; do
	grep -q "^$p-[0-9]" "$PROVIDED" || fail "package.provided lacks $p"
done
grep -q '^dev-build/lxcmin-hosttool' "$PROVIDED" && fail "package.provided lists dev-build/lxcmin-hosttool"
OVL=$TMP/overlay-hostdeps
mkdir -p "$OVL"/{metadata,profiles,app-misc/lxcmin-needs-host}
echo lxcmin-hostdeps >"$OVL/profiles/repo_name"
echo app-misc >"$OVL/profiles/categories"
printf '%s\n' 'repo-name = lxcmin-hostdeps' 'masters = lxcmin-gentoo' 'thin-manifests = true' >"$OVL/metadata/layout.conf"
{
	printf '%s\n' 'EAPI=8' 'DESCRIPTION="Needs the build host'\''s tools (selftest)"' \
		'HOMEPAGE="https://example.invalid/lxcmin"' 'S=${WORKDIR}' 'LICENSE="MIT"' 'SLOT="0"' 'KEYWORDS="amd64"'
	printf 'BDEPEND="%s"\n' "$(printf '=%s ' "${provided[@]}")"
	printf '%s\n' 'IDEPEND="!prefix? ( >=sys-apps/shadow-4.6 )"'
} >"$OVL/app-misc/lxcmin-needs-host/lxcmin-needs-host-1.ebuild"
CFG3=$TMP/cfg-hostdeps
make_configroot "$CFG3"
printf '\n[lxcmin-hostdeps]\nlocation = %s\n' "$OVL" >>"$CFG3/etc/portage/repos.conf/repos.conf"
PORTAGE_CONFIGROOT=$CFG3 emerge -pq --color=n app-misc/lxcmin-needs-host >"$TMP/pretend-provided.txt" 2>&1 \
	|| { cat "$TMP/pretend-provided.txt"; fail "emerge -p of a package with BDEPEND/IDEPEND on package.provided"; }
expect_line "$TMP/pretend-provided.txt" "\[ebuild  N    \] app-misc/lxcmin-needs-host-1 to ${ROOT_RE}/" "package.provided"
(($(grep -c '^\[' "$TMP/pretend-provided.txt") == 1)) || fail "package.provided: something else to merge: $(cat "$TMP/pretend-provided.txt")"
ok "package.provided (${#provided[@]} entries, e.g. ${provided[0]}): BDEPEND on each and IDEPEND >=sys-apps/shadow-4.6 merge nothing on the host"

# --- baselayout: what is in CONTENTS and what only in the root --------------------------------------
# Directories and links of the layout that baselayout makes in pkg_setup/pkg_preinst/pkg_postinst
# (or Portage itself: /tmp, /var/tmp), never in a CONTENTS file.
OUTSIDE=(/etc/passwd /etc/group /etc/shadow /bin /sbin /lib /lib64 /usr/bin /usr/sbin /usr/lib64
	/usr/local /usr/local/lib /usr/local/lib64 /usr/local/bin /usr/local/sbin /run /tmp /var/tmp /root
	/home /dev /proc /sys /boot /media /mnt /opt /usr/src /var/empty /var/log /var/spool /var/cache
	/var/lib /etc/profile.d)
is_link() { # <root> <path> <target>
	[[ -L $1$2 && $(readlink "$1$2") == "$3" ]] || fail "${1##*/}: $2 is not a link to $3: $(ls -ld "$1$2" 2>&1)"
}
is_dir() { # <root> <path> [<octal mode>]
	[[ -d $1$2 && ! -L $1$2 ]] || fail "${1##*/}: $2 is not a directory: $(ls -ld "$1$2" 2>&1)"
	[[ -z ${3:-} || $(stat -c %a "$1$2") == "$3" ]] || fail "${1##*/}: $2 has mode $(stat -c %a "$1$2"), not $3"
}
is_absent() { # <root> <path>
	[[ ! -e $1$2 && ! -L $1$2 ]] || fail "${1##*/}: $2 exists: $(ls -ld "$1$2")"
}
check_baselayout() { # <root> merged|split <USE=build: 0|1>: right after baselayout's merge
	local r=$1 usr=$2 build=$3 bl p f
	bl=$(compgen -G "$r/var/db/pkg/sys-apps/baselayout-2.18/CONTENTS") || fail "${r##*/}: no baselayout-2.18 in the vdb"
	for p in /etc/hosts /etc/inputrc /etc/issue /etc/nsswitch.conf /etc/profile /etc/shells /etc/gentoo-release \
		/etc/env.d/50baselayout /usr/lib/os-release /usr/share/baselayout/passwd /usr/share/baselayout/group \
		/usr/share/baselayout/shadow; do
		grep -q "^obj $p " "$bl" || fail "${r##*/}: $p is not in baselayout's CONTENTS"
	done
	for p in '/etc/os-release -> ../usr/lib/os-release' '/var/run -> ../run' '/var/lock -> ../run/lock' \
		'/etc/mtab -> ../proc/self/mounts'; do
		grep -q "^sym $p " "$bl" || fail "${r##*/}: sym $p is not in baselayout's CONTENTS"
	done
	for p in "${OUTSIDE[@]}"; do
		if grep -E "^(obj|sym|dir|dev|fif) $(re "$p")( |\$)" "$r"/var/db/pkg/*/*/CONTENTS; then
			fail "${r##*/}: $p is in a CONTENTS file"
		fi
	done
	for f in passwd group shadow; do [[ -f $r/etc/$f && ! -L $r/etc/$f ]] || fail "${r##*/}: no /etc/$f"; done
	[[ $(stat -c %a "$r/etc/shadow") == 640 ]] || fail "${r##*/}: /etc/shadow has mode $(stat -c %a "$r/etc/shadow")"
	grep -qx 'root:x:0:0:root:/root:/bin/bash' "$r/etc/passwd" && grep -q '^nobody:x:65534:65534:' "$r/etc/passwd" \
		&& grep -qx 'video::27:root' "$r/etc/group" && grep -qx 'users::100:' "$r/etc/group" \
		&& grep -qx 'nogroup::65533:' "$r/etc/group" && grep -q '^root:\*:' "$r/etc/shadow" \
		|| fail "${r##*/}: /etc/passwd, group or shadow lack Gentoo's entries"
	is_dir "$r" /tmp 1777
	is_dir "$r" /var/tmp 1777
	is_dir "$r" /run
	is_link "$r" /var/run ../run
	is_link "$r" /var/lock ../run/lock
	for p in /usr/lib /usr/lib64 /usr/local/lib /usr/local/lib64; do is_dir "$r" "$p"; done
	if [[ $usr == merged ]]; then
		is_link "$r" /lib usr/lib
		is_link "$r" /lib64 usr/lib64
		grep -qxF "LDPATH='/usr/lib64:/usr/local/lib64:/usr/lib:/usr/local/lib'" "$r/etc/env.d/50baselayout" \
			&& grep -qxF 'PATH="/usr/local/sbin:/usr/local/bin:/usr/bin:/opt/bin"' "$r/etc/env.d/50baselayout" \
			|| fail "${r##*/}: 50baselayout: $(grep PATH "$r/etc/env.d/50baselayout")"
	else
		is_dir "$r" /lib
		is_dir "$r" /lib64
		grep -qxF "LDPATH='/lib64:/usr/lib64:/usr/local/lib64:/lib:/usr/lib:/usr/local/lib'" "$r/etc/env.d/50baselayout" \
			&& grep -qxF 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/bin"' "$r/etc/env.d/50baselayout" \
			|| fail "${r##*/}: 50baselayout: $(grep PATH "$r/etc/env.d/50baselayout")"
	fi
	if ((build)); then
		is_dir "$r" /root 700
		for p in /boot /dev /etc/profile.d /home /media /mnt /opt /proc /sys /usr/bin /usr/local/bin \
			/usr/local/sbin /usr/src /var/cache /var/empty /var/lib /var/log /var/spool; do
			is_dir "$r" "$p" 755
		done
		[[ -c $r/dev/null && -c $r/dev/console ]] || fail "${r##*/}: no /dev/null or /dev/console"
		if [[ $usr == merged ]]; then
			is_link "$r" /bin usr/bin
			is_link "$r" /sbin usr/bin
			is_link "$r" /usr/sbin bin
		else
			for p in /bin /sbin /usr/sbin; do is_dir "$r" "$p" 755; done
		fi
	else
		for p in /bin /sbin /usr/bin /usr/sbin /root /home /dev /proc /sys /var/empty /boot; do is_absent "$r" "$p"; done
	fi
}

# --- No path installed by two packages (or twice by one, through the root's directory links) ----------
shared_paths() { # <root>: prints "<path>: <cpv> as <recorded path>, ..." for each such path
	/usr/bin/python3 - "$1" <<-'EOF'
		import glob, os, sys
		root = sys.argv[1]
		def resolve(path):  # the path's directories resolved through links inside root
		    todo, out, hops = path.strip("/").split("/")[:-1], [], 0
		    while todo:
		        c = todo.pop(0)
		        if c in ("", "."):
		            continue
		        if c == "..":
		            out = out[:-1]
		            continue
		        p = os.path.join(root, *out, c)
		        if os.path.islink(p) and hops < 40:
		            hops += 1
		            t = os.readlink(p)
		            out = [] if t.startswith("/") else out
		            todo = t.split("/") + todo
		        else:
		            out.append(c)
		    return "/" + "/".join(out + [path.rstrip("/").split("/")[-1]])
		seen = {}
		for contents in sorted(glob.glob(os.path.join(root, "var/db/pkg/*/*/CONTENTS"))):
		    cpv = "/".join(contents.split("/")[-3:-1])
		    for line in open(contents, encoding="utf-8", errors="surrogateescape"):
		        kind, _, rest = line.rstrip("\n").partition(" ")
		        if kind == "obj":
		            path = rest.rsplit(" ", 2)[0]
		        elif kind == "sym":
		            path = rest.split(" -> ", 1)[0]
		        else:
		            continue
		        seen.setdefault(resolve(path), []).append(f"{cpv} as {path}")
		for path, owners in sorted(seen.items()):
		    if len(owners) > 1:
		        print(f"{path}: {', '.join(owners)}")
	EOF
}
no_shared_paths() { # <root>
	shared_paths "$1" >"$TMP/shared-${1##*/}.txt"
	[[ ! -s $TMP/shared-${1##*/}.txt ]] || fail "${1##*/}: paths installed more than once:"$'\n'"$(cat "$TMP/shared-${1##*/}.txt")"
}
# The check itself, on a made-up root: /etc/foo from two packages; /lib/q and /usr/lib/q in one
# package are one path once /lib -> usr/lib.
fake=$TMP/fake-root
mkdir -p "$fake"/var/db/pkg/{a/x-1,b/y-1,c/z-1} "$fake/usr/lib"
ln -s usr/lib "$fake/lib"
echo 'obj /etc/foo 0123456789abcdef0123456789abcdef 1' >"$fake/var/db/pkg/a/x-1/CONTENTS"
printf '%s\n' 'dir /etc' 'obj /etc/foo 0123456789abcdef0123456789abcdef 1' 'obj /etc/a b 0123456789abcdef0123456789abcdef 1' \
	>"$fake/var/db/pkg/b/y-1/CONTENTS"
printf '%s\n' 'sym /lib/q -> ../lib64 1' 'sym /usr/lib/q -> ../lib64 1' 'obj /etc/a b c 0123456789abcdef0123456789abcdef 1' \
	>"$fake/var/db/pkg/c/z-1/CONTENTS"
shared_paths "$fake" >"$TMP/shared-fake.txt"
expect_line "$TMP/shared-fake.txt" '/etc/foo: a/x-1 as /etc/foo, b/y-1 as /etc/foo' "shared-path check"
expect_line "$TMP/shared-fake.txt" '/usr/lib/q: c/z-1 as /lib/q, c/z-1 as /usr/lib/q' "shared-path check"
(($(wc -l <"$TMP/shared-fake.txt") == 2)) || fail "shared-path check: $(cat "$TMP/shared-fake.txt")"
ok "shared-path check finds a file of two packages and one path recorded twice through /lib -> usr/lib"

# --- The recipe: baselayout first, then bash (with binary packages) -----------------------------
timed t_base env FEATURES=buildpkg emerge -q --color=n sys-apps/baselayout >"$TMP/merge-baselayout.log" 2>&1 \
	|| { cat "$TMP/merge-baselayout.log"; fail "emerge sys-apps/baselayout"; }
check_baselayout "$ROOT" merged 0
ok "baselayout ($MERGED, USE=-build, ${t_base}s): /lib -> usr/lib, /lib64 -> usr/lib64, /tmp /var/tmp 1777, /run, /etc/{passwd,group,shadow} (0640) outside CONTENTS; no /bin /sbin /root /home /dev"
timed t_bash env FEATURES=buildpkg emerge -q --color=n app-shells/bash >"$TMP/merge-bash.log" 2>&1 \
	|| { cat "$TMP/merge-bash.log"; fail "emerge app-shells/bash"; }
ok "emerge (FEATURES=buildpkg): glibc+virtual/libc+ncurses+readline+bash ${t_bash}s"

[[ $(portageq match "$ROOT" app-shells/bash) == app-shells/bash-5.2_p15 ]] || fail "portageq match"
[[ -z $(portageq match "$ROOT" app-misc/lxcmin-hello) ]] || fail "portageq match of a missing package"
ok "portageq match $ROOT app-shells/bash -> app-shells/bash-5.2_p15"

vdb=$ROOT/var/db/pkg
grep -qF '>=sys-libs/readline-8.1:0/8=' "$vdb/app-shells/bash-5.2_p15/RDEPEND" \
	&& grep -qF '>=sys-libs/ncurses-5.2-r2:0/6=' "$vdb/app-shells/bash-5.2_p15/RDEPEND" \
	&& grep -qF '>=sys-libs/ncurses-5.9-r3:0/6=' "$vdb/sys-libs/readline-8.2_p1/RDEPEND" \
	|| fail "slot operators not recorded: $(cat "$vdb"/app-shells/bash-5.2_p15/RDEPEND "$vdb"/sys-libs/readline-8.2_p1/RDEPEND)"
grep -qF '|| ( app-shells/bash app-shells/dash )' "$vdb/sys-libs/ncurses-6.4_p20230506/RDEPEND" \
	|| fail "ncurses' || dependency: $(cat "$vdb/sys-libs/ncurses-6.4_p20230506/RDEPEND")"
[[ $(<"$vdb/virtual/libc-1/RDEPEND") == sys-libs/glibc:2.2 ]] || fail "virtual/libc RDEPEND: $(<"$vdb/virtual/libc-1/RDEPEND")"
# Portage adds >=<libc> to the RDEPEND of what it builds once virtual/libc is installed (bug 753500)
grep -qF '>=sys-libs/glibc-2.36' "$vdb/app-shells/bash-5.2_p15/RDEPEND" || fail "no injected libc dependency"
ok "vdb: bash RDEPEND :0/6= :0/8= (slot operators recorded), ncurses '|| ( app-shells/bash app-shells/dash )', virtual/libc sys-libs/glibc:2.2, injected >=sys-libs/glibc-2.36"

glibc_contents=$vdb/sys-libs/glibc-2.36/CONTENTS
grep -q '^sym /usr/lib/x86_64-linux-gnu -> \.\./lib64 ' "$glibc_contents" || fail "glibc: no /usr/lib/x86_64-linux-gnu link"
grep -q '^sym /lib/x86_64-linux-gnu ' "$glibc_contents" && fail "glibc: /lib/x86_64-linux-gnu recorded in a merged-/usr root"
grep -q '^obj /etc/inputrc ' "$vdb/sys-libs/readline-8.2_p1/CONTENTS" && fail "readline still installs /etc/inputrc"
is_dir "$ROOT" /bin # merged /usr without USE=build: bash's /bin/bash makes a real /bin, as on Gentoo
ok "merged /usr: glibc has /usr/lib/x86_64-linux-gnu only (/lib/x86_64-linux-gnu is the same path); /bin is a real directory (no USE=build)"

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

# --- Binary packages into a split-/usr root (bug 953999: ROOT != / binpkgs) -----------------------------
shopt -s nullglob
binpkgs=("$TMP"/binpkgs/*/*/*.gpkg.tar "$TMP"/binpkgs/*/*.gpkg.tar)
shopt -u nullglob
((${#binpkgs[@]} == 6)) || fail "expected 6 binary packages, found: ${binpkgs[*]:-none}"
ok "FEATURES=buildpkg wrote ${#binpkgs[@]} .gpkg.tar packages"

USEPKG=(--usepkg --binpkg-respect-use=y --binpkg-changed-deps=y) # as the action passes them
ROOT2=$TMP/rootfs2
ROOT2_RE=$(re "$ROOT2")
mkdir -p "$ROOT2"
# No libc in ROOT2 yet: Portage strips its injected >=sys-libs/glibc-2.36 from a binary package's deps
# only against an installed libc, so --binpkg-changed-deps takes the injected dependency for a changed
# one and builds from source. baselayout: another USE (split-usr).
PORTAGE_CONFIGROOT=$CFG_SPLIT ROOT=$ROOT2 emerge -pq --color=n "${USEPKG[@]}" sys-apps/baselayout app-shells/bash >"$TMP/pretend-binpkg.txt"
expect_line "$TMP/pretend-binpkg.txt" "\[binary  N    \] sys-libs/glibc-2\.36-1 to ${ROOT2_RE}/" "emerge -pq --usepkg"
expect_line "$TMP/pretend-binpkg.txt" "\[binary  N    \] virtual/libc-1-1 to ${ROOT2_RE}/" "emerge -pq --usepkg"
expect_line "$TMP/pretend-binpkg.txt" "\[ebuild  N    \] sys-apps/baselayout-2\.18 to ${ROOT2_RE}/" "emerge -pq --usepkg (USE=split-usr)"
expect_line "$TMP/pretend-binpkg.txt" "\[ebuild  N    \] app-shells/bash-5\.2_p15 to ${ROOT2_RE}/" "emerge -pq --usepkg (no libc in ROOT)"
ok "emerge -pq --usepkg into an empty root: '[binary  N    ] cat/pkg-ver-1 to $ROOT2/' for glibc and virtual/libc only (injected libc dependency)"
timed t_bin_base env PORTAGE_CONFIGROOT="$CFG_SPLIT" ROOT="$ROOT2" emerge -q --color=n "${USEPKG[@]}" sys-apps/baselayout >"$TMP/binpkg-baselayout.log" 2>&1 \
	|| { cat "$TMP/binpkg-baselayout.log"; fail "emerge --usepkg baselayout"; }
check_baselayout "$ROOT2" split 0
PORTAGE_CONFIGROOT=$CFG_SPLIT ROOT=$ROOT2 emerge -q --color=n "${USEPKG[@]}" virtual/libc >"$TMP/binpkg-libc.log" 2>&1 \
	|| { cat "$TMP/binpkg-libc.log"; fail "emerge --usepkg virtual/libc"; }
PORTAGE_CONFIGROOT=$CFG_SPLIT ROOT=$ROOT2 emerge -pq --color=n "${USEPKG[@]}" app-shells/bash >"$TMP/pretend-binpkg2.txt"
expect_line "$TMP/pretend-binpkg2.txt" "\[binary  N    \] app-shells/bash-5\.2_p15-1 to ${ROOT2_RE}/" "emerge -pq --usepkg (libc in ROOT)"
timed t_bin_bash env PORTAGE_CONFIGROOT="$CFG_SPLIT" ROOT="$ROOT2" emerge -q --color=n "${USEPKG[@]}" app-shells/bash >"$TMP/binpkg-bash.log" 2>&1 \
	|| { cat "$TMP/binpkg-bash.log"; fail "emerge --usepkg bash"; }
grep -q 'Emerging binary' "$TMP/binpkg-bash.log" || fail "emerge --usepkg built from source"
grep -q '>>> Emerging (' "$TMP/binpkg-bash.log" && fail "emerge --usepkg built from source: $(grep '>>> Emerging (' "$TMP/binpkg-bash.log")"
grep -q '^sym /lib/x86_64-linux-gnu -> \.\./lib64 ' "$ROOT2/var/db/pkg/sys-libs/glibc-2.36/CONTENTS" \
	&& grep -q '^sym /usr/lib/x86_64-linux-gnu -> \.\./lib64 ' "$ROOT2/var/db/pkg/sys-libs/glibc-2.36/CONTENTS" \
	|| fail "split /usr: glibc lacks /lib/x86_64-linux-gnu or /usr/lib/x86_64-linux-gnu"
is_dir "$ROOT2" /lib
run_container "$ROOT2" "lxcmin-selftest-bin-$$"
ok "split /usr ($SPLIT): baselayout ${t_bin_base}s (/lib, /lib64 directories), then virtual/libc, then bash from binary packages ${t_bin_bash}s; glibc's binary package gets both x86_64-linux-gnu links; runs under lxc-execute"

# --- baselayout with USE=build: the whole skeleton, outside CONTENTS --------------------------------
ROOT3=$TMP/rootfs-build
ROOT4=$TMP/rootfs-build-split
mkdir -p "$ROOT3" "$ROOT4"
timed t_build env ROOT="$ROOT3" USE=build emerge -q --color=n "${USEPKG[@]}" sys-apps/baselayout >"$TMP/build-baselayout.log" 2>&1 \
	|| { cat "$TMP/build-baselayout.log"; fail "USE=build emerge baselayout"; }
check_baselayout "$ROOT3" merged 1
ROOT=$ROOT3 emerge -q --color=n "${USEPKG[@]}" virtual/libc >"$TMP/build-libc.log" 2>&1 \
	|| { cat "$TMP/build-libc.log"; fail "emerge --usepkg virtual/libc ($ROOT3)"; }
ROOT=$ROOT3 emerge -q --color=n "${USEPKG[@]}" app-shells/bash >"$TMP/build-bash.log" 2>&1 \
	|| { cat "$TMP/build-bash.log"; fail "emerge --usepkg bash ($ROOT3)"; }
[[ -f $ROOT3/usr/bin/bash && -L $ROOT3/usr/bin/sh && -f $ROOT3/usr/bin/ldconfig ]] || fail "merged /usr: bash, sh, ldconfig not in /usr/bin"
run_container "$ROOT3" "lxcmin-selftest-build-$$"
ok "baselayout USE=build ($MERGED, ${t_build}s): /bin -> usr/bin, /sbin -> usr/bin, /usr/sbin -> bin, /root 0700, /home /dev /proc /sys /var/empty ..., none in CONTENTS; bash lands in /usr/bin and runs"
PORTAGE_CONFIGROOT=$CFG_SPLIT ROOT=$ROOT4 USE=build emerge -q --color=n sys-apps/baselayout >"$TMP/build-split.log" 2>&1 \
	|| { cat "$TMP/build-split.log"; fail "USE=build emerge baselayout ($SPLIT)"; }
check_baselayout "$ROOT4" split 1
ok "baselayout USE=build ($SPLIT): real /bin /sbin /usr/sbin /lib /lib64, /root 0700, the rest of the skeleton, none in CONTENTS"

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

for r in "$ROOT" "$ROOT2" "$ROOT3"; do no_shared_paths "$r"; done
ok "no path in two CONTENTS entries (resolved through /lib, /bin, ... links) in the merged, split and USE=build roots ($(cat "$ROOT"/var/db/pkg/*/*/CONTENTS | grep -c '^obj\|^sym') entries in $ROOT)"

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
