# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Filesystem baselayout and init scripts (lxcmin test repository)"
HOMEPAGE="https://wiki.gentoo.org/wiki/No_homepage"
S=${WORKDIR}

LICENSE="GPL-2"
SLOT="0"
KEYWORDS="amd64"
IUSE="build +split-usr"

# TEST ONLY: a short stand-in for Gentoo's sys-apps/baselayout-2.18-r1 (no distfile). It does what
# the real one does, in the same phases:
#   src_install   /etc files, /usr/lib/os-release, /etc/env.d/50baselayout and the account files
#                 in /usr/share/baselayout: the package's CONTENTS
#   pkg_setup and pkg_preinst   the lib directories in EROOT, outside CONTENTS (merged /usr:
#                 /lib -> usr/lib, /lib64 -> usr/lib64); with USE=build also the whole directory
#                 skeleton, outside CONTENTS (merged /usr: /bin -> usr/bin, /sbin -> usr/bin,
#                 /usr/sbin -> bin); then the /var/run and /var/lock links into the image (CONTENTS)
#   pkg_postinst  /etc/passwd, group, shadow copied from /usr/share/baselayout when absent (owned
#                 by no package), /run
# The profile decides split-usr: releases/23.0 masks it (merged /usr), features/split-usr forces it.

# The library directory names of the profile's ABIs, and lib (multilib.eclass's get_all_libdirs).
baselayout_libdirs() {
	local abi var dirs=()
	for abi in ${MULTILIB_ABIS:-${DEFAULT_ABI}}; do
		var=LIBDIR_${abi}
		has "${!var:-lib}" "${dirs[@]}" || dirs+=( "${!var:-lib}" )
	done
	has lib "${dirs[@]}" || dirs+=( lib )
	echo "${dirs[@]}"
}

# The lib directories in /, /usr and /usr/local (the real ebuild's multilib_layout, for
# SYMLINK_LIB=no, the only value of this repository's profiles). With merged /usr the ones in /
# are links into /usr.
baselayout_lib_layout() {
	[[ ${SYMLINK_LIB:-no} == no ]] || die "SYMLINK_LIB=${SYMLINK_LIB} is not supported by this stand-in"
	local prefix libdir dir
	for prefix in "${EROOT}"/{,usr/,usr/local/}; do
		for libdir in $(baselayout_libdirs); do
			dir=${prefix}${libdir}
			if [[ -e ${dir} ]]; then
				[[ -d ${dir} ]] || die "${dir} exists but is not a directory"
				continue
			fi
			if ! use split-usr && [[ ${prefix} == "${EROOT}"/ ]]; then
				[[ -L ${dir} ]] && die "symlink ${dir} already exists"
				einfo "symlinking ${dir} to usr/${libdir}"
				ln -s "usr/${libdir}" "${dir}" || die "Unable to make ${dir} symlink"
			else
				einfo "creating directory ${dir}"
				mkdir -p "${dir}" || die "Unable to create ${dir} directory"
			fi
		done
	done
}

# /bin, /sbin or /usr/sbin as a link into /usr/bin (merged /usr). The real Makefile removes what
# is there (rm -fr): this stand-in only replaces an empty directory.
baselayout_usrmerge_link() { # <path> <link target>
	local dir=${EROOT}${1}
	if [[ -L ${dir} ]]; then
		ln -snf "${2}" "${dir}" || die
	elif [[ -d ${dir} ]]; then
		if rmdir "${dir}" 2>/dev/null; then
			ln -s "${2}" "${dir}" || die
		else
			ewarn "${dir} is a directory with files in it, not a link to ${2}: merge ${PN} first"
		fi
	else
		ln -s "${2}" "${dir}" || die
	fi
}

