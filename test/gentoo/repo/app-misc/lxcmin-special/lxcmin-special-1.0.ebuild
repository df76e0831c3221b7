# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Files that are hard to copy right: setuid, hard links, capabilities, odd names (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

RDEPEND="sys-libs/glibc"

src_compile() {
	${CC:-gcc} ${CFLAGS} ${LDFLAGS} -o lxcmin-special "${FILESDIR}"/lxcmin-special.c || die
}

src_install() {
	local d=/usr/share/lxcmin-special
	# setuid root
	dobin lxcmin-special
	fperms 4755 /usr/bin/lxcmin-special
	# the file that gets a capability in pkg_postinst (as Gentoo's fcaps.eclass does)
	newbin lxcmin-special lxcmin-special-cap

	insinto ${d}
	echo "one inode, two names" >"${T}"/hardlink-a || die
	doins "${T}"/hardlink-a
	ln "${ED}"${d}/hardlink-a "${ED}"${d}/hardlink-b || die
	# symlinks that leave the root: absolute, and relative with too many ..
	dosym /etc/host-only ${d}/host-only-absolute
	ln -s ../../../../../../../etc/host-only "${ED}"${d}/host-only-relative || die
	# file names with spaces and non-ASCII characters
	echo "spaces" >"${ED}${d}/file with spaces.txt" || die
	echo "utf-8" >"${ED}${d}/ünïcødé ファイル.txt" || die
	mkdir -p "${ED}${d}/dir with spaces" || die
	echo "nested" >"${ED}${d}/dir with spaces/naïve file" || die
}

pkg_postinst() {
	# Portage does not carry xattrs unless FEATURES=xattr: set the capability on the merged file.
	if type -P setcap >/dev/null; then
		setcap cap_net_raw+ep "${EROOT}"/usr/bin/lxcmin-special-cap \
			|| ewarn "setcap failed: ${EROOT}/usr/bin/lxcmin-special-cap has no capability"
	else
		ewarn "setcap not found: ${EROOT}/usr/bin/lxcmin-special-cap has no capability"
	fi
}
