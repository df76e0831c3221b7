# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit lxcmin-host

DESCRIPTION="Another cute console display library (TEST ONLY: the Debian build host's readline, repackaged)"
HOMEPAGE="https://tiswww.case.edu/php/chet/readline/rltop.html"

LICENSE="GPL-3+"
SLOT="0/8"
KEYWORDS="amd64"

RDEPEND=">=sys-libs/ncurses-5.9-r3:0="

src_install() {
	lxcmin_host_install libreadline8 || die "the host has no libreadline8"
	lxcmin_host_install readline-common '^/usr/share/(info|man|doc)/' || true
	lxcmin_host_install libreadline-dev '^/usr/(include|lib/x86_64-linux-gnu)/' || true
	lxcmin_host_fixup

	# (/etc/inputrc is sys-apps/baselayout's, as on Gentoo)

	lxcmin_ensure_man 3 readline history
	lxcmin_ensure_info readline
	lxcmin_ensure_info history
	lxcmin_ensure_doc
	lxcmin_static_archive readline
	lxcmin_static_archive history
}
