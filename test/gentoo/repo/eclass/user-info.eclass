# Distributed under the terms of the GNU General Public License v2

# @ECLASS: user-info.eclass
# @MAINTAINER:
# lxcmin test suite
# @SUPPORTED_EAPIS: 8
# @BLURB: TEST ONLY: read-only look-ups in the target's account files.
# @DESCRIPTION:
# A short stand-in for Gentoo's user-info.eclass, for acct-group.eclass and acct-user.eclass.
# Gentoo's egetent asks getent(1) when ROOT is empty and greps ROOT/etc/<db> otherwise. On the
# lxcmin test host "/" is a stand-in directory (EPREFIX, PORTAGE_OVERRIDE_EPREFIX), and getent
# would answer from the Debian machine's own accounts: this one always reads
# ${EROOT}/etc/{passwd,group,shadow} as files and never asks NSS.

case ${EAPI} in
	8) ;;
	*) die "${ECLASS}: EAPI ${EAPI:-0} not supported" ;;
esac

if [[ -z ${_USER_INFO_ECLASS} ]]; then
_USER_INFO_ECLASS=1

# @FUNCTION: egetent
# @USAGE: <database> <key>
# @DESCRIPTION:
# Prints the entry of <key> (a name, or for passwd and group also a numeric id) from
# ${EROOT}/etc/<database>; databases: passwd, group, shadow (by name only). Returns 0 when found,
# 2 when not (getent's status), also when the file does not exist. Only in pkg_* phases.
egetent() {
	[[ $# -eq 2 ]] || die "usage: egetent <database> <key>"
	local db=$1 key=$2 field=1
	case ${db} in
		passwd|group) [[ ${key} =~ ^[0-9]+$ ]] && field=3 ;;
		shadow) ;;
		*) die "${FUNCNAME}: database '${db}' is not supported" ;;
	esac
	local file=${EROOT%/}/etc/${db}
	[[ -r ${file} ]] || return 2
	awk -F: -v key="${key}" -v field="${field}" \
		'$field == key { print; found = 1; exit } END { exit found ? 0 : 2 }' "${file}"
}

# @FUNCTION: egetusername
# @USAGE: <uid>
# @DESCRIPTION:
# The name of the user with this uid.
egetusername() {
	[[ $# -eq 1 ]] || die "usage: egetusername <uid>"
	egetent passwd "$1" | cut -d: -f1
}

# @FUNCTION: egetgroupname
# @USAGE: <gid>
# @DESCRIPTION:
# The name of the group with this gid.
egetgroupname() {
	[[ $# -eq 1 ]] || die "usage: egetgroupname <gid>"
	egetent group "$1" | cut -d: -f1
}

# @FUNCTION: egetcomment
# @USAGE: <user>
# @DESCRIPTION:
# The comment (GECOS) field of the user.
egetcomment() {
	[[ $# -eq 1 ]] || die "usage: egetcomment <user>"
	egetent passwd "$1" | cut -d: -f5
}

# @FUNCTION: egetgroups
# @USAGE: <user>
# @DESCRIPTION:
# The user's groups, ','-separated: the primary group first, then the supplementary groups
# (those listing the user as a member) sorted, as Gentoo's egetgroups prints them.
egetgroups() {
	[[ $# -eq 1 ]] || die "usage: egetgroups <user>"
	local gid primary
	gid=$(egetent passwd "$1" | cut -d: -f4)
	[[ -n ${gid} ]] && primary=$(egetgroupname "${gid}")
	local file=${EROOT%/}/etc/group others
	[[ -r ${file} ]] || { echo "${primary}"; return; }
	others=$(awk -F: -v user="$1" -v primary="${primary}" '
		$1 != primary { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == user) print $1 }
	' "${file}" | LC_ALL=C sort | paste -sd, -)
	echo "${primary}${others:+,${others}}"
}

# @FUNCTION: _acct_target_ok
# @INTERNAL
# @DESCRIPTION:
# For acct-group.eclass and acct-user.eclass: 0 when the account files in ${EROOT} may be
# changed. Gentoo's eclasses refuse when EUID is not 0 or EPREFIX is set ("Insufficient
# privileges"). Here EPREFIX is the stand-in build host (.tools/gentoo-host), so only EUID counts
# and a merge into "/" changes ${EPREFIX}/etc/{passwd,group,shadow}, as a runner's merge changes
# its /etc. This test repository never changes the accounts of the machine's own /: if ${EROOT}
# is /, it refuses.
_acct_target_ok() {
	if [[ ${EUID} -ne 0 ]]; then
		einfo "Insufficient privileges to execute ${FUNCNAME[1]}"
		return 1
	fi
	if [[ $(realpath -m "${EROOT:-/}") == / ]]; then
		ewarn "${FUNCNAME[1]}: EROOT is this machine's own /: its accounts are left alone"
		ewarn "(test repository; the build host is PORTAGE_OVERRIDE_EPREFIX, ROOT a target root)"
		return 1
	fi
	return 0
}

# @FUNCTION: _acct_files_exist
# @INTERNAL
# @DESCRIPTION:
# Dies unless ${EROOT}/etc/passwd and group exist (before useradd/groupadd, which fail with
# "cannot lock" otherwise).
_acct_files_exist() {
	if [[ ! -e ${EROOT%/}/etc/passwd || ! -e ${EROOT%/}/etc/group ]]; then
		eerror "${EROOT%/}/etc/passwd or ${EROOT%/}/etc/group does not exist:"
		if [[ -z ${ROOT} ]]; then
			eerror "the stand-in build host has none (test/gentoo/setup.sh makes them)"
		else
			eerror "merge sys-apps/baselayout into ${ROOT} first"
		fi
		die "no account files in ${EROOT%/}/etc"
	fi
}

fi
