#!/usr/bin/env bash
# TEST ONLY: proof that the test repository's accounts and service work on the stand-in Gentoo
# host: acct-group/acct-user (user-info.eclass, groupadd/useradd/usermod --prefix), a merge, a
# re-merge (the usermod update path), binary packages, emerge -C (the account is locked),
# net-misc/lxcmin-daemon under lxc-execute and lxc-start (as root and as its user, in a root with
# nothing but /etc/passwd and /etc/group for NSS), a merge into "/" (a scratch copy of the build
# host), and the real host's accounts untouched. About 80 s. LXCMIN_SELFTEST_KEEP=1 keeps the temp dir.
set -euo pipefail

SELFTEST=selftest-accounts
# shellcheck source=test/gentoo/selftest-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/selftest-lib.sh"
no_line() { # <file> <ERE for a whole line> <description>
	! grep -Eq -- "^$2\$" "$1" || { sed 's/^/     | /' "$1" >&2; fail "$3: a line matches /^$2\$/"; }
}
field() { # <file> <name> <field number>: one field of an account file's entry
	awk -F: -v n="$2" -v f="$3" '$1 == n { print $f; exit }' "$1"
}
owner_mode() { stat -c '%a %u:%g' "$1"; }
merge() { # <log> <emerge args...>: emerge -q, colour off; the log is shown on failure
	local log=$1
	shift
	NOCOLOR=true CLEAN_DELAY=0 emerge -q --color=n "$@" >"$log" 2>&1 || { cat "$log"; fail "emerge $*"; }
}

# The machine's own accounts: never written (the eclasses refuse an EROOT of /).
ACCOUNT_FILES=(/etc/passwd /etc/group /etc/shadow /etc/gshadow)
HOST=$REPO/.tools/gentoo-host
host_sums() { md5sum "${ACCOUNT_FILES[@]}" "$HOST"/etc/{passwd,group,shadow} 2>/dev/null || true; }
host_sums >"$TMP/host-accounts.before"

make_configroot "$TMP/cfg"
export PORTAGE_CONFIGROOT=$TMP/cfg ROOT=$TMP/rootfs
mkdir -p "$ROOT"
ROOT_RE=$(re "$ROOT")
VDB=$ROOT/var/db/pkg
HOME_DIR=$ROOT/var/lib/lxcmin-daemon
PASSWD_LINE='lxcmin-daemon:x:450:450:User of net-misc/lxcmin-daemon \(lxcmin test repository\):/var/lib/lxcmin-daemon:/sbin/nologin'

# --- Pretend: everything into ROOT, IDEPEND on shadow met by the build host's package.provided ----
merge "$TMP/merge-baselayout.log" sys-apps/baselayout
emerge -pq --color=n net-misc/lxcmin-daemon >"$TMP/pretend.txt"
for p in acct-group/lxcmin-daemon-0 acct-user/lxcmin-daemon-0 sys-libs/glibc-2.36 virtual/libc-1 net-misc/lxcmin-daemon-1.0; do
	expect_line "$TMP/pretend.txt" "\[ebuild  N    \] $(re "$p") to ${ROOT_RE}/" "emerge -pq net-misc/lxcmin-daemon"
done
no_line "$TMP/pretend.txt" '\[.*\] [^ ]+ ?' "emerge -pq net-misc/lxcmin-daemon (a build host merge)"
ok "emerge -pq net-misc/lxcmin-daemon: acct-group, acct-user, glibc, virtual/libc, the daemon into ROOT; nothing for the build host (IDEPEND >=sys-apps/shadow-4.6 is package.provided)"

# --- The merge --------------------------------------------------------------------------------------
merge "$TMP/merge-daemon.log" --buildpkg net-misc/lxcmin-daemon
expect_line "$TMP/merge-daemon.log" ' \* Adding group lxcmin-daemon' "merge"
expect_line "$TMP/merge-daemon.log" ' \* Adding user lxcmin-daemon' "merge"
expect_line "$ROOT/etc/passwd" "$PASSWD_LINE" "ROOT/etc/passwd"
expect_line "$ROOT/etc/group" 'lxcmin-daemon:x:450:' "ROOT/etc/group"
expect_line "$ROOT/etc/shadow" 'lxcmin-daemon:!:[0-9]+::::::' "ROOT/etc/shadow"
ok "merge: ' * Adding group/user lxcmin-daemon'; ROOT/etc/{passwd,group,shadow} have lxcmin-daemon 450:450, /sbin/nologin, password '!'"

