# Distributed under the terms of the GNU General Public License v2

# @ECLASS: acct-user.eclass
# @MAINTAINER:
# lxcmin test suite
# @SUPPORTED_EAPIS: 8
# @BLURB: TEST ONLY: create and maintain a single user entry, as Gentoo's acct-user.eclass.
# @DESCRIPTION:
# A short stand-in for Gentoo's acct-user.eclass (GLEP 81). The user is named ${PN}; the ebuild
# sets ACCT_USER_ID and ACCT_USER_GROUPS (an array, the first is the primary group) and calls
# acct-user_add_deps, which adds RDEPEND on the acct-group packages. The phases, as Gentoo's:
#   src_install   keepdir of ACCT_USER_HOME (unless /dev/null), so the home and its
#                 .keep_acct-user_${PN}-0 are in CONTENTS; /usr/lib/sysusers.d/acct-user-${PN}.conf
#   pkg_preinst   `useradd --system --prefix ${EROOT} ...` on the build host unless the user
#                 exists; fowners (numeric uid:gid from ${EROOT}/etc) and fperms of the home in the
#                 image, so it is merged with its owner and mode
#   pkg_postinst  if the user was there already: `usermod --prefix ${EROOT}` to the ebuild's
#                 comment, home, shell and groups (the update path of a re-merge)
#   pkg_prerm     on removal (not on replacement): the account is locked, not deleted
#
# Differences from Gentoo's: no make.conf overrides (ACCT_USER_<NAME>_*); look-ups always read
# ${EROOT}/etc (user-info.eclass); useradd gets --no-log-init, since shadow's useradd updates the
# build host's own /var/log/{faillog,lastlog} even with --prefix; a merge into "/" changes the
# stand-in build host's ${EPREFIX}/etc instead of doing nothing (see _acct_target_ok).
#
# @CODE
# EAPI=8
# inherit acct-user
# ACCT_USER_ID=450
# ACCT_USER_GROUPS=( lxcmin-daemon )
# ACCT_USER_HOME=/var/lib/lxcmin-daemon
# ACCT_USER_HOME_PERMS=0750
# acct-user_add_deps
# @CODE

case ${EAPI} in
	8) ;;
	*) die "${ECLASS}: EAPI ${EAPI:-0} not supported" ;;
esac

if [[ -z ${_ACCT_USER_ECLASS} ]]; then
_ACCT_USER_ECLASS=1

inherit user-info

[[ ${CATEGORY} == acct-user ]] ||
	die "Ebuild error: this eclass can be used only in acct-user category!"

# @ECLASS_VARIABLE: ACCT_USER_NAME
# @DESCRIPTION:
# The name of the user: ${PN}.
ACCT_USER_NAME=${PN}

# @ECLASS_VARIABLE: ACCT_USER_ID
# @REQUIRED
# @DESCRIPTION:
# Preferred UID; -1 for a dynamically allocated one. If the UID is taken by another user, a free
# one is used (unless ACCT_USER_ENFORCE_ID is set).

# @ECLASS_VARIABLE: ACCT_USER_ENFORCE_ID
# @DESCRIPTION:
# If non-empty, pkg_pretend fails when the user exists with another UID or the UID is taken.
: "${ACCT_USER_ENFORCE_ID:=}"

# @ECLASS_VARIABLE: ACCT_USER_NO_MODIFY
# @DEFAULT_UNSET
# @DESCRIPTION:
# If non-empty, an existing user is neither updated nor locked.
: "${ACCT_USER_NO_MODIFY:=}"

# @ECLASS_VARIABLE: ACCT_USER_COMMENT
# @DEFAULT_UNSET
# @DESCRIPTION:
# The comment (GECOS) field; default: DESCRIPTION with ':', ',' and '=' replaced by ';'.

# @ECLASS_VARIABLE: ACCT_USER_SHELL
# @DESCRIPTION:
# The login shell.
: "${ACCT_USER_SHELL:=/sbin/nologin}"

# @ECLASS_VARIABLE: ACCT_USER_HOME
# @DESCRIPTION:
# The home directory; /dev/null for none. It is installed (keepdir) with the owner and mode below.
: "${ACCT_USER_HOME:=/dev/null}"

# @ECLASS_VARIABLE: ACCT_USER_HOME_OWNER
# @DEFAULT_UNSET
# @DESCRIPTION:
# The owner of the home in chown syntax ([user][:group]); default: the user and its primary group.

