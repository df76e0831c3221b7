# Distributed under the terms of the GNU General Public License v2

# @ECLASS: lxcmin-host.eclass
# @MAINTAINER:
# lxcmin test suite
# @SUPPORTED_EAPIS: 8
# @BLURB: TEST ONLY: repackage the Debian build host's files as a Gentoo package.
# @DESCRIPTION:
# The lxcmin test host is Debian, not Gentoo. Packages such as sys-libs/glibc or
# app-shells/bash in this repository do not build anything: they copy the host's
# real binaries and libraries (so the result runs under lxc-execute), together with
# what a real Gentoo package ships besides (docs, man and info pages, headers,
# static and libtool archives, pkg-config files, translations), so that
# minimisation has something to remove.
#
# Layout mapping (Gentoo amd64 no-multilib, lib64):
#   /lib/x86_64-linux-gnu/*         -> /usr/lib64/* (LXCMIN_HOST_SPLIT_LIB=1: /lib64/*)
#   /usr/lib/x86_64-linux-gnu/*     -> /usr/lib64/*
#   /usr/include/x86_64-linux-gnu/* -> /usr/include/*
#   /usr/share/doc/<debian pkg>/*   -> /usr/share/doc/${PF}/*
# Precompressed (.gz) docs are unpacked so that Portage's ecompress handles them.
# When a Debian package is missing, the "ensure" helpers generate small stand-ins.

case ${EAPI} in
	8) ;;
	*) die "${ECLASS}: EAPI ${EAPI:-0} not supported" ;;
esac

if [[ -z ${_LXCMIN_HOST_ECLASS} ]]; then
_LXCMIN_HOST_ECLASS=1

# Prebuilt, already stripped host files: do not strip again, skip compiler-flag QA.
RESTRICT="strip"
QA_PREBUILT="*"
S=${WORKDIR}