[[ $(owner_mode "$HOME_DIR") == '750 450:450' ]] || fail "home: $(owner_mode "$HOME_DIR"), expected 750 450:450"
expect_line "$VDB/acct-user/lxcmin-daemon-0/CONTENTS" 'dir /var/lib/lxcmin-daemon' "acct-user CONTENTS"
expect_line "$VDB/acct-user/lxcmin-daemon-0/CONTENTS" 'obj /var/lib/lxcmin-daemon/\.keep_acct-user_lxcmin-daemon-0 [0-9a-f]{32} [0-9]+' "acct-user CONTENTS"
expect_line "$ROOT/usr/lib/sysusers.d/acct-user-lxcmin-daemon.conf" $'u\tlxcmin-daemon\t450:lxcmin-daemon\t.*\t/var/lib/lxcmin-daemon\t/sbin/nologin' "sysusers.d"
expect_line "$ROOT/usr/lib/sysusers.d/acct-group-lxcmin-daemon.conf" $'g\tlxcmin-daemon\t450' "sysusers.d"
expect_line "$VDB/acct-user/lxcmin-daemon-0/IDEPEND" '>=sys-apps/shadow-4\.6' "acct-user IDEPEND"
expect_line "$VDB/acct-user/lxcmin-daemon-0/RDEPEND" 'acct-group/lxcmin-daemon' "acct-user RDEPEND"
ok "home /var/lib/lxcmin-daemon: mode 750, owner 450:450 on disk, in CONTENTS with .keep_acct-user_lxcmin-daemon-0; sysusers.d files; IDEPEND/RDEPEND in the vdb"

for f in 'obj /usr/sbin/lxcmin-daemon' 'obj /usr/bin/lxcmin-daemon-query' 'obj /etc/lxcmin-daemon.conf'; do
	expect_line "$VDB/net-misc/lxcmin-daemon-1.0/CONTENTS" "$(re "$f") [0-9a-f]{32} [0-9]+" "net-misc/lxcmin-daemon CONTENTS"
done
expect_line "$ROOT/etc/lxcmin-daemon.conf" 'socket = /run/lxcmin-daemon/daemon\.sock' "the installed config"
ok "net-misc/lxcmin-daemon: /usr/sbin/lxcmin-daemon, /usr/bin/lxcmin-daemon-query, /etc/lxcmin-daemon.conf"

# --- Under LXC --------------------------------------------------------------------------------------
merge "$TMP/merge-bash.log" app-shells/bash # /bin/sh for the smoke command
mkdir -p "$ROOT"/{dev,proc,sys} "$TMP/lxc"
lxc_conf() { # <file> <rootfs> [extra lines...]
	local file=$1 rootfs=$2
	shift 2
	{
		printf '%s\n' 'lxc.net.0.type = empty' "lxc.rootfs.path = dir:$rootfs" 'lxc.uts.name = lxcmin-selftest' \
			'lxc.autodev = 1' 'lxc.tty.max = 1' 'lxc.pty.max = 1'
		printf '%s\n' "$@"
	} >"$file"
}
execute() { # <name> <config> <command...>: lxc-execute, stdout only, within 30 s
	local name=$1 conf=$2
	shift 2
	CONTAINERS+=("$name")
	timeout 30 lxc-execute -n "$name" -P "$TMP/lxc" -f "$conf" -- "$@" 2>>"$TMP/lxc-stderr.log"
}
lxc_conf "$TMP/root.conf" "$ROOT"
out=$(execute "acct-root-$$" "$TMP/root.conf" /bin/sh -c 'lxcmin-daemon & exec lxcmin-daemon-query') \
	|| fail "lxc-execute lxcmin-daemon & exec lxcmin-daemon-query: status $? ($(tail -n 5 "$TMP/lxc-stderr.log"))"
