# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Filesystem baselayout and init scripts (lxcmin test repository)"
HOMEPAGE="https://wiki.gentoo.org/wiki/Project:Base"
S=${WORKDIR}

LICENSE="GPL-2"
SLOT="0"
KEYWORDS="amd64"

# Gentoo 23.0 no-multilib, split-usr: /lib64 and /usr/lib64 hold the libraries,
# /lib and /usr/lib are real directories for arch-independent files.
src_install() {
	# (Portage's QA check notes the .keep files in /run, /var/cache, /var/tmp: harmless, and
	# without them Portage does not merge empty directories such as /run)
	keepdir /boot /dev /home /media /mnt /opt /proc /sys /run /srv \
		/bin /sbin /lib /lib64 \
		/usr/bin /usr/sbin /usr/lib /usr/lib64 /usr/libexec /usr/include /usr/src \
		/usr/share/doc /usr/share/info /usr/share/man /usr/share/misc \
		/usr/local/bin /usr/local/sbin /usr/local/lib /usr/local/lib64 /usr/local/include /usr/local/share \
		/etc/env.d /etc/profile.d /etc/skel \
		/var/cache /var/empty /var/lib /var/log /var/spool /var/tmp /var/db \
		/root /tmp
	fperms 0700 /root
	fperms 1777 /tmp /var/tmp
	dosym ../run /var/run
	dosym ../run/lock /var/lock

	insinto /etc
	doins "${FILESDIR}"/{group,hosts,issue,nsswitch.conf,passwd,profile,shells,gentoo-release}
	insopts -m0600
	doins "${FILESDIR}"/shadow
	insopts -m0644

	insinto /usr/lib
	doins "${FILESDIR}"/os-release
	dosym ../usr/lib/os-release /etc/os-release

	insinto /etc/env.d
	doins "${FILESDIR}"/50baselayout

	printf '%s\n' "${PN} ${PV}: Gentoo's directory hierarchy and /etc files." >"${T}"/README || die
	dodoc "${T}"/README
}
