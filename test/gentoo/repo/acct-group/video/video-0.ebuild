# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit acct-group

# The GID of Gentoo's acct-group/video. baselayout's /etc/group has video already, so pkg_preinst
# only says "Group video already exists" (lxcmin test repository).
ACCT_GROUP_ID=27