[[ $out == 'Hello from lxcmin-daemon (request 1, uid 450)' ]] || fail "smoke (root): '$out'"
[[ $(owner_mode "$ROOT/run/lxcmin-daemon") == '755 450:450' ]] || fail "socket dir: $(owner_mode "$ROOT/run/lxcmin-daemon")"
[[ $(<"$HOME_DIR/count") == 1 && $(stat -c %u "$HOME_DIR/count") == 450 ]] || fail "state file"
[[ ! -e $ROOT/run/lxcmin-daemon/daemon.sock ]] || fail "the daemon did not remove its socket when the query's process exited"
ok "lxc-execute /bin/sh -c 'lxcmin-daemon & exec lxcmin-daemon-query' (as root): '$out'; /run/lxcmin-daemon 450:450, count 1 owned by 450; the daemon stops with its parent"

lxc_conf "$TMP/user.conf" "$ROOT" 'lxc.init.uid = 450' 'lxc.init.gid = 450' 'lxc.init.cwd = /var/lib/lxcmin-daemon'
out=$(execute "acct-user-$$" "$TMP/user.conf" /bin/sh -c 'lxcmin-daemon & echo "cwd $PWD"; exec lxcmin-daemon-query') \
	|| fail "lxc-execute as uid 450: status $?"
[[ $out == $'cwd /var/lib/lxcmin-daemon\nHello from lxcmin-daemon (request 2, uid 450)' ]] || fail "smoke (uid 450): '$out'"
ok "the same as uid 450 (lxc.init.uid): 'Hello from lxcmin-daemon (request 2, uid 450)'"

cat >"$ROOT/etc/lxcmin-selftest.conf" <<-'EOF'
	# another config (-c): its own greeting, socket directory and state file
	greeting   =   Hello from the selftest
	socket = /run/lxcmin-selftest/other.sock
	state = /var/lib/lxcmin-daemon/other-count
	user = lxcmin-daemon
EOF
out=$(execute "acct-conf-$$" "$TMP/root.conf" /bin/sh -c \
	'lxcmin-daemon -c /etc/lxcmin-selftest.conf & lxcmin-daemon-query /run/lxcmin-selftest/other.sock; exec lxcmin-daemon-query /run/lxcmin-selftest/other.sock')
[[ $out == $'Hello from the selftest (request 1, uid 450)\nHello from the selftest (request 2, uid 450)' ]] || fail "-c: '$out'"
[[ $(owner_mode "$ROOT/run/lxcmin-selftest") == '755 450:450' && $(<"$HOME_DIR/other-count") == 2 ]] || fail "-c: socket dir or state"
printf 'greeting = x\ncolour = blue\n' >"$ROOT/etc/lxcmin-bad.conf"
if execute "acct-bad-$$" "$TMP/root.conf" /usr/sbin/lxcmin-daemon -c /etc/lxcmin-bad.conf >/dev/null; then
	fail "an unknown key was accepted"
fi
expect_line "$TMP/lxc-stderr.log" "lxcmin-daemon: /etc/lxcmin-bad\.conf:2: unknown key 'colour' \(known: greeting, socket, state, user\)" "bad config"
ok "-c FILE: greeting, socket (its directory created for the user), state; an unknown key fails with 'FILE:2: unknown key'"

# lxc-start with the daemon as the container's init, running as its user; asked from the host.
lxc_conf "$TMP/init.conf" "$ROOT" 'lxc.init.uid = 450' 'lxc.init.gid = 450' 'lxc.init.cmd = /usr/sbin/lxcmin-daemon'
CONTAINERS+=("acct-init-$$")
lxc-start -n "acct-init-$$" -P "$TMP/lxc" -f "$TMP/init.conf" -o "$TMP/lxc-start.log" -l INFO || fail "lxc-start"
for _ in $(seq 100); do [[ -S $ROOT/run/lxcmin-daemon/daemon.sock ]] && break; sleep 0.1; done
out=$("$ROOT/usr/bin/lxcmin-daemon-query" "$ROOT/run/lxcmin-daemon/daemon.sock") || fail "query from the host"
[[ $out == 'Hello from lxcmin-daemon (request 3, uid 450)' ]] || fail "lxc-start: '$out'"
lxc-stop -n "acct-init-$$" -P "$TMP/lxc" -t 10 || fail "lxc-stop"
[[ ! -e $ROOT/run/lxcmin-daemon/daemon.sock ]] || fail "lxc-stop: the socket is still there"
ok "lxc-start (lxc.init.cmd = /usr/sbin/lxcmin-daemon, uid 450): the host's query got request 3; lxc-stop (SIGPWR) stops it cleanly"