# The directory skeleton (Gentoo's Makefile: target layout, and layout-usrmerge without
# split-usr), made in EROOT and so in no package's CONTENTS.
baselayout_skeleton() {
	local d
	for d in /boot /dev /etc/profile.d /home /media /mnt /opt /proc /run /sys \
		/usr/bin /usr/local/bin /usr/local/sbin /usr/src \
		/var/cache /var/empty /var/lib /var/log /var/spool; do
		install -d -m 0755 "${EROOT}${d}" || die
	done
	if use split-usr; then
		install -d -m 0755 "${EROOT}"/bin "${EROOT}"/sbin "${EROOT}"/usr/sbin || die
	else
		baselayout_usrmerge_link /bin usr/bin
		baselayout_usrmerge_link /sbin usr/bin
		baselayout_usrmerge_link /usr/sbin bin
	fi
	[[ -d ${EROOT}/var/run && ! -L ${EROOT}/var/run ]] || { ln -snf ../run "${EROOT}"/var/run || die; }
	[[ -d ${EROOT}/var/lock && ! -L ${EROOT}/var/lock ]] || { ln -snf ../run/lock "${EROOT}"/var/lock || die; }
	install -d -m 0700 "${EROOT}"/root || die
	install -d -m 1777 "${EROOT}"/tmp "${EROOT}"/var/tmp || die
	# device nodes for an init's early boot; not fatal (without CAP_MKNOD, or when present)
	[[ -e ${EROOT}/dev/console ]] || mknod -m 0600 "${EROOT}"/dev/console c 5 1 2>/dev/null || true
	[[ -e ${EROOT}/dev/null ]] || mknod -m 0666 "${EROOT}"/dev/null c 1 3 2>/dev/null || true
}

pkg_setup() {
	baselayout_lib_layout
}

src_prepare() {
	default

	cp "${FILESDIR}"/50baselayout "${S}"/ || die
	# no linked directories in PATH with merged /usr
	if ! use split-usr && ! use prefix-guest; then
		sed -e 's|:/usr/sbin:|:|g' -e 's|:/sbin:|:|g' -e 's|:/bin:|:|g' -i "${S}"/50baselayout || die
	fi
	# env-update writes ld.so.conf from LDPATH; with merged /usr, /lib* are the same as /usr/lib*
	local libdir ldpaths=
	for libdir in $(baselayout_libdirs); do
		if use split-usr || use prefix-guest; then
			ldpaths+=":${EPREFIX}/${libdir}"
		fi
		ldpaths+=":${EPREFIX}/usr/${libdir}:${EPREFIX}/usr/local/${libdir}"
	done
	echo "LDPATH='${ldpaths#:}'" >>"${S}"/50baselayout || die
}

src_install() {
	insinto /etc
	doins "${FILESDIR}"/{hosts,inputrc,issue,nsswitch.conf,profile,shells}
	newins - gentoo-release <<<"Gentoo Base System release ${PV}"
	dosym ../proc/self/mounts /etc/mtab

	insinto /etc/env.d
	doins 50baselayout

	printf '%s\n' "NAME='Gentoo'" "ID='gentoo'" "PRETTY_NAME='Gentoo Linux'" \
		"VERSION='${PV}'" "VERSION_ID='${PV}'" "HOME_URL='https://www.gentoo.org/'" \
		"SUPPORT_URL='https://www.gentoo.org/support/'" "BUG_REPORT_URL='https://bugs.gentoo.org/'" \
		"ANSI_COLOR='1;32'" >"${T}"/os-release || die
	insinto /usr/lib
	doins "${T}"/os-release
	dosym -r /usr/lib/os-release /etc/os-release

	# copied to /etc in pkg_postinst if absent: the system's accounts belong to no package
	insinto /usr/share/${PN}
	doins "${FILESDIR}"/{group,passwd,shadow}

	printf '%s\n' "${PN} ${PV}: Gentoo's /etc files and directory layout (lxcmin stand-in)." >"${T}"/README || die
	dodoc "${T}"/README
}

pkg_preinst() {
	# Directories (and device nodes) that cannot be in CONTENTS; binary packages too.
	baselayout_lib_layout
	use build && baselayout_skeleton

	# The links go into the image (and CONTENTS), unless a real directory is in the way.
	if [[ -L ${EROOT}/var/lock || ! -e ${EROOT}/var/lock ]]; then
		dosym ../run/lock /var/lock
	fi
	if [[ -L ${EROOT}/var/run || ! -e ${EROOT}/var/run ]]; then
		dosym ../run /var/run
	fi
}

pkg_postinst() {
	local x
	for x in passwd shadow group; do
		[[ -e ${EROOT}/etc/${x} ]] && continue
		[[ -e ${EROOT}/usr/share/${PN}/${x} ]] || continue
		cp -p "${EROOT}/usr/share/${PN}/${x}" "${EROOT}"/etc || die
	done
	# never world-readable (Gentoo bug 260993)
	if [[ -e ${EROOT}/etc/shadow ]]; then
		chmod o-rwx "${EROOT}"/etc/shadow || die
	fi
	if use kernel_linux; then
		mkdir -p "${EROOT}"/run || die
	fi
}
