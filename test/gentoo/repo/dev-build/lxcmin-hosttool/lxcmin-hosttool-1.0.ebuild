# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Build-time-only tool (BDEPEND) for lxcmin-hello[hostdep] (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

# Merged into the build host ("/", on the test host: PORTAGE_OVERRIDE_EPREFIX), so it
# installs one harmless text file and nothing else.
src_install() {
	insinto /usr/share/lxcmin-hosttool
	echo "lxcmin-hosttool ${PV}: a stand-in build tool" >"${T}"/README || die
	doins "${T}"/README
}