# A root with nothing for NSS but /etc/passwd and /etc/group: no nsswitch.conf, no libnss_*.
MIN=$TMP/minroot
mkdir -p "$MIN"/{dev,proc,sys,run,etc,lib64,lib/x86_64-linux-gnu,usr/sbin,usr/bin,var/lib/lxcmin-daemon}
cp -L "$ROOT/lib64/ld-linux-x86-64.so.2" "$MIN/lib64/"
cp -L "$ROOT/usr/lib64/libc.so.6" "$MIN/lib/x86_64-linux-gnu/"
cp -p "$ROOT/usr/sbin/lxcmin-daemon" "$MIN/usr/sbin/"
cp -p "$ROOT/etc/lxcmin-daemon.conf" "$MIN/etc/"
grep -E '^(root|lxcmin-daemon):' "$ROOT/etc/passwd" >"$MIN/etc/passwd"
grep -E '^(root|lxcmin-daemon):' "$ROOT/etc/group" >"$MIN/etc/group"
chown 450:450 "$MIN/var/lib/lxcmin-daemon"
lxc_conf "$TMP/min.conf" "$MIN"
CONTAINERS+=("acct-min-$$")
lxc-execute -n "acct-min-$$" -P "$TMP/lxc" -f "$TMP/min.conf" -- /usr/sbin/lxcmin-daemon 2>"$TMP/min.log" &
min_pid=$!
out=$("$ROOT/usr/bin/lxcmin-daemon-query" -w 10 "$MIN/run/lxcmin-daemon/daemon.sock") || { cat "$TMP/min.log"; fail "minimal root"; }
lxc-stop -n "acct-min-$$" -P "$TMP/lxc" -t 10 || true
wait "$min_pid" || fail "minimal root: lxc-execute status $?"
[[ $out == 'Hello from lxcmin-daemon (request 1, uid 450)' ]] || fail "minimal root: '$out'"
expect_line "$TMP/min.log" 'lxcmin-daemon: listening on /run/lxcmin-daemon/daemon\.sock as uid 450 gid 450 \(version 1\.0, request count 0\)' "minimal root log"
expect_line "$TMP/min.log" 'lxcmin-daemon: stopping \(signal 15\)' "minimal root log"
ok "a root with only the loader, libc, /etc/passwd and /etc/group: started as root, answers as uid 450"

# --- Re-merge: the update path (usermod) ------------------------------------------------------------
usermod --prefix "$ROOT" --shell /bin/sh --comment changed lxcmin-daemon
echo '# changed by the selftest' >>"$ROOT/etc/lxcmin-daemon.conf"
merge "$TMP/remerge.log" net-misc/lxcmin-daemon acct-user/lxcmin-daemon acct-group/lxcmin-daemon
for l in 'Group lxcmin-daemon already exists' 'User lxcmin-daemon already exists' 'Updating user lxcmin-daemon'; do
	expect_line "$TMP/remerge.log" " \\* $l" "re-merge"
done
expect_line "$ROOT/etc/passwd" "$PASSWD_LINE" "re-merge: ROOT/etc/passwd"
[[ $(grep -c '^lxcmin-daemon:' "$ROOT/etc/group") == 1 ]] || fail "re-merge: group twice"
[[ -f $ROOT/etc/._cfg0000_lxcmin-daemon.conf && $(tail -n1 "$ROOT/etc/lxcmin-daemon.conf") == '# changed by the selftest' ]] \
	|| fail "re-merge: /etc/lxcmin-daemon.conf not config-protected"
[[ $(owner_mode "$HOME_DIR") == '750 450:450' && -f $HOME_DIR/count ]] || fail "re-merge: home"
ok "re-merge: 'already exists', ' * Updating user lxcmin-daemon' (usermod --prefix) restores shell and comment; the changed config stays, the new one is ._cfg0000_lxcmin-daemon.conf"

