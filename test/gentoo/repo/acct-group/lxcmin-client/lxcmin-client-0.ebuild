# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit acct-group

DESCRIPTION="Group of the lxcmin-client user (lxcmin test repository; dynamic GID)"
# any free system GID: groupadd --system picks the highest free one (999 in an empty range)
ACCT_GROUP_ID=-1
