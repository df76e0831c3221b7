# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Hello world compiled from C (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"
# extra:   pulls app-misc/lxcmin-extra (~1 MiB) into the root (tests package.use)
# hostdep: needs a build tool on the build host, merged to "/" rather than ROOT
IUSE="extra hostdep"

RDEPEND="virtual/libc
	extra? ( app-misc/lxcmin-extra )"
BDEPEND="hostdep? ( dev-build/lxcmin-hosttool )"

src_compile() {
	${CC:-gcc} ${CFLAGS} ${CPPFLAGS} ${LDFLAGS} -DLXCMIN_HELLO_VERSION="\"${PV}\"" \
		-o lxcmin-hello "${FILESDIR}"/lxcmin-hello.c || die "compiling lxcmin-hello failed"
}

src_install() {
	dobin lxcmin-hello
}