# --- A second account: dynamic ids, supplementary groups, a group baselayout has (video) -----------
merge "$TMP/merge-client.log" acct-user/lxcmin-client
expect_line "$TMP/merge-client.log" ' \* Group video already exists' "acct-group/video"
expect_line "$TMP/merge-client.log" ' \* Adding user lxcmin-client' "acct-user/lxcmin-client"
cuid=$(field "$ROOT/etc/passwd" lxcmin-client 3)
cgid=$(field "$ROOT/etc/group" lxcmin-client 3)
((cuid >= 101 && cuid <= 999 && cgid >= 101 && cgid <= 999 && cuid != 450)) || fail "dynamic ids: uid $cuid gid $cgid"
[[ $(field "$ROOT/etc/passwd" lxcmin-client 4) == "$cgid" ]] || fail "lxcmin-client's primary group"
expect_line "$ROOT/etc/passwd" "lxcmin-client:x:$cuid:$cgid:Client user of net-misc/lxcmin-daemon; for tests:/dev/null:/bin/sh" "lxcmin-client"
expect_line "$ROOT/etc/group" 'video::27:root,lxcmin-client' "video members"
expect_line "$ROOT/etc/group" 'lxcmin-daemon:x:450:lxcmin-client' "lxcmin-daemon members"
expect_line "$ROOT/etc/group" 'video::27:.*' "video keeps gid 27"
no_line "$VDB/acct-user/lxcmin-client-0/CONTENTS" 'dir /dev.*' "no home"
ok "acct-user/lxcmin-client: dynamic uid/gid $cuid/$cgid, home /dev/null, shell /bin/sh, member of lxcmin-daemon and video ('Group video already exists', gid 27 kept)"

# --- Binary packages into a fresh root ---------------------------------------------------------------
ROOT2=$TMP/rootfs2
mkdir -p "$ROOT2"
ROOT=$ROOT2 merge "$TMP/bin-baselayout.log" sys-apps/baselayout
ROOT=$ROOT2 merge "$TMP/bin-daemon.log" --usepkgonly net-misc/lxcmin-daemon
expect_line "$TMP/bin-daemon.log" ">>> Emerging binary \([0-9] of [0-9]\) acct-group/lxcmin-daemon-0::lxcmin-gentoo for $(re "$ROOT2")/" "binary"
expect_line "$TMP/bin-daemon.log" ' \* Adding user lxcmin-daemon' "binary"
expect_line "$ROOT2/etc/passwd" "$PASSWD_LINE" "binary: ROOT2/etc/passwd"
[[ $(owner_mode "$ROOT2/var/lib/lxcmin-daemon") == '750 450:450' ]] || fail "binary: home $(owner_mode "$ROOT2/var/lib/lxcmin-daemon")"
ok "--usepkgonly into a fresh root: the acct packages' pkg_preinst run from the binary packages (user 450, home 750 450:450)"

# --- emerge -C: the account is locked, not removed; a new merge unlocks it ----------------------------
merge "$TMP/unmerge.log" -C net-misc/lxcmin-daemon acct-user/lxcmin-client acct-user/lxcmin-daemon
expect_line "$TMP/unmerge.log" ' \* Locking user lxcmin-daemon' "emerge -C"
expect_line "$ROOT/etc/passwd" "lxcmin-daemon:x:450:450:User of net-misc/lxcmin-daemon \(lxcmin test repository\); user account removed @ [0-9]{4}-[0-9]{2}-[0-9]{2}:/var/lib/lxcmin-daemon:/sbin/nologin" "emerge -C"
[[ $(field "$ROOT/etc/shadow" lxcmin-daemon 8) == 1 ]] || fail "emerge -C: not expired"
[[ ! -e $ROOT/usr/sbin/lxcmin-daemon && ! -e $VDB/acct-user/lxcmin-daemon-0 ]] || fail "emerge -C: files left"
[[ -d $HOME_DIR && -f $HOME_DIR/count ]] || fail "emerge -C: the home with its state should stay"
merge "$TMP/merge-again.log" acct-user/lxcmin-daemon
expect_line "$TMP/merge-again.log" ' \* Updating user lxcmin-daemon' "merge after emerge -C"
expect_line "$ROOT/etc/passwd" "$PASSWD_LINE" "merge after emerge -C"
[[ -z $(field "$ROOT/etc/shadow" lxcmin-daemon 8) ]] || fail "merge after emerge -C: still expired"
ok "emerge -C: ' * Locking user lxcmin-daemon' (expired, '; user account removed @ <date>'), home and state stay; merged again, the account is restored"

