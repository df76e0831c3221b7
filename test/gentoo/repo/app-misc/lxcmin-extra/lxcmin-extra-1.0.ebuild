# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Optional data for lxcmin-hello, 1 MiB of it (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

src_install() {
	insinto /usr/share/lxcmin-extra
	# exactly 1 MiB, the same bytes every time
	yes 'lxcmin-extra payload line' | head -c 1048576 >"${T}"/payload.bin || die
	doins "${T}"/payload.bin
}
