# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="A shared library nothing links against, for minimisation tests (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

RDEPEND="sys-libs/glibc"

src_compile() {
	${CC:-gcc} ${CFLAGS} ${LDFLAGS} -shared -fPIC -Wl,-soname,liblxcmin-unused.so.1 \
		-o liblxcmin-unused.so.1.0.0 "${FILESDIR}"/lxcmin-unused.c || die "compiling failed"
}

src_install() {
	dolib.so liblxcmin-unused.so.1.0.0
	dosym liblxcmin-unused.so.1.0.0 /usr/$(get_libdir)/liblxcmin-unused.so.1
	dosym liblxcmin-unused.so.1 /usr/$(get_libdir)/liblxcmin-unused.so
}
