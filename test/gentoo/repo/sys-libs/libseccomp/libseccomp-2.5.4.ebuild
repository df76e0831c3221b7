# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit lxcmin-host

DESCRIPTION="High level interface to Linux seccomp filter (TEST ONLY: the Debian build host's, repackaged)"
HOMEPAGE="https://github.com/seccomp/libseccomp"

LICENSE="LGPL-2.1"
SLOT="0"
KEYWORDS="amd64"

RDEPEND="virtual/libc"

src_install() {
	lxcmin_host_install libseccomp2 || die "the host has no libseccomp2"
	lxcmin_host_install libseccomp-dev '^/usr/(include|lib/x86_64-linux-gnu|share/man)/' || true
	lxcmin_host_fixup

	lxcmin_ensure_man 3 seccomp_init seccomp_load seccomp_rule_add
	lxcmin_ensure_info libseccomp
	lxcmin_ensure_doc
	lxcmin_static_archive seccomp
	if [[ ! -e ${ED}/usr/lib64/pkgconfig/libseccomp.pc ]]; then
		insinto /usr/lib64/pkgconfig
		printf '%s\n' 'prefix=/usr' 'libdir=${prefix}/lib64' 'includedir=${prefix}/include' '' \
			'Name: libseccomp' "Description: ${DESCRIPTION}" "Version: ${PV}" \
			'Cflags: -I${includedir}' 'Libs: -L${libdir} -lseccomp' >"${T}"/libseccomp.pc || die
		doins "${T}"/libseccomp.pc
	fi
	if [[ ! -e ${ED}/usr/include/seccomp.h ]]; then
		insinto /usr/include
		printf '%s\n' '#ifndef _SECCOMP_H' '#define _SECCOMP_H' 'typedef void *scmp_filter_ctx;' \
			'scmp_filter_ctx seccomp_init(unsigned int def_action);' '#endif' >"${T}"/seccomp.h || die
		doins "${T}"/seccomp.h
	fi
}
