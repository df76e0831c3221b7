# Distributed under the terms of the GNU General Public License v2

EAPI=8

inherit acct-user

DESCRIPTION="User of net-misc/lxcmin-daemon (lxcmin test repository)"
ACCT_USER_ID=450
ACCT_USER_GROUPS=( lxcmin-daemon )
ACCT_USER_HOME=/var/lib/lxcmin-daemon
ACCT_USER_HOME_PERMS=0750
acct-user_add_deps
