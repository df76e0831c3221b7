# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit acct-user

# A second account for the tests (lxcmin test repository): dynamic UID, no home (/dev/null),
# a login shell, and supplementary groups: one from another acct-group package (lxcmin-daemon,
# to read the daemon's 0750 home) and one baselayout already has (video, via acct-group/video).
DESCRIPTION="Client user of net-misc/lxcmin-daemon, for tests"
ACCT_USER_ID=-1
ACCT_USER_GROUPS=( lxcmin-client lxcmin-daemon video )
ACCT_USER_SHELL=/bin/sh
acct-user_add_deps
