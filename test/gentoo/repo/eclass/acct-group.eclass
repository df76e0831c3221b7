# Distributed under the terms of the GNU General Public License v2

# @ECLASS: acct-group.eclass
# @MAINTAINER:
# lxcmin test suite
# @SUPPORTED_EAPIS: 8
# @BLURB: TEST ONLY: create and maintain a single group entry, as Gentoo's acct-group.eclass.
# @DESCRIPTION:
# A short stand-in for Gentoo's acct-group.eclass (GLEP 81). The group is named ${PN}, its
# preferred GID is ACCT_GROUP_ID (-1: any free system GID). pkg_preinst runs the build host's
# `groupadd --system [--gid ID] --prefix ${EROOT}`, so the group lands in
# ${EROOT}/etc/group (and gshadow, if the root has one). An existing group of that name is left
# alone ("Group <name> already exists"), as for acct-group/video, which baselayout's group file
# already has. The package installs /usr/lib/sysusers.d/acct-group-${PN}.conf.
#
# Differences from Gentoo's: no make.conf overrides (ACCT_GROUP_<NAME>_ID); look-ups always read
# ${EROOT}/etc (user-info.eclass); a merge into "/" changes the stand-in build host's
# ${EPREFIX}/etc/group instead of doing nothing (see _acct_target_ok in user-info.eclass).
#
# @CODE
# EAPI=8
# inherit acct-group
# ACCT_GROUP_ID=450
# @CODE

case ${EAPI} in
	8) ;;
	*) die "${ECLASS}: EAPI ${EAPI:-0} not supported" ;;
esac

if [[ -z ${_ACCT_GROUP_ECLASS} ]]; then
_ACCT_GROUP_ECLASS=1

inherit user-info

[[ ${CATEGORY} == acct-group ]] ||
	die "Ebuild error: this eclass can be used only in acct-group category!"

# @ECLASS_VARIABLE: ACCT_GROUP_NAME
# @INTERNAL
# @DESCRIPTION:
# The name of the group: always ${PN}.
ACCT_GROUP_NAME=${PN}
readonly ACCT_GROUP_NAME

# @ECLASS_VARIABLE: ACCT_GROUP_ID
# @REQUIRED
# @DESCRIPTION:
# Preferred GID of the group; -1 for a dynamically allocated one. If the GID is taken by another
# group, a free one is used (unless ACCT_GROUP_ENFORCE_ID is set).

# @ECLASS_VARIABLE: ACCT_GROUP_ENFORCE_ID
# @DESCRIPTION:
# If non-empty, pkg_pretend fails when the group exists with another GID or the GID is taken.
: "${ACCT_GROUP_ENFORCE_ID:=}"

: "${DESCRIPTION:="System group: ${ACCT_GROUP_NAME}"}"
: "${SLOT:=0}"
: "${KEYWORDS:=amd64}"
S=${WORKDIR}

# groupadd --prefix (shadow 4.6 and later) on the build host, as in Gentoo's newer revisions.
# The stand-in build host provides it (package.provided): Debian 12's passwd package is 4.13.
IDEPEND=">=sys-apps/shadow-4.6"

# @FUNCTION: acct-group_pkg_pretend
# @DESCRIPTION:
# Checks ACCT_GROUP_ID; with ACCT_GROUP_ENFORCE_ID, that the GID can be had.
acct-group_pkg_pretend() {
	[[ -n ${ACCT_GROUP_ID} ]] || die "Ebuild error: ACCT_GROUP_ID must be set!"
	[[ ${ACCT_GROUP_ID} =~ ^(-1|[0-9]+)$ ]] || die "Ebuild error: ACCT_GROUP_ID=${ACCT_GROUP_ID} invalid!"

	[[ ${ACCT_GROUP_ID} -ne -1 && -n ${ACCT_GROUP_ENFORCE_ID} ]] || return 0
	local by_id by_name
	by_id=$(egetgroupname "${ACCT_GROUP_ID}")
	by_name=$(egetent group "${ACCT_GROUP_NAME}")
	if [[ -n ${by_id} && ${by_id} != "${ACCT_GROUP_NAME}" ]]; then
		eerror "The required GID ${ACCT_GROUP_ID} (for ${ACCT_GROUP_NAME}) is taken by group ${by_id}"
		die "GID ${ACCT_GROUP_ID} taken already"
	elif [[ -z ${by_id} && -n ${by_name} ]]; then
		eerror "Group ${ACCT_GROUP_NAME} exists with another GID than ${ACCT_GROUP_ID}: ${by_name}"
		die "Group ${ACCT_GROUP_NAME} exists with wrong GID"
	fi
}

# @FUNCTION: acct-group_src_install
# @DESCRIPTION:
# Installs the group's sysusers.d file.
acct-group_src_install() {
	insinto /usr/lib/sysusers.d
	newins - "${CATEGORY}-${ACCT_GROUP_NAME}.conf" < <(
		printf 'g\t%q\t%q\n' "${ACCT_GROUP_NAME}" "${ACCT_GROUP_ID/#-*/-}"
	)
}

# @FUNCTION: acct-group_pkg_preinst
# @DESCRIPTION:
# Creates the group in ${EROOT} unless a group of that name exists.
acct-group_pkg_preinst() {
	_acct_target_ok || return 0
	_acct_files_exist

	if egetent group "${ACCT_GROUP_NAME}" >/dev/null; then
		elog "Group ${ACCT_GROUP_NAME} already exists"
		return 0
	fi

	local opts=( --system --prefix "${EROOT%/}" )
	if [[ ${ACCT_GROUP_ID} -ne -1 ]] && ! egetent group "${ACCT_GROUP_ID}" >/dev/null; then
		opts+=( --gid "${ACCT_GROUP_ID}" )
	fi

	elog "Adding group ${ACCT_GROUP_NAME}"
	groupadd "${opts[@]}" "${ACCT_GROUP_NAME}" || die "groupadd failed with status $?"
}

fi

EXPORT_FUNCTIONS pkg_pretend src_install pkg_preinst
