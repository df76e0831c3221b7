# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Fails in src_compile on purpose, for error-reporting tests (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

RDEPEND="sys-libs/glibc"

src_compile() {
	${CC:-gcc} ${CFLAGS} -o lxcmin-broken "${FILESDIR}"/lxcmin-broken.c \
		|| die "compiling lxcmin-broken failed (on purpose)"
}

src_install() {
	dobin lxcmin-broken
}
