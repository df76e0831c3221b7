# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit lxcmin-host

DESCRIPTION="Console display library (TEST ONLY: the Debian build host's ncurses, repackaged)"
HOMEPAGE="https://invisible-island.net/ncurses/"

LICENSE="MIT"
SLOT="0/6"
KEYWORDS="amd64"

# ncursesw6-config and ncurses6-config (libncurses-dev) are /bin/sh scripts: any POSIX shell.
RDEPEND="virtual/libc
	|| ( app-shells/bash app-shells/dash )"

src_install() {
	local p
	for p in libtinfo6 libncursesw6 libncurses6; do
		lxcmin_host_install ${p} || die "the host has no ${p}"
	done
	lxcmin_host_install ncurses-bin '^/usr/bin/|^/usr/share/(man|doc)/' || die
	# terminal descriptions: Debian keeps the base set in /lib/terminfo
	lxcmin_host_install ncurses-base '^/lib/terminfo/|^/usr/share/doc/' || die
	mkdir -p "${ED}"/usr/share && mv "${ED}"/lib/terminfo "${ED}"/usr/share/terminfo || die
	rmdir "${ED}"/lib || die
	lxcmin_host_install libncurses-dev '^/usr/(bin|include|lib/x86_64-linux-gnu|share/man)/' || true
	lxcmin_host_fixup

	lxcmin_ensure_man 1 tput clear tic
	lxcmin_ensure_man 3 ncurses
	lxcmin_ensure_info ncurses
	lxcmin_ensure_doc
	lxcmin_static_archive ncursesw
	lxcmin_static_archive tinfo
}
