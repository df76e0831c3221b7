# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="C program whose source is fetched over HTTP from a mirror (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
# The upstream host never resolves (.invalid): the distfile only comes from GENTOO_MIRRORS, which
# the tests point at test/support/mirror.ts on 127.0.0.1 (test/gentoo/distfiles), or from DISTDIR.
SRC_URI="https://lxcmin.invalid/distfiles/${P}.tar.gz"

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

RDEPEND="sys-libs/glibc"

src_unpack() {
	# Not the default "unpack": Portage 3.0.83's unpack runs "gtar" for .tar.*, which a Gentoo
	# runner has but the Debian stand-in host (test/gentoo) does not.
	tar -xzof "${DISTDIR}/${P}.tar.gz" || die "unpacking ${P}.tar.gz failed"
}

src_compile() {
	${CC:-gcc} ${CFLAGS} ${CPPFLAGS} ${LDFLAGS} -DLXCMIN_FETCHED_VERSION="\"${PV}\"" \
		-o lxcmin-fetched lxcmin-fetched.c || die "compiling lxcmin-fetched failed"
}

src_install() {
	dobin lxcmin-fetched
}
