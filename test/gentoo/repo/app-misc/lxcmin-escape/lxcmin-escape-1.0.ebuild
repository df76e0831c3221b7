# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Writes into the build host instead of ROOT on purpose, for the host check (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

src_install() {
	insinto /usr/share/lxcmin-escape
	newins - README <<<"lxcmin-escape: see pkg_postinst"
}

pkg_postinst() {
	# The classic bug: a path without ${EROOT}, so it lands on the build host, not in the image.
	echo "written by ${CATEGORY}/${PF} for ROOT=${ROOT}" > /etc/lxcmin-escaped || die
}
