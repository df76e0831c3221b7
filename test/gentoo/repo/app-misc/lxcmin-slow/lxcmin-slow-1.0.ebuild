# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Compiles for a minute deaf to SIGTERM (it sleeps), for cancellation tests (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

src_compile() {
	# As a build tool that does not stop on SIGTERM: only SIGKILL ends it.
	trap '' TERM
	einfo "lxcmin-slow: compiling for 60 s"
	sleep 60
}

src_install() {
	insinto /usr/share/lxcmin-slow
	newins - done <<<"compiled"
}
