# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit acct-group

DESCRIPTION="Group of net-misc/lxcmin-daemon (lxcmin test repository)"
ACCT_GROUP_ID=450
