# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="A small service on a unix socket, with its own user (lxcmin test package)"
HOMEPAGE="https://example.invalid/lxcmin"
S=${WORKDIR}

LICENSE="MIT"
SLOT="0"
KEYWORDS="amd64"

# /usr/sbin/lxcmin-daemon: reads /etc/lxcmin-daemon.conf (greeting, socket, state, user); started
#   as root it creates the socket's directory, chowns it to the user and becomes the user; answers
#   each connection with "<greeting> (request N, uid U)"; counts requests in the user's home.
# /usr/bin/lxcmin-daemon-query [-w SECONDS] [SOCKET]: prints one answer, retrying up to 5 s.
# No DEPEND (as app-misc/lxcmin-hello): with ROOT != / Portage resolves DEPEND in SYSROOT, which
# defaults to "/", so it would merge the user and glibc into the build host. Nothing here needs
# the user at build time (no fowners in src_install), and gcc uses the host's headers.
RDEPEND="
	acct-user/lxcmin-daemon
	virtual/libc
"

src_compile() {
	local prog
	for prog in lxcmin-daemon lxcmin-daemon-query; do
		${CC:-gcc} ${CFLAGS} ${CPPFLAGS} ${LDFLAGS} -DLXCMIN_DAEMON_VERSION="\"${PV}\"" \
			-o ${prog} "${FILESDIR}"/${prog}.c || die "compiling ${prog} failed"
	done
}

src_install() {
	dosbin lxcmin-daemon
	dobin lxcmin-daemon-query
	insinto /etc
	doins "${FILESDIR}"/lxcmin-daemon.conf
}