# --- A merge into "/": a scratch copy of the build host (PORTAGE_OVERRIDE_EPREFIX) --------------------
# (not the shared .tools/gentoo-host: other tests watch it). Its etc/{passwd,group,shadow} change,
# as a runner's /etc would; without them pkg_preinst fails naming them.
SCRATCH=$TMP/build-host
mkdir -p "$SCRATCH"/{etc,share/portage,var/db/pkg,var/tmp,var/log/portage}
cp -a "$HOST/etc/portage" "$SCRATCH/etc/"
cp -a "$HOST/share/portage/config" "$SCRATCH/share/portage/"
cat >"$SCRATCH/etc/portage/make.conf" <<-EOF
	DISTDIR="$SCRATCH/var/cache/distfiles"
	PKGDIR="$SCRATCH/var/cache/binpkgs"
	PORTAGE_TMPDIR="$SCRATCH/var/tmp"
	PORT_LOGDIR="$SCRATCH/var/log/portage"
	EMERGE_LOG_DIR="$SCRATCH/var/log"
	FEATURES="-sandbox -usersandbox -userpriv -news"
	PORTAGE_USERNAME="root"
	PORTAGE_GRPNAME="root"
EOF
host_emerge() { # <log> <args...>: the wrapper's environment for ROOT=/, with the scratch host
	local log=$1
	shift
	env -u ROOT -u PORTAGE_CONFIGROOT -u EPREFIX PORTAGE_OVERRIDE_EPREFIX="$SCRATCH" \
		PORTAGE_USERNAME=root PORTAGE_GRPNAME=root FEATURES="-sandbox -usersandbox -userpriv" \
		NOCOLOR=true CLEAN_DELAY=0 "$REPO/.tools/portage-venv/bin/emerge" -q --color=n "$@" >"$log" 2>&1
}
if host_emerge "$TMP/host-none.log" acct-group/lxcmin-daemon; then fail "a host merge without account files succeeded"; fi
expect_line "$TMP/host-none.log" " \\* $(re "$SCRATCH")/etc/passwd or $(re "$SCRATCH")/etc/group does not exist:" "host merge without account files"
install -m 0644 "$REPO/test/gentoo/repo/sys-apps/baselayout/files/passwd" "$SCRATCH/etc/passwd"
install -m 0644 "$REPO/test/gentoo/repo/sys-apps/baselayout/files/group" "$SCRATCH/etc/group"
install -m 0640 "$REPO/test/gentoo/repo/sys-apps/baselayout/files/shadow" "$SCRATCH/etc/shadow"
host_emerge "$TMP/host.log" acct-user/lxcmin-daemon || { cat "$TMP/host.log"; fail "host merge"; }
expect_line "$TMP/host.log" '>>> Emerging \(2 of 2\) acct-user/lxcmin-daemon-0::lxcmin-gentoo' "host merge (no 'for <root>')"
expect_line "$SCRATCH/etc/passwd" "$PASSWD_LINE" "host merge: <build host>/etc/passwd"
expect_line "$SCRATCH/etc/group" 'lxcmin-daemon:x:450:' "host merge: <build host>/etc/group"
[[ $(owner_mode "$SCRATCH/var/lib/lxcmin-daemon") == '750 450:450' ]] || fail "host merge: home"
host_emerge "$TMP/host-unmerge.log" -C acct-user/lxcmin-daemon acct-group/lxcmin-daemon || fail "host emerge -C"
expect_line "$TMP/host-unmerge.log" ' \* Locking user lxcmin-daemon' "host emerge -C"
ok "a merge into \"/\" (scratch build host): <EPREFIX>/etc/{passwd,group} get lxcmin-daemon, home 750 450:450; without those files: '<EPREFIX>/etc/passwd or <EPREFIX>/etc/group does not exist:'"

# --- Nothing changed on the real host ------------------------------------------------------------------
host_sums >"$TMP/host-accounts.after"
cmp -s "$TMP/host-accounts.before" "$TMP/host-accounts.after" \
	|| fail "account files changed on the host: $(diff "$TMP/host-accounts.before" "$TMP/host-accounts.after")"
[[ -z $(portageq match / acct-user/lxcmin-daemon) && -z $(portageq match / acct-group/lxcmin-daemon) ]] \
	|| fail "an acct package is merged into the build host (.tools/gentoo-host)"
ok "the machine's /etc/{passwd,group,shadow,gshadow} and the build host's account files are unchanged; no acct-* in the build host's vdb"

echo "$PASS passed, 0 failed"
