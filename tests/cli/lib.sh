# Helpers for CLI tests (sourced). $MODSET, $FIXTURES and $T come from run.sh.
set -u

# Never read or write the user's module-facts cache: each test has its own.
XDG_CACHE_HOME=${T:-/tmp}/.xdg-cache
export XDG_CACHE_HOME

# tree NAME: the module directory of fixture NAME
tree() {
	echo "$FIXTURES/$1/lib/modules/$(ls "$FIXTURES/$1/lib/modules")"
}

# ms ARGS...: run initrd-modset, print its output and "[exit N]"
ms() {
	"$MODSET" "$@" 2>&1
	echo "[exit $?]"
}

# msq ARGS...: like ms, stdout only, stderr dropped
msq() {
	"$MODSET" "$@" 2>/dev/null
	echo "[exit $?]"
}

# rel ROOTDIR: strip ROOTDIR/ from paths on stdin
rel() {
	sed "s|$1/||g"
}

# jflat: the --format json manifest on stdin, whitespace collapsed, one line per
# module, then one line for load_order, missing and cycles: compact, complete.
jflat() {
	tr -d '\n' | sed 's/[[:space:]][[:space:]]*/ /g' | awk '{
		i = index($0, "], \"load_order\"")
		head = i ? substr($0, 1, i + 1) : $0
		gsub(/\{ "name"/, "\n{ \"name\"", head)
		print head
		if (i)
			print substr($0, i + 3)
	}'
}

# lsa DIR: every name in DIR, hidden ones included (temporary files), one a line
lsa() {
	ls -A "$1" | LC_ALL=C sort
	echo "[$(ls -A "$1" | wc -l | tr -d ' ') entries]"
}

# copytree NAME: copy fixture NAME (the whole sysroot) to $T/NAME and print the
# module directory of the copy. Corrupt copies only, never $FIXTURES.
copytree() {
	rm -rf "${T:?}/$1"
	cp -a "$FIXTURES/$1" "$T/$1"
	echo "$T/$1/lib/modules/$(ls "$T/$1/lib/modules")"
}

# be32 N: N as 4 big-endian bytes
# shellcheck disable=SC2059
be32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
		$(($1 >> 8 & 255)) $(($1 & 255)))"
}

# index1 KEY VALUE: a kmod index (modules.*.bin format) holding the single
# entry KEY -> VALUE: header, then one root node with a prefix and one value.
index1() {
	be32 $((0xB007F457))
	be32 $((0x00020001))
	be32 $((0xC000000C))
	printf '%s\000' "$1"
	be32 1
	be32 0
	printf '%s\000' "$2"
}

# msj ARGS...: like ms, for --format json: stderr, then stdout through jflat,
# then "[exit N]"
msj() {
	"$MODSET" "$@" > "$T/.msj.out" 2> "$T/.msj.err"
	set -- $?
	cat "$T/.msj.err"
	jflat < "$T/.msj.out"
	echo "[exit $1]"
}

# index2 KEY1 VALUE1 KEY2 VALUE2: a kmod index with two entries whose keys
# start with different characters, KEY1's first: two nodes holding the rest of
# each key as prefix and one value, then the root (children first, as depmod
# writes them): no prefix, children spanning those two characters.
# shellcheck disable=SC2059
index2() {
	c1=$(printf '%d' "'$1") c2=$(printf '%d' "'$3")
	r1=${1#?} r2=${3#?}
	o1=12
	o2=$((o1 + ${#r1} + 1 + 8 + ${#2} + 1))
	o3=$((o2 + ${#r2} + 1 + 8 + ${#4} + 1))
	be32 $((0xB007F457))
	be32 $((0x00020001))
	be32 $((0x20000000 | o3))
	printf '%s\000' "$r1"; be32 1; be32 0; printf '%s\000' "$2"
	printf '%s\000' "$r2"; be32 1; be32 0; printf '%s\000' "$4"
	printf "$(printf '\\%03o\\%03o' "$c1" "$c2")"
	i=$c1
	while [ "$i" -le "$c2" ]; do
		if [ "$i" -eq "$c1" ]; then be32 $((0xC0000000 | o1))
		elif [ "$i" -eq "$c2" ]; then be32 $((0xC0000000 | o2))
		else be32 0
		fi
		i=$((i + 1))
	done
}

# need_kmod34: unless the Debian 13 root ($TRIXIE, kmod 34) and the trees indexed by
# its depmod ($FIXTURES34) are there, print why and exit 77 (SKIP). Both come from
# the Makefile (fixtures-kmod34), which writes $FIXTURES34/SKIP when the root
# cannot be had (tests/trixie-root.sh's reason).
need_kmod34() {
	if [ -z "${TRIXIE:-}" ] || [ ! -d "$TRIXIE" ]; then
		if [ -s "${FIXTURES34:-/nonexistent}/SKIP" ]; then
			echo "no Debian 13 root (kmod 34): $(cat "$FIXTURES34/SKIP")"
		else
			echo "no Debian 13 root (kmod 34): TRIXIE is not set (make check-run sets it)"
		fi
		exit 77
	fi
	if [ ! -f "${FIXTURES34:-/nonexistent}/hard/.stamp" ]; then
		echo "no kmod 34 fixtures: FIXTURES34='${FIXTURES34:-}' (make fixtures-kmod34)"
		exit 77
	fi
}
