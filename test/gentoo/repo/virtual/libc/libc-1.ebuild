# Distributed under the terms of the GNU General Public License v2

EAPI=8

DESCRIPTION="Virtual for the C library (lxcmin test repository)"
SLOT="0"
KEYWORDS="amd64"

# As Gentoo's virtual/libc: glibc's SLOT 2.2 explicitly (a cross glibc has another slot). This
# repository has no sys-libs/musl and masks elibc_musl, so that branch is never taken; a Prefix
# guest (prefix-guest, masked here) uses the host's C library.
RDEPEND="
	!prefix-guest? (
		elibc_glibc? ( sys-libs/glibc:2.2 )
		elibc_musl? ( sys-libs/musl )
	)
	prefix-guest? (
		!sys-libs/glibc
		!sys-libs/musl
	)"
