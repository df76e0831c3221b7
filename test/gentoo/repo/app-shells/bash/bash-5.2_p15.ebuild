# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit lxcmin-host

DESCRIPTION="The standard GNU Bourne again shell (TEST ONLY: the Debian build host's bash, repackaged)"
HOMEPAGE="https://tiswww.case.edu/php/chet/bash/bashtop.html"

LICENSE="GPL-3+"
SLOT="0"
KEYWORDS="amd64"
IUSE="nls"

# (RDEPEND only: with ROOT != / and no SYSROOT, DEPEND would be merged into the build host.) The
# := operators record the installed sub-slots (:0/6=, :0/8=) in the vdb.
RDEPEND=">=sys-libs/ncurses-5.2-r2:0=
	>=sys-libs/readline-8.1:0="

src_install() {
	lxcmin_host_install bash '^/bin/bash$|^/usr/bin/bashbug$|^/usr/share/(man|info|doc)/' \
		|| die "the host has no bash"
	use nls && { lxcmin_host_install bash '^/usr/share/locale/(de|fr|ja)/' || true; }
	lxcmin_host_fixup
	# Gentoo installs the shell as /bin/sh too (before app-alternatives/sh)
	dosym bash /bin/sh

	insinto /etc/bash
	printf '%s\n' '# /etc/bash/bashrc' \
		'[[ $- != *i* ]] && return' \
		"PS1='\\u@\\h \\w \\\$ '" >"${T}"/bashrc || die
	doins "${T}"/bashrc

	lxcmin_ensure_man 1 bash bashbug
	lxcmin_ensure_info bash
	lxcmin_ensure_doc
	use nls && lxcmin_ensure_mo bash de fr ja
}