# @ECLASS_VARIABLE: ACCT_USER_HOME_PERMS
# @DESCRIPTION:
# The mode of the home (chmod syntax).
: "${ACCT_USER_HOME_PERMS:=0755}"

# @ECLASS_VARIABLE: ACCT_USER_GROUPS
# @REQUIRED
# @DESCRIPTION:
# The user's groups, a bash array: the first is the primary group, the others supplementary.

: "${DESCRIPTION:="System user: ${ACCT_USER_NAME}"}"
: "${SLOT:=0}"
: "${KEYWORDS:=amd64}"
S=${WORKDIR}

# useradd/usermod --prefix (shadow 4.6 and later) on the build host, as in Gentoo's newer
# revisions; the stand-in build host provides it (package.provided).
IDEPEND=">=sys-apps/shadow-4.6"

# @FUNCTION: acct-user_add_deps
# @DESCRIPTION:
# Adds RDEPEND on acct-group/<group> for ACCT_USER_GROUPS, and on the packages of
# ACCT_USER_HOME_OWNER's user and group. Must be called in global scope, after those are set.
acct-user_add_deps() {
	if [[ $(declare -p ACCT_USER_GROUPS 2>/dev/null) != "declare -a"* ]]; then
		die 'ACCT_USER_GROUPS must be an array.'
	elif [[ ${#ACCT_USER_GROUPS[@]} -eq 0 ]]; then
		die 'ACCT_USER_GROUPS must not be empty.'
	fi

	RDEPEND+=${ACCT_USER_GROUPS[*]/#/ acct-group/}

	local user=${ACCT_USER_HOME_OWNER%%:*} group=
	[[ ${ACCT_USER_HOME_OWNER} == *:* ]] && group=${ACCT_USER_HOME_OWNER#*:}
	[[ -n ${user} && ${user} != "${ACCT_USER_NAME}" ]] && RDEPEND+=" acct-user/${user}"
	[[ -n ${group} ]] && ! has "${group}" "${ACCT_USER_GROUPS[@]}" && RDEPEND+=" acct-group/${group}"

	_ACCT_USER_ADD_DEPS_CALLED=1
}

# @FUNCTION: acct-user_pkg_pretend
# @DESCRIPTION:
# Checks the ebuild (acct-user_add_deps called, ACCT_USER_ID); with ACCT_USER_ENFORCE_ID, that
# the UID can be had.
acct-user_pkg_pretend() {
	[[ -n ${_ACCT_USER_ADD_DEPS_CALLED} ]] ||
		die "Ebuild error: acct-user_add_deps must have been called in global scope!"
	[[ -n ${ACCT_USER_ID} ]] || die "Ebuild error: ACCT_USER_ID must be set!"
	[[ ${ACCT_USER_ID} =~ ^(-1|[0-9]+)$ ]] || die "Ebuild error: ACCT_USER_ID=${ACCT_USER_ID} invalid!"
	[[ ${ACCT_USER_COMMENT-} == *[:,=]* ]] &&
		die "Ebuild error: ACCT_USER_COMMENT must not contain ':', ',' or '='"

	[[ ${ACCT_USER_ID} -ne -1 && -n ${ACCT_USER_ENFORCE_ID} ]] || return 0
	local by_id by_name
	by_id=$(egetusername "${ACCT_USER_ID}")
	by_name=$(egetent passwd "${ACCT_USER_NAME}")
	if [[ -n ${by_id} && ${by_id} != "${ACCT_USER_NAME}" ]]; then
		eerror "The required UID ${ACCT_USER_ID} (for ${ACCT_USER_NAME}) is taken by user ${by_id}"
		die "UID ${ACCT_USER_ID} taken already"
	elif [[ -z ${by_id} && -n ${by_name} ]]; then
		eerror "User ${ACCT_USER_NAME} exists with another UID than ${ACCT_USER_ID}: ${by_name}"
		die "Username ${ACCT_USER_NAME} exists with wrong UID"
	fi
}

# @FUNCTION: acct-user_src_install
# @DESCRIPTION:
# Installs the home (a keepdir; owner and mode are set in pkg_preinst, once the user exists) and
# the user's sysusers.d file.
acct-user_src_install() {
	: "${ACCT_USER_COMMENT:=${DESCRIPTION//[:,=]/;}}"

	if [[ ${ACCT_USER_HOME} != /dev/null ]]; then
		keepdir "${ACCT_USER_HOME}"
	fi

	insinto /usr/lib/sysusers.d
	newins - "${CATEGORY}-${ACCT_USER_NAME}.conf" < <(
		printf 'u\t%q\t%q\t%q\t%q\t%q\n' "${ACCT_USER_NAME}" \
			"${ACCT_USER_ID/#-*/-}:${ACCT_USER_GROUPS[0]}" "${ACCT_USER_COMMENT}" \
			"${ACCT_USER_HOME}" "${ACCT_USER_SHELL}"
		local group
		for group in "${ACCT_USER_GROUPS[@]:1}"; do
			printf 'm\t%q\t%q\n' "${ACCT_USER_NAME}" "${group}"
		done
	)
}

# @FUNCTION: _acct_user_home_owner
# @INTERNAL
# @DESCRIPTION:
# ACCT_USER_HOME_OWNER (default: the user and its primary group) as numeric uid:gid from
# ${EROOT}/etc: chown on the build host must not resolve names through the host's own accounts.
_acct_user_home_owner() {
	local user=${ACCT_USER_NAME} group=${ACCT_USER_GROUPS[0]} uid= gid=
	if [[ ${ACCT_USER_HOME_OWNER} == *:* ]]; then
		user=${ACCT_USER_HOME_OWNER%%:*}
		group=${ACCT_USER_HOME_OWNER#*:}
	elif [[ -n ${ACCT_USER_HOME_OWNER} ]]; then
		user=${ACCT_USER_HOME_OWNER}
		group=
	fi
	if [[ -n ${user} ]]; then
		uid=$(egetent passwd "${user}" | cut -d: -f3)
		[[ -n ${uid} ]] || die "home owner: no user ${user} in ${EROOT%/}/etc/passwd"
		[[ -n ${group} ]] || gid=$(egetent passwd "${user}" | cut -d: -f4)
	fi
	if [[ -n ${group} ]]; then
		gid=$(egetent group "${group}" | cut -d: -f3)
		[[ -n ${gid} ]] || die "home owner: no group ${group} in ${EROOT%/}/etc/group"
	fi
	echo "${uid}:${gid}"
}

# @FUNCTION: acct-user_pkg_preinst
# @DESCRIPTION:
# Creates the user in ${EROOT} unless it exists; sets the owner and mode of the home in the image.
acct-user_pkg_preinst() {
	unset _ACCT_USER_ADDED
	: "${ACCT_USER_COMMENT:=${DESCRIPTION//[:,=]/;}}"
	_acct_target_ok || return 0
	_acct_files_exist

	if egetent passwd "${ACCT_USER_NAME}" >/dev/null; then
		elog "User ${ACCT_USER_NAME} already exists"
	else
		local aux=${ACCT_USER_GROUPS[*]:1}
		local opts=(
			--system --no-create-home --no-user-group --no-log-init
			--comment "${ACCT_USER_COMMENT}"
			--home-dir "${ACCT_USER_HOME}"
			--shell "${ACCT_USER_SHELL}"
			--gid "${ACCT_USER_GROUPS[0]}"
			--groups "${aux// /,}"
			--prefix "${EROOT%/}"
		)
		if [[ ${ACCT_USER_ID} -ne -1 ]] && ! egetent passwd "${ACCT_USER_ID}" >/dev/null; then
			opts+=( --uid "${ACCT_USER_ID}" )
		fi
		elog "Adding user ${ACCT_USER_NAME}"
		useradd "${opts[@]}" "${ACCT_USER_NAME}" || die "useradd failed with status $?"
		_ACCT_USER_ADDED=1
	fi

	if [[ ${ACCT_USER_HOME} != /dev/null ]]; then
		# the path may be missing due to INSTALL_MASK (Gentoo bug 691478)
		if [[ ! -d ${ED}/${ACCT_USER_HOME#/} ]]; then
			eerror "The home directory ${ACCT_USER_HOME} is missing from the installation image;"
			eerror "check INSTALL_MASK."
			die "${ACCT_USER_HOME} does not exist"
		fi
		fowners "$(_acct_user_home_owner)" "${ACCT_USER_HOME}"
		fperms "${ACCT_USER_HOME_PERMS}" "${ACCT_USER_HOME}"
	fi
}

# @FUNCTION: acct-user_pkg_postinst
# @DESCRIPTION:
# Updates a user that existed before this merge to the ebuild's settings (after the new home is
# merged). The home is not moved.
acct-user_pkg_postinst() {
	[[ -n ${_ACCT_USER_ADDED} ]] && return 0
	: "${ACCT_USER_COMMENT:=${DESCRIPTION//[:,=]/;}}"
	_acct_target_ok || return 0
	if [[ -n ${ACCT_USER_NO_MODIFY} ]]; then
		ewarn "User ${ACCT_USER_NAME} already exists; not touching it (ACCT_USER_NO_MODIFY)"
		return 0
	fi

	local aux=${ACCT_USER_GROUPS[*]:1}
	local opts=(
		--comment "${ACCT_USER_COMMENT}"
		--home "${ACCT_USER_HOME}"
		--shell "${ACCT_USER_SHELL}"
		--groups "${aux// /,}"
		--expiredate ""
		--prefix "${EROOT%/}"
	)
	# shadow 4.13's usermod looks the --gid argument up on the build host even with --prefix
	# (useradd and --groups use the prefix): a name could get the host's number. So --gid only
	# when the primary group changes, and as the number from ${EROOT}/etc/group.
	local gid old_gid
	gid=$(egetent group "${ACCT_USER_GROUPS[0]}" | cut -d: -f3)
	old_gid=$(egetent passwd "${ACCT_USER_NAME}" | cut -d: -f4)
	[[ -n ${gid} ]] || die "no group ${ACCT_USER_GROUPS[0]} in ${EROOT%/}/etc/group"
	[[ ${gid} == "${old_gid}" ]] || opts+=( --gid "${gid}" )
	# an account locked by pkg_prerm (password "!<hash>") is unlocked; "!" alone stays
	local pwhash
	pwhash=$(egetent shadow "${ACCT_USER_NAME}" | cut -d: -f2)
	[[ ${pwhash} != '!' && ${pwhash} == '!'* ]] && opts+=( --unlock )

	local g dropped=
	for g in $(egetgroups "${ACCT_USER_NAME}" | tr , ' '); do
		has "${g}" "${ACCT_USER_GROUPS[@]}" || dropped+="${dropped:+, }${g}"
	done
	[[ -n ${dropped} ]] && ewarn "Removing user ${ACCT_USER_NAME} from group(s): ${dropped}"

	elog "Updating user ${ACCT_USER_NAME}"
	local status=0
	usermod "${opts[@]}" "${ACCT_USER_NAME}" || status=$?
	if [[ ${status} -eq 8 ]]; then
		eerror "Failed to update user ${ACCT_USER_NAME}: it has running processes. Run:"
		eerror "  usermod ${opts[*]@Q} ${ACCT_USER_NAME}"
	elif [[ ${status} -ne 0 ]]; then
		die "usermod failed with status ${status}"
	fi
}

# @FUNCTION: acct-user_pkg_prerm
# @DESCRIPTION:
# Locks the account when the package is removed (not when it is replaced): expired, password
# locked, shell /sbin/nologin, "; user account removed @ <date>" appended to the comment.
acct-user_pkg_prerm() {
	[[ -n ${REPLACED_BY_VERSION} ]] && return 0
	_acct_target_ok || return 0
	if [[ ${ACCT_USER_ID} -eq 0 ]]; then
		elog "Refusing to lock out the superuser (UID 0)"
		return 0
	fi
	if [[ -n ${ACCT_USER_NO_MODIFY} ]]; then
		elog "Not locking user ${ACCT_USER_NAME} due to ACCT_USER_NO_MODIFY"
		return 0
	fi
	if ! egetent passwd "${ACCT_USER_NAME}" >/dev/null; then
		ewarn "User account not found: ${ACCT_USER_NAME}; not locking it"
		return 0
	fi

	elog "Locking user ${ACCT_USER_NAME}"
	usermod --expiredate 1 --lock --shell /sbin/nologin \
		--comment "$(egetcomment "${ACCT_USER_NAME}"); user account removed @ $(date +%Y-%m-%d)" \
		--prefix "${EROOT%/}" "${ACCT_USER_NAME}" || die "usermod failed with status $?"
}

fi

EXPORT_FUNCTIONS pkg_pretend src_install pkg_preinst pkg_postinst pkg_prerm
