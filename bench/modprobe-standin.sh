#!/usr/bin/env bash
# bench/modprobe-standin.sh -- a slow stand-in for the initrd-modset CLI,
# built from `modprobe --show-depends`, so that bench/run.sh can be tested
# end to end before the real binary exists:
#
#     MODSET_CMD="bash bench/modprobe-standin.sh" bash bench/run.sh
#
# It accepts the CLI's options (--root DIR, --format list|order|json, -C PATH
# (repeatable), --no-config, --from FILE ('-' = stdin), --kmod-compat, roots as
# module names or .ko paths) and prints the union of `modprobe --show-depends`
# over the roots. Timings taken with it measure modprobe, not initrd-modset.
set -uo pipefail
export LC_ALL=C

modprobe=
for d in /sbin /usr/sbin /bin /usr/bin; do
	[ -x "$d/modprobe" ] && { modprobe=$d/modprobe; break; }
done
[ -n "$modprobe" ] || modprobe=$(command -v modprobe) || {
	echo "modprobe-standin: modprobe not found" >&2
	exit 2
}

root='' fmt=list noconf=0
confs=() froms=() roots=()
while [ $# -gt 0 ]; do
	case $1 in
	--root) root=$2; shift 2 ;;
	--root=*) root=${1#*=}; shift ;;
	--format) fmt=$2; shift 2 ;;
	--format=*) fmt=${1#*=}; shift ;;
	-C | --config) confs+=("$2"); shift 2 ;;
	--config=*) confs+=("${1#*=}"); shift ;;
	--no-config) noconf=1; shift ;;
	--from) froms+=("$2"); shift 2 ;;
	--from=*) froms+=("${1#*=}"); shift ;;
	--kmod-compat) shift ;; # modprobe is kmod-compatible by definition
	--) shift; roots+=("$@"); break ;;
	-*) echo "modprobe-standin: unsupported option: $1" >&2; exit 2 ;;
	*) roots+=("$1"); shift ;;
	esac
done
case $fmt in list | order | json) ;; *)
	echo "modprobe-standin: bad --format: $fmt" >&2
	exit 2
	;;
esac

if [ -z "$root" ]; then
	kver=$(uname -r) base=/
else
	root=${root%/}
	kver=${root##*/}
	case $root in
	*/lib/modules/"$kver") base=${root%/lib/modules/*} ;;
	*) echo "modprobe-standin: --root must end in lib/modules/KVER: $root" >&2; exit 2 ;;
	esac
	[ -n "$base" ] || base=/
fi

tmp=
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
cargs=()
if [ "$noconf" = 1 ]; then
	tmp=$(mktemp -d)
	cargs=(-C "$tmp")
else
	for c in ${confs[@]+"${confs[@]}"}; do cargs+=(-C "$c"); done
fi

for f in ${froms[@]+"${froms[@]}"}; do
	[ "$f" = - ] && f=/dev/stdin
	while IFS= read -r l || [ -n "$l" ]; do
		l=${l%%#*}
		l=${l//[[:space:]]/}
		[ -n "$l" ] && roots+=("$l")
	done <"$f"
done

declare -A seen=()
order=()
rc=0
for r in ${roots[@]+"${roots[@]}"}; do
	case $r in */* | *.ko | *.ko.*)
		r=${r##*/}
		r=${r%%.ko*}
		;;
	esac
	out=$("$modprobe" -d "$base" -S "$kver" ${cargs[@]+"${cargs[@]}"} --show-depends -- "$r") || rc=1
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		[ -n "${seen[$path]+x}" ] && continue
		seen[$path]=1
		order+=("$path")
	done <<<"$out"
done

if [ "$fmt" = json ]; then
	jstr() { REPLY=${1//\\/\\\\}; REPLY="\"${REPLY//\"/\\\"}\""; }
	jstr "$kver"
	printf '{"kernel":%s,"roots":[' "$REPLY"
	sep=
	for r in ${roots[@]+"${roots[@]}"}; do jstr "$r"; printf '%s%s' "$sep" "$REPLY"; sep=,; done
	printf '],"modules":['
	sep=
	for p in ${order[@]+"${order[@]}"}; do
		n=${p##*/}
		n=${n%%.ko*}
		jstr "${n//-/_}"; jn=$REPLY
		jstr "$p"
		printf '%s{"name":%s,"path":%s}' "$sep" "$jn" "$REPLY"
		sep=,
	done
	printf ']}\n'
else
	for p in ${order[@]+"${order[@]}"}; do printf '%s\n' "$p"; done
fi
exit $rc
