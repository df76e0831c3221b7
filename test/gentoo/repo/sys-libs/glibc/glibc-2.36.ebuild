# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit lxcmin-host

DESCRIPTION="GNU libc C library (TEST ONLY: the Debian build host's glibc, repackaged)"
HOMEPAGE="https://www.gnu.org/software/libc/"

LICENSE="LGPL-2.1+ BSD HPND ISC inner-net"
SLOT="2.2"
KEYWORDS="amd64"
IUSE="nls"

# ld.so, libc.so.6 and friends go to /lib64 like on Gentoo.
LXCMIN_HOST_SPLIT_LIB=1

src_install() {
	# runtime: loader, libc, libm, NSS modules, gconv modules
	lxcmin_host_install libc6 '^/lib/x86_64-linux-gnu/|^/usr/lib/x86_64-linux-gnu/gconv/|^/usr/share/doc/' \
		|| die "the host has no libc6"
	# tools: ldconfig (Portage's env-update runs ROOT/sbin/ldconfig -r ROOT), ldd, getent, iconv, locale...
	lxcmin_host_install libc-bin '^/sbin/|^/usr/bin/|^/usr/sbin/|^/usr/lib/locale/|^/usr/share/(man|doc)/|^/etc/(gai\.conf|bindresvport\.blacklist)$' \
		|| die "the host has no libc-bin"
	# development files: headers, crt*.o, static archives, linker scripts
	lxcmin_host_install libc6-dev '^/usr/include/|^/usr/lib/x86_64-linux-gnu/|^/usr/share/doc/' \
		|| lxcmin_static_archive c
	if use nls; then
		lxcmin_host_install libc-l10n '^/usr/share/locale/(de|fr|ja)/LC_MESSAGES/' || true
		lxcmin_ensure_mo libc de fr ja
	fi
	lxcmin_host_fixup

	# The Debian loader only searches /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu
	# (besides /etc/ld.so.cache): point them at lib64 so that the root works without a cache.
	# /lib/x86_64-linux-gnu only in pkg_preinst, where the root's layout is known.
	dosym ../lib64 /usr/lib/x86_64-linux-gnu

	lxcmin_ensure_man 1 ldd getent iconv locale
	lxcmin_ensure_man 8 ldconfig
	lxcmin_ensure_info libc
	lxcmin_ensure_doc
}

pkg_preinst() {
	# With merged /usr (baselayout made /lib -> usr/lib) /lib/x86_64-linux-gnu is the same path as
	# /usr/lib/x86_64-linux-gnu: only a split-/usr root gets the second link. Decided here, not in
	# src_install, so that one binary package fits both layouts. Without /lib yet, the profile
	# tells (features/split-usr sets PROFILE_23_USRTYPE).
	if [[ -L ${EROOT}/lib ]]; then
		return 0
	elif [[ -d ${EROOT}/lib || ${PROFILE_23_USRTYPE} == split-usr ]]; then
		dosym ../lib64 /lib/x86_64-linux-gnu
	fi
}