# @FUNCTION: lxcmin_host_install
# @USAGE: <debian package> [<ERE that selected paths must match>]
# @DESCRIPTION:
# Copy the files and symlinks (not directories) that the Debian package owns and
# that match the ERE into ${ED}, with the layout mapping above. Returns 1 (and
# installs nothing) when the package is not installed or nothing matched.
lxcmin_host_install() {
	local debpkg=$1 filter=${2:-.} f list=() owned
	owned=$(dpkg-query -L "${debpkg}" 2>/dev/null) || return 1
	while IFS= read -r f; do
		[[ ${f} == /* && ${f} =~ ${filter} ]] || continue
		# directories, and symlinks to them (Debian's merged /lib, /bin, ...), are not content
		[[ -d ${f} ]] && continue
		[[ -L ${f} || -f ${f} ]] || continue
		list+=( "${f#/}" )
	done <<<"${owned}"
	(( ${#list[@]} )) || return 1

	local libdir=usr/lib64
	[[ ${LXCMIN_HOST_SPLIT_LIB} == 1 ]] && libdir=lib64
	printf '%s\0' "${list[@]}" \
		| tar -C / --null --no-recursion -T - -cf - \
		| tar -C "${ED}" -xpf - \
			--transform="s,^\(/\?\)lib/x86_64-linux-gnu/,\1${libdir}/," \
			--transform="s,^\(/\?\)usr/lib/x86_64-linux-gnu/,\1usr/lib64/," \
			--transform="s,^\(/\?\)usr/include/x86_64-linux-gnu/,\1usr/include/," \
			--transform="s,^\(/\?\)usr/share/doc/[^/]*/,\1usr/share/doc/${PF}/," \
		|| die "copying ${debpkg} from the host failed"
	return 0
}

# @FUNCTION: lxcmin_host_fixup
# @DESCRIPTION:
# After all lxcmin_host_install calls: unpack precompressed docs (ecompress
# recompresses them), point text files (.pc, .la, linker scripts) at the new
# library directories, and make same-directory absolute symlinks relative.
lxcmin_host_fixup() {
	local d dirs=()
	for d in usr/share/doc usr/share/man usr/share/info; do
		[[ -d ${ED}/${d} ]] && dirs+=( "${ED}/${d}" )
	done
	if (( ${#dirs[@]} )); then
		find "${dirs[@]}" -type f -name '*.gz' -exec gunzip -f {} + || die
		# symlinks to .gz pages (e.g. man page aliases) follow their targets
		local l t
		while IFS= read -r -d '' l; do
			t=$(readlink "${l}")
			{ ln -sfn "${t%.gz}" "${l%.gz}" && rm -f "${l}"; } || die
		done < <(find "${dirs[@]}" -type l -name '*.gz' -print0)
	fi

	local libdir=/usr/lib64
	[[ ${LXCMIN_HOST_SPLIT_LIB} == 1 ]] && libdir=/lib64
	dirs=()
	for d in lib64 usr/lib64; do
		[[ -d ${ED}/${d} ]] && dirs+=( "${ED}/${d}" )
	done
	if (( ${#dirs[@]} )); then
		grep -rlIZ --exclude='*.a' -e x86_64-linux-gnu "${dirs[@]}" 2>/dev/null \
			| xargs -0 -r sed -i \
				-e "s,/usr/lib/x86_64-linux-gnu,/usr/lib64,g" \
				-e "s,/usr/include/x86_64-linux-gnu,/usr/include,g" \
				-e "s,\(^\|[ =(]\)/lib/x86_64-linux-gnu,\1${libdir},g" \
				-e "s,}/lib/x86_64-linux-gnu,}/lib64,g" \
			|| die
		local l t
		while IFS= read -r -d '' l; do
			t=$(readlink "${l}")
			[[ ${t} == /* && ${ED}${t%/*} == "${l%/*}" ]] && { ln -sfn "${t##*/}" "${l}" || die; }
		done < <(find "${dirs[@]}" -type l -lname '/*' -print0)
	fi
}

# @FUNCTION: lxcmin_ensure_doc
# @DESCRIPTION: Make sure /usr/share/doc/${PF} has at least a README.
lxcmin_ensure_doc() {
	[[ -n $(ls -A "${ED}/usr/share/doc/${PF}" 2>/dev/null) ]] && return 0
	mkdir -p "${ED}/usr/share/doc/${PF}" || die
	printf '%s\n\n%s\n' "${PN} ${PV}" "${DESCRIPTION}" >"${ED}/usr/share/doc/${PF}/README" || die
}

# @FUNCTION: lxcmin_ensure_man
# @USAGE: <section> <name>...
# @DESCRIPTION: Generate a small roff page for each name that has none yet.
lxcmin_ensure_man() {
	local sec=$1 name; shift
	mkdir -p "${ED}/usr/share/man/man${sec}" || die
	for name; do
		compgen -G "${ED}/usr/share/man/man${sec}/${name}.${sec}*" >/dev/null && continue
		# (no here-documents in eclass functions: bash cannot re-read them from the saved
		# ebuild environment when followed by "|| die")
		printf '%s\n' ".TH ${name^^} ${sec} \"\" \"${P}\" \"lxcmin test suite\"" \
			'.SH NAME' "${name} \\- part of ${PN} (${DESCRIPTION})" '.SH DESCRIPTION' \
			'Stand-in manual page generated by the lxcmin test ebuild repository.' \
			>"${ED}/usr/share/man/man${sec}/${name}.${sec}" || die
	done
}

# @FUNCTION: lxcmin_ensure_info
# @USAGE: <name>
# @DESCRIPTION: Generate a small info file if ${name}.info* is missing.
lxcmin_ensure_info() {
	local name=$1
	compgen -G "${ED}/usr/share/info/${name}.info*" >/dev/null && return 0
	mkdir -p "${ED}/usr/share/info" || die
	printf '%s\n' "This is ${name}.info, produced by the lxcmin test suite." "" \
		"INFO-DIR-SECTION Miscellaneous" "START-INFO-DIR-ENTRY" \
		"* ${name}: (${name}).	${DESCRIPTION}" "END-INFO-DIR-ENTRY" "" \
		$'\x1f' "File: ${name}.info,  Node: Top,  Up: (dir)" "" "${DESCRIPTION}" \
		>"${ED}/usr/share/info/${name}.info" || die
}

# @FUNCTION: lxcmin_ensure_mo
# @USAGE: <domain> <lang>...
# @DESCRIPTION:
# Generate an empty but valid GNU message catalog for each language that has no
# <domain>.mo yet.
lxcmin_ensure_mo() {
	local domain=$1 lang dir; shift
	for lang; do
		dir=${ED}/usr/share/locale/${lang}/LC_MESSAGES
		[[ -e ${dir}/${domain}.mo ]] && continue
		mkdir -p "${dir}" || die
		# magic, revision, 0 strings, table offsets 28/28, no hash table
		printf '\xde\x12\x04\x95\0\0\0\0\0\0\0\0\x1c\0\0\0\x1c\0\0\0\0\0\0\0\x1c\0\0\0' \
			>"${dir}/${domain}.mo" || die
	done
}

# @FUNCTION: lxcmin_static_archive
# @USAGE: <name>
# @DESCRIPTION:
# Install a small static archive and libtool archive /usr/lib64/lib<name>.{a,la}
# (for packages whose host -dev package is missing).
lxcmin_static_archive() {
	local name=$1
	mkdir -p "${ED}/usr/lib64" || die
	[[ -e ${ED}/usr/lib64/lib${name}.a ]] || {
		printf 'int lxcmin_%s_stub(void) { return 0; }\n' "${name//[^a-zA-Z0-9]/_}" >"${T}/${name}.c" &&
		${CC:-gcc} -c -o "${T}/${name}.o" "${T}/${name}.c" &&
		${AR:-ar} rcs "${ED}/usr/lib64/lib${name}.a" "${T}/${name}.o"
	} || die
	[[ -e ${ED}/usr/lib64/lib${name}.la ]] && return 0
	printf '%s\n' "# lib${name}.la - a libtool library file" \
		"# Generated by ltmain.sh (GNU libtool) 2.4.7 (lxcmin test repository)" \
		"dlname='lib${name}.so'" "library_names='lib${name}.so'" "old_library='lib${name}.a'" \
		"inherited_linker_flags=''" "dependency_libs=''" "installed=yes" "libdir='/usr/lib64'" \
		>"${ED}/usr/lib64/lib${name}.la" || die
}

fi
