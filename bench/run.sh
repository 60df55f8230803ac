#!/usr/bin/env bash
# bench/run.sh -- benchmark initrd-modset against kmod's modprobe on real
# Debian kernel module trees. Called by `make bench`; see bench/README.
#
# Environment:
#   MODSET            the initrd-modset binary (make bench sets it, and
#                     LD_LIBRARY_PATH, which is simply inherited)
#   MODSET_CMD        overrides MODSET with a command line (word-split), e.g.
#                     MODSET_CMD="bash bench/modprobe-standin.sh" to test this
#                     script with modprobe on both sides
#   BENCH_CACHE       downloads and extracted trees
#                     (default ${XDG_CACHE_HOME:-$HOME/.cache}/initrd-modset-bench;
#                     $HOME/.cache/... when XDG_CACHE_HOME is inside the repo)
#   BENCH_RUNS        timed runs of each short command (default 5)
#   BENCH_LOOP_RUNS   timed runs of the slow modprobe loop of (b) (default 1;
#                     it also runs once untimed, as warm-up and for its RSS)
#   BENCH_TREES       which trees: "6.1 6.12" (default); 6.12 falls back to an
#                     xz-compressed copy of the 6.1 tree when apt has no 6.12
#   BENCH_XZ_FROM_61  1: use the xz copy of 6.1 instead of Debian's 6.12
#   BENCH_REFRESH     1: look for a newer kernel package even if one is cached
#   BENCH_TIMER       auto (hyperfine if it is or can be installed) | hyperfine | loop
#   BENCH_CALLGRIND   0: skip the instruction counts (d)
#   BENCH_CG_TIMEOUT  seconds allowed for (b) under callgrind before it is
#                     redone on a subset (default 120)
#   BENCH_CG_SUBSET   size of that subset (default 300)
#   BENCH_KEEP_WORK   1: keep the scratch directory (outputs, logs)
#   BENCH_IMAGE_TREES trees (series labels) that get the image rows e, f, h
#                     (default "6.12"; dracut-install takes about a minute
#                     per run over a whole tree)
#   BENCH_KMOD34_TREES trees that get the kmod 34 rows k (default "6.12"): a
#                     copy indexed by depmod 34 of the Debian 13 root of
#                     tests/trixie-root.sh, against that root's modprobe
#   BENCH_ROWS        all (default) | kmod34: only the kmod 34 rows
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

if [ -z "${BENCH_CACHE:-}" ]; then
	# make bench points XDG_CACHE_HOME into the build directory (for the
	# CLI's own cache); the downloads never go there.
	xdg=${XDG_CACHE_HOME:-$HOME/.cache}
	case $xdg/ in "$REPO"/*) xdg=$HOME/.cache ;; esac
	BENCH_CACHE=$xdg/initrd-modset-bench
fi
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_LOOP_RUNS=${BENCH_LOOP_RUNS:-1}
BENCH_TREES=${BENCH_TREES:-6.1 6.12}
BENCH_XZ_FROM_61=${BENCH_XZ_FROM_61:-0}
BENCH_REFRESH=${BENCH_REFRESH:-0}
BENCH_TIMER=${BENCH_TIMER:-auto}
BENCH_CALLGRIND=${BENCH_CALLGRIND:-1}
BENCH_CG_TIMEOUT=${BENCH_CG_TIMEOUT:-120}
BENCH_CG_SUBSET=${BENCH_CG_SUBSET:-300}
BENCH_KEEP_WORK=${BENCH_KEEP_WORK:-0}
BENCH_IMAGE_TREES=${BENCH_IMAGE_TREES:-6.12}
BENCH_KMOD34_TREES=${BENCH_KMOD34_TREES:-6.12}
BENCH_ROWS=${BENCH_ROWS:-all}
case $BENCH_ROWS in all | kmod34) ;; *) echo "[bench] error: BENCH_ROWS must be all or kmod34" >&2; exit 1 ;; esac

# Roots of the typical host image (f).
IMAGE_ROOTS="xe i915 amdgpu nvme ahci sd_mod ext4 btrfs xfs dm_crypt usb_storage hid_generic"

# Roots whose module set is compared with modprobe's, besides root (a).
# Names with dashes and aliases are on purpose: the tool must resolve them.
CHECK_ROOTS="ext4 fs-vfat crypto-crc32c btrfs nvme ahci xhci-pci usb-storage dm_crypt virtio_blk e1000e snd_hda_intel"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- setup ----

case $BENCH_CACHE in /*) ;; *) BENCH_CACHE=$PWD/$BENCH_CACHE ;; esac
case $BENCH_CACHE/ in "$REPO"/*) die "BENCH_CACHE ($BENCH_CACHE) is inside the repository; put it elsewhere" ;; esac
mkdir -p "$BENCH_CACHE"/debs "$BENCH_CACHE"/trees "$BENCH_CACHE"/results "$BENCH_CACHE"/empty-conf ||
	die "cannot create $BENCH_CACHE"
EMPTY=$BENCH_CACHE/empty-conf
[ -z "$(ls -A "$EMPTY")" ] || die "$EMPTY must be empty"

exec 9>"$BENCH_CACHE/.lock"
flock -n 9 || { log "waiting for another bench run (lock $BENCH_CACHE/.lock)"; flock 9; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/initrd-modset-bench.XXXXXX") || die "mktemp failed"
cleanup() {
	if [ "$BENCH_KEEP_WORK" = 1 ]; then log "scratch kept in $WORK"; else rm -rf "$WORK"; fi
	# the empty mount point tests/trixie-run.sh left in the kmod 34 root
	[ -z "${K34_ROOT:-}" ] || rmdir "$K34_ROOT$WORK" 2>/dev/null || :
}
trap cleanup EXIT
LOG=$WORK/log

find_tool() {
	local d
	for d in /sbin /usr/sbin /bin /usr/bin; do
		[ -x "$d/$1" ] && { printf '%s\n' "$d/$1"; return 0; }
	done
	command -v "$1"
}

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
	else return 1
	fi
}

APT_UPDATED=0
apt_update_once() {
	[ "$APT_UPDATED" = 0 ] || return 0
	APT_UPDATED=1
	log "apt-get update"
	as_root apt-get update -qq >>"$LOG" 2>&1 || { log "apt-get update failed (see log)"; return 1; }
}

# apt_install PKG: install a Debian package with apt-get, updating the lists
# once if the first try fails.
apt_install() {
	command -v apt-get >/dev/null 2>&1 || return 1
	log "apt-get install $1"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >>"$LOG" 2>&1 && return 0
	apt_update_once || return 1
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >>"$LOG" 2>&1
}

DEPMOD=$(find_tool depmod) || die "depmod not found (install kmod)"
MODPROBE=$(find_tool modprobe) || die "modprobe not found (install kmod)"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found"
command -v xz >/dev/null 2>&1 || die "xz not found"

# The tool under test.
STANDIN=0
if [ -n "${MODSET_CMD:-}" ]; then
	read -r -a OURS <<<"$MODSET_CMD"
	case $MODSET_CMD in *modprobe-standin*) STANDIN=1 ;; esac
elif [ -n "${MODSET:-}" ]; then
	[ -x "$MODSET" ] || die "MODSET=$MODSET is not an executable file (run make first)"
	OURS=("$MODSET")
else
	die "set MODSET=/path/to/initrd-modset (make bench does), or MODSET_CMD=\"bash bench/modprobe-standin.sh\" to test with modprobe on both sides"
fi

# Timer.
TIMER=loop
case $BENCH_TIMER in
auto | hyperfine)
	if command -v hyperfine >/dev/null 2>&1 || apt_install hyperfine; then
		TIMER=hyperfine
	elif [ "$BENCH_TIMER" = hyperfine ]; then
		die "hyperfine is missing and could not be installed"
	else
		log "hyperfine unavailable: using a shell timing loop"
	fi
	;;
loop) ;;
*) die "BENCH_TIMER must be auto, hyperfine or loop" ;;
esac

GNUTIME=/usr/bin/time
[ -x "$GNUTIME" ] || apt_install time || log "GNU time unavailable: no RSS figures"
[ -x "$GNUTIME" ] || GNUTIME=

# dracut-install (Debian: dracut-core), for the image rows; bsdcpio and zstd
# for the pipeline of (f).
DRACUT_INSTALL=
for f in /usr/lib/dracut/dracut-install /usr/libexec/dracut-install; do
	[ -x "$f" ] && { DRACUT_INSTALL=$f; break; }
done
if [ -z "$DRACUT_INSTALL" ] && [ "$STANDIN" = 0 ]; then
	apt_install dracut-core && [ -x /usr/lib/dracut/dracut-install ] && DRACUT_INSTALL=/usr/lib/dracut/dracut-install
	[ -n "$DRACUT_INSTALL" ] || log "dracut-install unavailable: no image rows (e, f, h)"
fi
command -v bsdcpio >/dev/null 2>&1 || apt_install libarchive-tools || log "bsdcpio unavailable"
command -v zstd >/dev/null 2>&1 || apt_install zstd || log "zstd unavailable"
[ "$STANDIN" = 0 ] || DRACUT_INSTALL= # the stand-in cannot write images

VALGRIND=
if [ "$BENCH_CALLGRIND" != 0 ]; then
	command -v valgrind >/dev/null 2>&1 || apt_install valgrind || log "valgrind unavailable: no instruction counts"
	VALGRIND=$(command -v valgrind) || VALGRIND=
fi

# ------------------------------------------------------- module trees ------

# A tree is a sysroot under $BENCH_CACHE/trees/NAME holding lib/modules/KVER,
# indexed by the real depmod, and a file .bench-tree describing it:
#   series= pkg= version= kver= modules= compression= source=
TREES=$BENCH_CACHE/trees
DEBS=$BENCH_CACHE/debs

meta() { sed -n "s/^$2=//p" "$1/.bench-tree" | head -n1; }

# cached_tree SERIES: newest ready tree of that series, if any.
cached_tree() {
	local d best='' bestv=''
	for d in "$TREES"/*/; do
		d=${d%/}
		[ -f "$d/.bench-tree" ] || continue
		[ "$(meta "$d" series)" = "$1" ] || continue
		if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$bestv" "$(meta "$d" version)" | sort -V | tail -n1)" != "$bestv" ]; then
			best=$d bestv=$(meta "$d" version)
		fi
	done
	[ -n "$best" ] && printf '%s\n' "$best"
}

newest_pkg() {
	apt-cache search --names-only "$1" 2>/dev/null | awk '{print $1}' | sort -V | tail -n1
}

pkg_version() {
	apt-cache show --no-all-versions "$1" 2>/dev/null | awk '/^Version:/ {print $2; exit}'
}

# index_tree DIR SERIES PKG VERSION SOURCE: depmod DIR and describe it.
index_tree() {
	local dir=$1 kver n comp
	if [ ! -d "$dir/lib/modules" ] && [ -d "$dir/usr/lib/modules" ]; then
		ln -s usr/lib "$dir/lib" # merged-/usr package layout
	fi
	kver=$(ls "$dir/lib/modules" | head -n1)
	[ -n "$kver" ] || { log "no lib/modules/KVER in $dir"; return 1; }
	log "depmod -b $dir $kver"
	"$DEPMOD" -b "$dir" "$kver" >>"$LOG" 2>&1 || { log "depmod failed (see log)"; return 1; }
	n=$(wc -l <"$dir/lib/modules/$kver/modules.dep")
	comp=$(find "$dir/lib/modules/$kver" -type f -name '*.ko*' | sed -n 's/.*\.ko/.ko/p' | sort | uniq -c |
		awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
	{
		echo "series=$2"
		echo "pkg=$3"
		echo "version=$4"
		echo "kver=$kver"
		echo "modules=$n"
		echo "compression=$comp"
		echo "source=$5"
	} >"$dir/.bench-tree"
}

# fetch_deb PKG VERSION: print the path of the .deb in $DEBS, downloading it.
fetch_deb() {
	local pkg=$1 ver=$2 f
	f=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1)
	if [ -z "$f" ]; then
		log "apt-get download $pkg=$ver"
		(cd "$DEBS" && apt-get download "$pkg=$ver") >>"$LOG" 2>&1 || return 1
		f=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1)
	fi
	[ -n "$f" ] && printf '%s\n' "$f"
}

# ensure_deb_tree SERIES REGEX: print the sysroot of the newest package of
# that series, downloading, extracting and indexing it when not cached.
ensure_deb_tree() {
	local series=$1 re=$2 cached pkg='' ver='' deb='' dir tmp try
	cached=$(cached_tree "$series")
	if [ -n "$cached" ] && [ "$BENCH_REFRESH" != 1 ]; then
		printf '%s\n' "$cached"
		return 0
	fi
	for try in 1 2; do
		pkg=$(newest_pkg "$re")
		[ -n "$pkg" ] && ver=$(pkg_version "$pkg")
		if [ -n "$pkg" ] && [ -n "$ver" ]; then
			dir=$TREES/$(printf '%s_%s' "$pkg" "$ver" | tr '~:' '__')
			[ -f "$dir/.bench-tree" ] && { printf '%s\n' "$dir"; return 0; }
			deb=$(fetch_deb "$pkg" "$ver") && break
		fi
		deb=
		[ "$try" = 1 ] && { apt_update_once || break; }
	done
	if [ -z "$deb" ]; then
		[ -n "$cached" ] && { log "no $series package to be had; using cached $(basename "$cached")"; printf '%s\n' "$cached"; return 0; }
		log "no $series kernel package found (pattern $re)"
		return 1
	fi
	log "extracting $(basename "$deb")"
	tmp=$dir.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; log "dpkg-deb -x failed"; return 1; }
	index_tree "$tmp" "$series" "$pkg" "$ver" "deb:$(basename "$deb")" || { rm -rf "$tmp"; return 1; }
	rm -rf "$dir"
	mv "$tmp" "$dir"
	printf '%s\n' "$dir"
}

# ensure_xz_tree SRC: an xz-compressed (.ko.xz, CRC32 check like the kernel's
# modules_install) copy of the tree SRC.
ensure_xz_tree() {
	local src=$1 dir tmp kver
	dir=$src+xz
	[ -f "$dir/.bench-tree" ] && { printf '%s\n' "$dir"; return 0; }
	kver=$(meta "$src" kver)
	log "making an .ko.xz copy of $(basename "$src")"
	tmp=$dir.tmp.$$
	rm -rf "$tmp"
	cp -a "$src" "$tmp" || return 1
	rm -f "$tmp/.bench-tree"
	find "$tmp/lib/modules/$kver" -type f -name '*.ko' -print0 |
		xargs -0 -r -n 16 -P "$(nproc)" xz -q -T1 --check=crc32 --lzma2=dict=1MiB ||
		{ rm -rf "$tmp"; log "xz failed"; return 1; }
	index_tree "$tmp" "$(meta "$src" series)-xz" "$(meta "$src" pkg)" "$(meta "$src" version)" "xz copy of $(basename "$src")" ||
		{ rm -rf "$tmp"; return 1; }
	mv "$tmp" "$dir"
	printf '%s\n' "$dir"
}

RE_61='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$'
RE_612='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$'

log "cache: $BENCH_CACHE"
SETUP_T0=$EPOCHREALTIME
TREE_LIST=()
for t in $BENCH_TREES; do
	case $t in
	6.1)
		d=$(ensure_deb_tree 6.1 "$RE_61") || die "could not get a 6.1 module tree"
		TREE_LIST+=("$d")
		;;
	6.12)
		d=
		[ "$BENCH_XZ_FROM_61" = 1 ] || d=$(ensure_deb_tree 6.12 "$RE_612") || d=
		if [ -z "$d" ]; then
			log "no 6.12 kernel package: using an xz-compressed copy of the 6.1 tree"
			s=$(ensure_deb_tree 6.1 "$RE_61") || die "could not get a 6.1 module tree"
			d=$(ensure_xz_tree "$s") || die "could not make the xz tree"
		fi
		TREE_LIST+=("$d")
		;;
	*) die "BENCH_TREES: unknown tree '$t' (use 6.1 and/or 6.12)" ;;
	esac
done
SETUP_SECS=$(awk -v a="$SETUP_T0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
log "cache ready in ${SETUP_SECS}s"

# -------------------------------------------------------------- timing -----

# measure ID RUNS WARMUP CMD...: time CMD (output discarded); leaves sorted
# seconds in $WORK/ID.times and prints "MIN MEDIAN". When MEASURE_PREP names
# a script, `bash MEASURE_PREP` runs before every run, outside the timing
# (hyperfine --prepare).
measure() {
	local id=$1 runs=$2 warm=$3 i t0 t1
	shift 3
	local times=$WORK/$id.times
	if [ "$TIMER" = hyperfine ]; then
		local json=$WORK/$id.json
		local prep=()
		[ -z "${MEASURE_PREP:-}" ] || prep=(--prepare "bash $(printf '%q' "$MEASURE_PREP")")
		hyperfine -N --runs "$runs" --warmup "$warm" --style basic --export-json "$json" "${prep[@]}" \
			-- "$(printf '%q ' "$@")" >>"$LOG" 2>&1 || return 1
		tr -d ' \n' <"$json" | sed 's/.*"times":\[\([^]]*\)\].*/\1/' | tr ',' '\n' | sort -g >"$times"
	else
		for ((i = 0; i < warm; i++)); do
			[ -z "${MEASURE_PREP:-}" ] || bash "$MEASURE_PREP" || return 1
			"$@" >/dev/null 2>&1 </dev/null || return 1
		done
		: >"$times.raw"
		for ((i = 0; i < runs; i++)); do
			[ -z "${MEASURE_PREP:-}" ] || bash "$MEASURE_PREP" || return 1
			t0=$EPOCHREALTIME
			[ -n "$t0" ] || t0=$(date +%s.%N)
			"$@" >/dev/null 2>&1 </dev/null || return 1
			t1=$EPOCHREALTIME
			[ -n "$t1" ] || t1=$(date +%s.%N)
			echo "$t0 $t1" >>"$times.raw"
		done
		awk '{printf "%.9f\n", $2 - $1}' "$times.raw" | sort -g >"$times"
	fi
	awk '{v[NR] = $1} END {
		if (NR == 0) exit 1
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.9f %.9f\n", v[1], m }' "$times"
}

fmt_s() { # seconds -> "3.21 ms" / "13.07 s"
	awk -v s="$1" 'BEGIN {
		if (s == "") print "-"
		else if (s < 1e-3) printf "%.0f us", s * 1e6
		else if (s < 1) printf "%.2f ms", s * 1e3
		else printf "%.2f s", s }'
}
fmt_n() { awk -v n="$1" 'BEGIN { if (n >= 1e9) printf "%.3f G", n / 1e9; else if (n >= 1e6) printf "%.2f M", n / 1e6; else printf "%d", n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a != "-" && a + 0 <= b + 0) }'; }

ROWS=()   # "cmp|ours|theirs|ratio|target|result" lines
NOTES=()
row() { ROWS+=("$1|$2|$3|$4|$5|$6"); }
note() { NOTES+=("$*"); log "note: $*"; }

# cmp_row LABEL OURS THEIRS LIMIT TARGET [x] [NOTHEIRS]: a comparison row from two
# "min median" figures. The ratio is ours / theirs of the medians (with x, the
# speed-up 1/ratio follows it); PASS when it is <= LIMIT. When a side has no figure
# the row says so: FAIL when ours failed, else NOTHEIRS (FAIL by default).
cmp_row() {
	local label=$1 o=$2 t=$3 lim=$4 target=$5 x=${6:-} nt=${7:-FAIL} rat shown
	if [ -n "$o" ] && [ -n "$t" ]; then
		rat=$(ratio "${o#* }" "${t#* }")
		shown=$rat
		[ "$x" = x ] && shown="$rat ($(awk -v r="$rat" 'BEGIN { if (r > 0) printf "%.1fx", 1 / r }'))"
		row "$label" "$(fmt_s "${o% *}") / $(fmt_s "${o#* }")" "$(fmt_s "${t% *}") / $(fmt_s "${t#* }")" \
			"$shown" "$target" "$(le "$rat" "$lim" && echo PASS || echo MISS)"
	else
		row "$label" "${o:+ok}${o:-FAILED}" "${t:+ok}${t:-FAILED}" "" "$target" \
			"$([ -n "$o" ] && echo "$nt" || echo FAIL)"
	fi
}

# normalize R: module-set lines from list output or modprobe --show-depends.
normalize() {
	awk -v r="$1/" '
		{ sub(/^insmod[ \t]+/, ""); sub(/[ \t].*$/, "") }
		$0 == "" || $0 == "builtin" { next }
		{ if (index($0, r) == 1) $0 = substr($0, length(r) + 1); print }' | sort -u
}
to_names() { sed 's#.*/##; s/\.ko.*$//; s/-/_/g' | sort -u; }

bench_tree() {
	local sys=$1 kver R label n names root a ours_a theirs_a ours_b theirs_b
	kver=$(meta "$sys" kver)
	R=$sys/lib/modules/$kver
	n=$(meta "$sys" modules)
	label=$(meta "$sys" series)
	local tag=${label//./_}
	names=$WORK/$tag.names
	sed 's/:.*//; s#.*/##; s/\.ko.*$//; s/-/_/g' "$R/modules.dep" | sort -u >"$names"

	# has_mod NAME: a module of that name (- and _ alike) or an alias of one.
	has_mod() {
		grep -qxF "${1//-/_}" "$names" ||
			grep -qF "alias $1 " "$R/modules.alias" 2>/dev/null
	}
	root=''
	for a in xe i915 nvme ahci ext4; do has_mod "$a" && { root=$a; break; }; done
	[ -n "$root" ] || root=$(head -n1 "$names")
	log "== tree $label: $kver, $n modules ($(meta "$sys" compression)), root (a) = $root"
	TREE_SUMMARY+=("$label: $(meta "$sys" pkg) $(meta "$sys" version), kver $kver, $n modules, $(meta "$sys" compression); root (a): $root")

	ours_a=("${OURS[@]}" --root "$R" -C "$EMPTY" --format list "$root")
	theirs_a=("$MODPROBE" -d "$sys" -S "$kver" -C "$EMPTY" --show-depends "$root")
	ours_b=("${OURS[@]}" --root "$R" -C "$EMPTY" --format json --from "$names")
	{
		printf '#!/usr/bin/env bash\n'
		printf 'while IFS= read -r m; do %q -d %q -S %q -C %q --show-depends "$m" || :; done <%q\n' \
			"$MODPROBE" "$sys" "$kver" "$EMPTY" "$names"
	} >"$WORK/$tag.loop.sh"
	theirs_b=(bash "$WORK/$tag.loop.sh")

	# --- check: same work --------------------------------------------------
	local r ok=0 bad=0 tot=0 o t
	for r in $root $CHECK_ROOTS; do
		[ "$r" != "$root" ] || [ $tot = 0 ] || continue
		has_mod "$r" || continue
		[ $tot -lt 12 ] || break
		tot=$((tot + 1))
		o=$WORK/$tag.chk.$r.ours t=$WORK/$tag.chk.$r.theirs
		"${OURS[@]}" --root "$R" -C "$EMPTY" --kmod-compat --format list "$r" >"$o.raw" 2>"$o.err"
		local orc=$?
		"$MODPROBE" -d "$sys" -S "$kver" -C "$EMPTY" --show-depends "$r" 2>"$t.err" | grep '^insmod ' >"$t.raw"
		normalize "$R" <"$o.raw" >"$o"
		normalize "$R" <"$t.raw" >"$t"
		if ! grep -q / "$o" && [ -s "$o" ]; then # ours printed names, not paths
			to_names <"$o" >"$o.n" && mv "$o.n" "$o"
			to_names <"$t" >"$t.n" && mv "$t.n" "$t"
		fi
		if [ $orc = 0 ] && [ -s "$t" ] && cmp -s "$o" "$t"; then
			ok=$((ok + 1))
			log "check $label $r: OK ($(wc -l <"$t") modules)"
		else
			bad=$((bad + 1))
			log "check $label $r: MISMATCH (exit $orc; ours $(wc -l <"$o"), modprobe $(wc -l <"$t") modules)"
			diff "$o" "$t" | sed -n '1,12s/^/[bench]   /p' >&2
			[ -s "$o.err" ] && sed -n '1,5s/^/[bench]   stderr: /p' "$o.err" >&2
		fi
	done
	row "check $label: kmod-compat set = modprobe" "$ok/$tot OK" "" "" "all OK" \
		"$([ $bad = 0 ] && [ $tot -gt 0 ] && echo PASS || echo MISS)"

	# --- (a) single root ---------------------------------------------------
	local oa ta rat
	log "(a) $label: timing root $root, $BENCH_RUNS runs each"
	if ! "${ours_a[@]}" >"$WORK/$tag.a.out" 2>"$WORK/$tag.a.err"; then
		row "a $label single root ($root)" "FAILED" "" "" "<= 1.0" FAIL
		log "ours (a) failed:"; sed -n '1,5p' "$WORK/$tag.a.err" >&2
	else
		oa=$(measure "$tag.a.ours" "$BENCH_RUNS" 1 "${ours_a[@]}") || oa=
		ta=$(measure "$tag.a.theirs" "$BENCH_RUNS" 1 "${theirs_a[@]}") || ta=
		cmp_row "a $label single root ($root)" "$oa" "$ta" 1.0 "<= 1.0"
	fi

	# --- (b) all modules, JSON ---------------------------------------------
	local ob tb brss='' trss='' jsz
	log "(b) $label: all $n modules as roots"
	if [ -n "$GNUTIME" ]; then
		"$GNUTIME" -f %M -o "$WORK/$tag.b.rss" "${ours_b[@]}" >"$WORK/$tag.b.out" 2>"$WORK/$tag.b.err"
	else
		"${ours_b[@]}" >"$WORK/$tag.b.out" 2>"$WORK/$tag.b.err"
	fi
	local brc=$?
	[ -n "$GNUTIME" ] && brss=$(tail -n1 "$WORK/$tag.b.rss")
	jsz=$(wc -c <"$WORK/$tag.b.out")
	if [ $brc != 0 ]; then
		log "ours (b) failed (exit $brc):"; sed -n '1,5p' "$WORK/$tag.b.err" >&2
		row "b $label all $n roots, json" "FAILED" "" "" "<= 0.05 (20x)" FAIL
		brss=
	else
		if command -v jq >/dev/null 2>&1 && ! jq -e . "$WORK/$tag.b.out" >/dev/null 2>&1; then
			note "$label (b): output is not valid JSON ($jsz bytes)"
		fi
		log "(b) $label: ours, $BENCH_RUNS runs"
		ob=$(measure "$tag.b.ours" "$BENCH_RUNS" 1 "${ours_b[@]}") || ob=
		log "(b) $label: modprobe loop over $n modules, 1 untimed + $BENCH_LOOP_RUNS timed run(s)"
		if [ -n "$GNUTIME" ]; then
			"$GNUTIME" -f %M -o "$WORK/$tag.bt.rss" "${theirs_b[@]}" >"$WORK/$tag.bt.out" 2>"$WORK/$tag.bt.err"
			trss=$(tail -n1 "$WORK/$tag.bt.rss")
		else
			"${theirs_b[@]}" >"$WORK/$tag.bt.out" 2>"$WORK/$tag.bt.err"
		fi
		[ -s "$WORK/$tag.bt.err" ] && note "$label (b): modprobe reported errors for $(wc -l <"$WORK/$tag.bt.err") line(s), e.g. $(head -n1 "$WORK/$tag.bt.err")"
		tb=$(measure "$tag.b.theirs" "$BENCH_LOOP_RUNS" 0 "${theirs_b[@]}") || tb=
		cmp_row "b $label all $n roots, json" "$ob" "$tb" 0.05 "<= 0.05 (20x)" x
	fi

	# --- (c) peak RSS of (b) ----------------------------------------------
	if [ -n "$brss" ]; then
		row "c $label peak RSS of (b)" "$(awk -v k="$brss" 'BEGIN {printf "%.1f MiB", k / 1024}')" \
			"${trss:+$(awk -v k="$trss" 'BEGIN {printf "%.1f MiB", k / 1024}') (max 1 proc)}" \
			"" "<= 64 MiB" "$([ "$brss" -le 65536 ] && echo PASS || echo MISS)"
	fi

	# --- (g) cold modinfo cache: (a) and (b) with --no-cache ---------------
	# The rows above run warm: the CLI caches module facts per file between
	# runs (--cache-dir). --no-cache neither reads nor writes that cache, so
	# every module is opened (and decompressed) again. The page cache stays
	# warm. Theirs is the same modprobe figure as in (a) / (b).
	if [ "$STANDIN" = 0 ]; then
		local oac obc
		log "(g) $label: ours with --no-cache, $BENCH_RUNS runs each"
		oac=$(measure "$tag.a.cold" "$BENCH_RUNS" 1 "${ours_a[@]}" --no-cache) || oac=
		cmp_row "g $label cold cache, single root ($root)" "$oac" "${ta:-}" 1.0 "<= 1.0" "" -
		obc=$(measure "$tag.b.cold" "$BENCH_RUNS" 1 "${ours_b[@]}" --no-cache) || obc=
		cmp_row "g $label cold cache, all $n roots, json" "$obc" "${tb:-}" 0.05 "<= 0.05 (20x)" x -
	fi

	# --- (g') the decompression floor of (g) on compressed trees ------------
	# A cold run must read every module's .modinfo, and .modinfo sits in the
	# middle of the file, behind sections only the section table at the end
	# describes: xz and zstd streams cannot be cut short there, so each module
	# is decompressed whole. The floor is the plain decompressors doing just
	# that over the same files on every CPU (xargs -P), output discarded.
	if [ "$STANDIN" = 0 ] && [ -n "${obc:-}" ] && [[ "$(meta "$sys" compression)" == *.ko.* ]]; then
		local of
		{
			printf '#!/usr/bin/env bash\nset -eo pipefail\ncd %q\n' "$R"
			printf 'find . -name "*.ko.xz" -print0 | xargs -0r -P%s -n 64 xz -dc >/dev/null\n' "$(nproc)"
			printf 'find . -name "*.ko.zst" -print0 | xargs -0r -P%s -n 64 zstd -dcq >/dev/null\n' "$(nproc)"
		} >"$WORK/$tag.floor.sh"
		of=$(measure "$tag.g.floor" "$BENCH_RUNS" 1 bash "$WORK/$tag.floor.sh") || of=
		cmp_row "g' $label cold, all roots vs decompressing all" "$obc" "$of" 1.5 "<= 1.5"
	fi

	# --- (e, f, h) module images, on BENCH_IMAGE_TREES only --------------
	case " $BENCH_IMAGE_TREES " in *" $label "*) bench_image "$sys" "$tag" "$label" "$names" ;; esac

	# --- (d) instruction counts ------------------------------------------
	[ -n "$VALGRIND" ] || return 0
	local ia ita ib sub cgrc
	cg() { # cg ID TIMEOUT CMD... -> instructions ("Collected") or nothing
		local id=$1 to=$2
		shift 2
		timeout "$to" "$VALGRIND" --tool=callgrind --callgrind-out-file="$WORK/$id.cg" "$@" \
			>/dev/null 2>"$WORK/$id.cg.err" </dev/null
		local rc=$?
		echo $rc >"$WORK/$id.cg.rc"
		[ $rc = 0 ] || return 0 # a failed run counts nothing
		sed -n 's/.*Collected : *\([0-9][0-9]*\).*/\1/p' "$WORK/$id.cg.err" | tail -n1
	}
	cgshow() { # cgshow ID COUNT
		if [ -n "$2" ]; then fmt_n "$2"; else echo "FAILED (exit $(cat "$WORK/$1.cg.rc"))"; fi
	}
	log "(d) $label: callgrind"
	ia=$(cg "$tag.a.ours" 600 "${ours_a[@]}")
	ita=$(cg "$tag.a.theirs" 600 "${theirs_a[@]}")
	row "d $label instructions (a)" "$(cgshow "$tag.a.ours" "$ia")" "$(cgshow "$tag.a.theirs" "$ita")" \
		"$([ -n "$ia" ] && [ -n "$ita" ] && ratio "$ia" "$ita")" "info" "-"
	ib=$(cg "$tag.b.ours" "$BENCH_CG_TIMEOUT" "${ours_b[@]}")
	cgrc=$(cat "$WORK/$tag.b.ours.cg.rc")
	if [ "$cgrc" = 124 ]; then
		sub=$WORK/$tag.names.sub
		awk -v n="$(wc -l <"$names")" -v k="$BENCH_CG_SUBSET" 'BEGIN { s = n / k; if (s < 1) s = 1 }
			NR > (c * s) { print; c++ }' "$names" | head -n "$BENCH_CG_SUBSET" >"$sub"
		note "$label (d): (b) under callgrind took > ${BENCH_CG_TIMEOUT}s; counted a $(wc -l <"$sub")-root subset instead (every $((n / BENCH_CG_SUBSET))th module)"
		ib=$(cg "$tag.b.ours.sub" 600 "${OURS[@]}" --root "$R" -C "$EMPTY" --format json --from "$sub")
		row "d $label instructions (b, $(wc -l <"$sub")-root subset)" "$(cgshow "$tag.b.ours.sub" "$ib")" "n/a" "" "info" "-"
	else
		row "d $label instructions (b)" "$(cgshow "$tag.b.ours" "$ib")" "n/a" "" "info" "-"
	fi
}

# bench_image SYSROOT TAG LABEL NAMES: (e) every module installed into a
# directory, against dracut-install and cp --parents; (h) peak RSS of ours in
# (e); (f) a typical host image as a zstd cpio, against dracut-install piped
# into bsdcpio and zstd. Every timed run starts from an empty output (removed
# by the prepare script, outside the timing). No firmware on either side:
# ours gets --no-firmware, dracut-install an empty --firmwaredirs.
bench_image() {
	local sys=$1 tag=$2 label=$3 names=$4 kver R n
	kver=$(meta "$sys" kver)
	R=$sys/lib/modules/$kver
	n=$(meta "$sys" modules)
	if [ -z "$DRACUT_INSTALL" ]; then
		row "e $label install all $n into dir" "" "no dracut-install" "" ">= 5x" "-"
		return 0
	fi
	local D=$WORK/$tag.img
	local dir_o=$D/ours dir_t=$D/dracut dir_c=$D/cp
	mkdir -p "$D"
	local -a mods
	mapfile -t mods <"$names"

	local ours_e=("${OURS[@]}" --root "$R" -C "$EMPTY" --no-firmware --format dir -o "$dir_o" --from "$names")
	local dr_e=("$DRACUT_INSTALL" -D "$dir_t" --kerneldir "$R" --firmwaredirs "$EMPTY" --silent -m "${mods[@]}")
	# The plain copy: the same file list (our list output, relative to R).
	"${OURS[@]}" --root "$R" -C "$EMPTY" -q --format list --from "$names" 2>/dev/null | normalize "$R" >"$D/rel.list"
	{
		printf '#!/usr/bin/env bash\n'
		printf 'cd %q && exec xargs -d "\\n" cp --parents -t %q <%q\n' "$R" "$dir_c" "$D/rel.list"
	} >"$D/cp.sh"
	local cp_e=(bash "$D/cp.sh")
	printf 'rm -rf %q\n' "$dir_o" >"$D/prep.ours"
	printf 'rm -rf %q && mkdir -p %q\n' "$dir_t" "$dir_t" >"$D/prep.dracut"
	printf 'rm -rf %q && mkdir -p %q\n' "$dir_c" "$dir_c" >"$D/prep.cp"

	# Untimed first runs: they check that each side works, and that both
	# install the same module files, and give our peak RSS (h).
	local erss='' erc trc nfo nft nfc
	bash "$D/prep.ours"
	if [ -n "$GNUTIME" ]; then
		"$GNUTIME" -f %M -o "$D/ours.rss" "${ours_e[@]}" >/dev/null 2>"$D/ours.err"
		erc=$?
		erss=$(tail -n1 "$D/ours.rss")
	else
		"${ours_e[@]}" >/dev/null 2>"$D/ours.err"
		erc=$?
	fi
	bash "$D/prep.dracut"
	log "(e) $label: dracut-install of all $n modules, untimed first run"
	"${dr_e[@]}" >/dev/null 2>"$D/dracut.err"
	trc=$?
	bash "$D/prep.cp"
	"${cp_e[@]}" >/dev/null 2>"$D/cp.err" || note "$label (e): cp --parents failed: $(head -n1 "$D/cp.err")"
	nfo=$(find "$dir_o" -name '*.ko*' 2>/dev/null | sed 's#.*/##' | sort | tee "$D/ours.ko" | wc -l)
	nft=$(find "$dir_t" -name '*.ko*' 2>/dev/null | sed 's#.*/##' | sort | tee "$D/dracut.ko" | wc -l)
	nfc=$(find "$dir_c" -name '*.ko*' 2>/dev/null | wc -l)
	log "(e) $label: module files installed: ours $nfo (exit $erc), dracut-install $nft (exit $trc), cp $nfc"
	if ! cmp -s "$D/ours.ko" "$D/dracut.ko"; then
		note "$label (e): ours and dracut-install installed different module files (ours $nfo, dracut-install $nft; $(diff "$D/ours.ko" "$D/dracut.ko" | grep -c '^[<>]') differ)"
	fi
	note "$label (e): ours writes $nfo module files + $(find "$dir_o" -type f ! -name '*.ko*' 2>/dev/null | wc -l) trimmed index files; dracut-install $nft module files (no indexes); cp $nfc files"

	local oe te ce rat
	if [ $erc != 0 ]; then
		log "ours (e) failed (exit $erc):"; sed -n '1,5p' "$D/ours.err" >&2
		row "e $label install all $n into dir vs dracut-install" "FAILED" "" "" ">= 5x" FAIL
	else
		log "(e) $label: timing, $BENCH_RUNS runs each (ours, cp --parents, dracut-install)"
		oe=$(MEASURE_PREP=$D/prep.ours measure "$tag.e.ours" "$BENCH_RUNS" 0 "${ours_e[@]}") || oe=
		ce=$(MEASURE_PREP=$D/prep.cp measure "$tag.e.cp" "$BENCH_RUNS" 0 "${cp_e[@]}") || ce=
		if [ $trc = 0 ]; then
			te=$(MEASURE_PREP=$D/prep.dracut measure "$tag.e.dracut" "$BENCH_RUNS" 0 "${dr_e[@]}") || te=
		else
			te=
			note "$label (e): dracut-install failed (exit $trc): $(head -n1 "$D/dracut.err")"
		fi
		cmp_row "e $label install all $n into dir vs dracut-install" "$oe" "$te" 0.2 "<= 0.2 (5x)" x MISS
		cmp_row "e $label install all $n into dir vs cp --parents" "$oe" "$ce" 2.0 "<= 2.0" "" MISS
	fi
	if [ -n "$erss" ] && [ "$erc" = 0 ]; then
		row "h $label peak RSS of (e)" "$(awk -v k="$erss" 'BEGIN {printf "%.1f MiB", k / 1024}')" "" "" "<= 64 MiB" \
			"$([ "$erss" -le 65536 ] && echo PASS || echo MISS)"
	fi
	rm -rf "$dir_o" "$dir_t" "$dir_c"

	# --- (f) typical host image, zstd cpio ----------------------------------
	local r roots=()
	for r in $IMAGE_ROOTS; do
		if grep -qxF "${r//-/_}" "$names"; then roots+=("$r"); else log "(f) $label: no module $r, left out"; fi
	done
	local out_o=$D/ours.cpio.zst out_t=$D/dracut.cpio.zst dir_f=$D/fdir
	local ours_f=("${OURS[@]}" --root "$R" -C "$EMPTY" --no-firmware --format cpio --compress zstd -o "$out_o" "${roots[@]}")
	{
		printf '#!/usr/bin/env bash\nset -eo pipefail\n'
		printf '%q -D %q --kerneldir %q --firmwaredirs %q --silent -m' "$DRACUT_INSTALL" "$dir_f" "$R" "$EMPTY"
		printf ' %q' "${roots[@]}"
		printf '\n(cd %q && find . | sort | bsdcpio -o -H newc --quiet) | zstd -q -o %q\n' "$dir_f" "$out_t"
	} >"$D/f.sh"
	local dr_f=(bash "$D/f.sh")
	printf 'rm -f %q\n' "$out_o" >"$D/prep.fo"
	printf 'rm -rf %q %q && mkdir -p %q\n' "$dir_f" "$out_t" "$dir_f" >"$D/prep.ft"
	local frc ftrc fo ft fno fnt
	bash "$D/prep.fo"
	"${ours_f[@]}" >/dev/null 2>"$D/f.ours.err"
	frc=$?
	bash "$D/prep.ft"
	"${dr_f[@]}" >/dev/null 2>"$D/f.dracut.err"
	ftrc=$?
	fno=$(zstd -dc "$out_o" 2>/dev/null | bsdcpio -it --quiet 2>/dev/null | grep -c '\.ko')
	fnt=$(zstd -dc "$out_t" 2>/dev/null | bsdcpio -it --quiet 2>/dev/null | grep -c '\.ko')
	note "$label (f): ${#roots[@]} roots; module files in the image: ours $fno (+ trimmed indexes), dracut-install $fnt; sizes ours $(wc -c <"$out_o" 2>/dev/null) B, theirs $(wc -c <"$out_t" 2>/dev/null) B"
	if [ $frc != 0 ]; then
		log "ours (f) failed (exit $frc):"; sed -n '1,5p' "$D/f.ours.err" >&2
		row "f $label host image (${#roots[@]} roots), cpio.zst" "FAILED" "" "" "<= 0.333 (3x)" FAIL
	else
		log "(f) $label: timing, $BENCH_RUNS runs each"
		fo=$(MEASURE_PREP=$D/prep.fo measure "$tag.f.ours" "$BENCH_RUNS" 1 "${ours_f[@]}") || fo=
		ft=
		if [ $ftrc = 0 ]; then
			ft=$(MEASURE_PREP=$D/prep.ft measure "$tag.f.dracut" "$BENCH_RUNS" 1 "${dr_f[@]}") || ft=
		else
			note "$label (f): dracut-install pipeline failed (exit $ftrc): $(head -n1 "$D/f.dracut.err")"
		fi
		cmp_row "f $label host image (${#roots[@]} roots), cpio.zst" "$fo" "$ft" 0.3334 "<= 0.333 (3x)" x MISS
	fi

	# --- (i) plain cpio of the xe ext4 nvme closure vs bsdcpio of the same files ---
	local iroots=() ir
	for ir in xe ext4 nvme; do
		if grep -qxF "${ir//-/_}" "$names"; then iroots+=("$ir"); fi
	done
	"${OURS[@]}" --root "$R" -C "$EMPTY" --format list "${iroots[@]}" 2>/dev/null |
		sed "s|^$R/||" >"$D/i.list"
	local ours_i=("${OURS[@]}" --root "$R" -C "$EMPTY" --no-firmware --format cpio --compress none
		-o "$D/ours.cpio" "${iroots[@]}")
	printf '#!/usr/bin/env bash\nset -eo pipefail\ncd %q && bsdcpio -o --format newc --quiet <%q >%q\n' \
		"$R" "$D/i.list" "$D/theirs.cpio" >"$D/i.sh"
	local io it irat
	if [ -s "$D/i.list" ]; then
		io=$(measure "$tag.i.ours" "$BENCH_RUNS" 1 "${ours_i[@]}") || io=
		it=$(measure "$tag.i.bsdcpio" "$BENCH_RUNS" 1 bash "$D/i.sh") || it=
	fi
	note "$label (i): ${iroots[*]}: $(wc -l <"$D/i.list") module files; ours also writes the trimmed indexes and directories"
	cmp_row "i $label cpio of the ${iroots[*]} closure vs bsdcpio" "$io" "$it" 1.5 "<= 1.5"
	rm -rf "$D"
}

# ---------------------------------------------------------- kmod 34 -------

# The Debian 13 root of the test suite (tests/trixie-root.sh: kmod 34.2, made
# once and cached): its depmod indexes a copy of a tree, its modprobe is the
# reference, and both sides are timed inside it.
K34_ROOT=
K34_VERSION=
k34_setup() {
	[ -z "$K34_ROOT" ] || return 0
	K34_ROOT=$(sh "$REPO/tests/trixie-root.sh" 2>"$WORK/k34.root.err") || K34_ROOT=
	[ -n "$K34_ROOT" ] || { log "no kmod 34 root: $(tail -n1 "$WORK/k34.root.err")"; return 1; }
	K34_VERSION=$(in_root -- modprobe --version 2>/dev/null | head -n1)
	log "kmod 34 root: $K34_ROOT ($K34_VERSION)"
}

# in_root DIR... -- CMD...: CMD chrooted in the root, each DIR bind-mounted at
# its own path (tests/trixie-run.sh), so paths are the same inside and out.
in_root() {
	local binds=()
	while [ "$1" != -- ]; do binds+=(-b "$1"); shift; done
	shift
	sh "$REPO/tests/trixie-run.sh" "$K34_ROOT" "${binds[@]}" -- "$@"
}

# ensure_k34_tree SRC: a copy of the tree SRC indexed by the root's depmod
# (hard links: depmod replaces the index files by rename, the module files are
# shared), made again when the root's kmod changes.
ensure_k34_tree() {
	local src=$1 dir=$1+kmod34 tmp kver
	kver=$(meta "$src" kver)
	if [ -f "$dir/.bench-tree" ] && [ "$(meta "$dir" depmod)" = "$K34_VERSION" ]; then
		printf '%s\n' "$dir"
		return 0
	fi
	log "indexing a copy of $(basename "$src") with the root's depmod ($K34_VERSION)"
	tmp=$dir.tmp.$$
	rm -rf "$tmp" "$dir"
	cp -al "$src" "$tmp" || { rm -rf "$tmp"; return 1; }
	rm -f "$tmp/.bench-tree"
	in_root "$tmp" -- depmod -b "$tmp" "$kver" >>"$LOG" 2>&1 ||
		{ rm -rf "$tmp"; log "depmod 34 failed (see log)"; return 1; }
	rmdir "$K34_ROOT$tmp" 2>/dev/null || : # its mount point there
	[ -f "$tmp/lib/modules/$kver/modules.weakdep" ] ||
		{ rm -rf "$tmp"; log "depmod 34 wrote no modules.weakdep"; return 1; }
	{
		sed '/^series=/d; /^source=/d' "$src/.bench-tree"
		echo "series=$(meta "$src" series)-kmod34"
		echo "source=$(basename "$src") indexed by the kmod 34 root's depmod"
		echo "depmod=$K34_VERSION"
	} >"$tmp/.bench-tree"
	mv "$tmp" "$dir"
	printf '%s\n' "$dir"
}

# measure_in_root ID RUNS WARMUP DIR... -- CMD...: as measure, with the timer
# itself (hyperfine, or the shell loop) running inside the root: entering it
# (namespace, mounts, chroot) is paid once, outside the timing, so neither side
# pays for the wrapper. DIRs are bound as for in_root.
measure_in_root() {
	local id=$1 runs=$2 warm=$3 binds=()
	shift 3
	while [ "$1" != -- ]; do binds+=("$1"); shift; done
	shift
	local times=$WORK/$id.times
	if [ "$TIMER" = hyperfine ]; then
		local json=$WORK/$id.json prep=()
		mkdir -p "$WORK/bin"
		[ -x "$WORK/bin/hyperfine" ] || cp "$(command -v hyperfine)" "$WORK/bin/hyperfine" || return 1
		[ -z "${MEASURE_PREP:-}" ] || prep=(--prepare "bash $(printf '%q' "$MEASURE_PREP")")
		in_root "$WORK" "${binds[@]}" -- "$WORK/bin/hyperfine" -N --runs "$runs" --warmup "$warm" \
			--style basic --export-json "$json" "${prep[@]}" -- "$(printf '%q ' "$@")" >>"$LOG" 2>&1 ||
			return 1
		tr -d ' \n' <"$json" | sed 's/.*"times":\[\([^]]*\)\].*/\1/' | tr ',' '\n' | sort -g >"$times"
	else
		local prepcmd=: cmd
		[ -z "${MEASURE_PREP:-}" ] || prepcmd="bash $(printf '%q' "$MEASURE_PREP")"
		cmd=$(printf '%q ' "$@")
		{
			printf '#!/bin/bash\nset -e\n'
			printf 'for ((i = 0; i < %d; i++)); do %s; %s >/dev/null 2>&1 </dev/null; done\n' \
				"$warm" "$prepcmd" "$cmd"
			printf 'for ((i = 0; i < %d; i++)); do\n\t%s\n' "$runs" "$prepcmd"
			printf '\tt0=$EPOCHREALTIME; %s >/dev/null 2>&1 </dev/null; t1=$EPOCHREALTIME\n' "$cmd"
			printf '\techo "$t0 $t1"\ndone\n'
		} >"$WORK/$id.loop.sh"
		in_root "$WORK" "${binds[@]}" -- bash "$WORK/$id.loop.sh" >"$times.raw" 2>>"$LOG" || return 1
		awk '{printf "%.9f\n", $2 - $1}' "$times.raw" | sort -g >"$times"
	fi
	awk '{v[NR] = $1} END {
		if (NR == 0) exit 1
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.9f %.9f\n", v[1], m }' "$times"
}

# bench_kmod34 SRC: the rows k on the kmod 34 copy of the tree SRC.
bench_kmod34() {
	local src=$1 sys kver R label tag names root a r ok=0 bad=0 tot=0 o t orc
	if [ "$STANDIN" = 1 ]; then
		return 0 # the stand-in is the host's modprobe: nothing to compare
	fi
	if ! k34_setup; then
		row "k $(meta "$src" series)-kmod34 rows" "" "no kmod 34 root" "" "<= 1.0" "-"
		note "k: no kmod 34 root ($(tail -n1 "$WORK/k34.root.err"))"
		return 0
	fi
	sys=$(ensure_k34_tree "$src") || {
		row "k $(meta "$src" series)-kmod34 rows" "" "no depmod 34 tree" "" "<= 1.0" FAIL
		return 0
	}
	kver=$(meta "$sys" kver)
	R=$sys/lib/modules/$kver
	label=$(meta "$sys" series)
	tag=${label//./_}
	names=$WORK/$tag.names
	sed 's/:.*//; s#.*/##; s/\.ko.*$//; s/-/_/g' "$R/modules.dep" | sort -u >"$names"
	root=''
	for a in xe i915 nvme ahci ext4; do grep -qxF "$a" "$names" && { root=$a; break; }; done
	[ -n "$root" ] || root=$(head -n1 "$names")
	local bin_dir
	bin_dir=$(cd "$(dirname "${OURS[0]}")" && pwd -P)
	log "== tree $label: $kver, indexed by $K34_VERSION, root (k) = $root"
	TREE_SUMMARY+=("$label: $(meta "$src" series) tree indexed by the root's depmod ($K34_VERSION; modules.weakdep: $(grep -vc '^#' "$R/modules.weakdep") entries); root (k): $root; kmod 34 root $K34_ROOT")

	# --- check: the same work, against modprobe 34 ------------------------
	for r in $root $CHECK_ROOTS; do
		[ "$r" != "$root" ] || [ $tot = 0 ] || continue
		grep -qxF "${r//-/_}" "$names" || grep -qF "alias $r " "$R/modules.alias" 2>/dev/null || continue
		[ $tot -lt 12 ] || break
		tot=$((tot + 1))
		o=$WORK/$tag.chk.$r.ours t=$WORK/$tag.chk.$r.theirs
		"${OURS[@]}" --root "$R" -C "$EMPTY" --kmod-compat --format list "$r" >"$o.raw" 2>"$o.err"
		orc=$?
		in_root "$BENCH_CACHE" -- modprobe -d "$sys" -S "$kver" -C "$EMPTY" --show-depends "$r" \
			2>"$t.err" | grep '^insmod ' >"$t.raw"
		normalize "$R" <"$o.raw" >"$o"
		normalize "$R" <"$t.raw" >"$t"
		if [ $orc = 0 ] && [ -s "$t" ] && cmp -s "$o" "$t"; then
			ok=$((ok + 1))
			log "check $label $r: OK ($(wc -l <"$t") modules)"
		else
			bad=$((bad + 1))
			log "check $label $r: MISMATCH (exit $orc; ours $(wc -l <"$o"), modprobe 34 $(wc -l <"$t") modules)"
			diff "$o" "$t" | sed -n '1,12s/^/[bench]   /p' >&2
		fi
	done
	row "check $label: kmod-compat set = modprobe 34" "$ok/$tot OK" "" "" "all OK" \
		"$([ $bad = 0 ] && [ $tot -gt 0 ] && echo PASS || echo MISS)"

	# --- (k) cold single root, both timed in the root ----------------------
	local ours_k theirs_k ok_k tk
	ours_k=("${OURS[@]}" --root "$R" -C "$EMPTY" --format list --cache-dir "$WORK/$tag.k.cache" "$root")
	theirs_k=(modprobe -d "$sys" -S "$kver" -C "$EMPTY" --show-depends "$root")
	printf 'rm -rf %q\n' "$WORK/$tag.k.cache" >"$WORK/$tag.k.prep"
	if ! in_root "$BENCH_CACHE" "$bin_dir" -- "${ours_k[@]}" >"$WORK/$tag.k.out" 2>"$WORK/$tag.k.err"; then
		row "k $label cold single root ($root)" "FAILED" "" "" "<= 1.0" FAIL
		log "ours (k) failed in the root:"; sed -n '1,5p' "$WORK/$tag.k.err" >&2
		return 0
	fi
	log "(k) $label: timing root $root inside the root, $BENCH_RUNS runs each"
	ok_k=$(MEASURE_PREP=$WORK/$tag.k.prep measure_in_root "$tag.k.ours" "$BENCH_RUNS" 1 \
		"$BENCH_CACHE" "$bin_dir" -- "${ours_k[@]}") || ok_k=
	tk=$(measure_in_root "$tag.k.theirs" "$BENCH_RUNS" 1 "$BENCH_CACHE" -- "${theirs_k[@]}") || tk=
	cmp_row "k $label cold single root ($root)" "$ok_k" "$tk" 1.0 "<= 1.0"
	if command -v strace >/dev/null 2>&1; then
		rm -rf "$WORK/$tag.k.cache"
		strace -f -qq -o "$WORK/$tag.k.trace" -e trace=openat "${ours_k[@]}" >/dev/null 2>&1
		note "$label (k): a cold run of ours opens $(grep -Ec '\.ko(\.(xz|zst|gz))?"' "$WORK/$tag.k.trace") module files, libkmod $(grep -qF libkmod.so "$WORK/$tag.k.trace" && echo yes || echo no) (strace, on the host)"
	fi
}

# --------------------------------------------------------------- main ------

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
HEADER=(
	"initrd-modset benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	"machine: $(nproc) CPUs, $mem, ${cpu:-unknown CPU}; host kernel $(uname -r)"
	"tools: $("$MODPROBE" --version | head -n1); timer: $TIMER$([ "$TIMER" = hyperfine ] && echo " ($(hyperfine --version))"); $([ -n "$VALGRIND" ] && valgrind --version || echo "no valgrind")"
	"under test: ${OURS[*]}$([ "$STANDIN" = 1 ] && echo "  ** STAND-IN: modprobe on both sides, figures do not measure initrd-modset **")"
	"repo: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo "no commit")"
	"runs: $BENCH_RUNS per short command (after 1 warm-up); modprobe loop of (b): $BENCH_LOOP_RUNS timed + 1 untimed"
	"cache: $BENCH_CACHE (ready in ${SETUP_SECS}s)"
)
TREE_SUMMARY=()
for d in "${TREE_LIST[@]}"; do
	[ "$BENCH_ROWS" = kmod34 ] || bench_tree "$d"
	case " $BENCH_KMOD34_TREES " in *" $(meta "$d" series) "*) bench_kmod34 "$d" ;; esac
done
[ -z "$K34_ROOT" ] || HEADER+=("kmod 34 root: $K34_VERSION (rows k; tests/trixie-root.sh)")

out=$WORK/report
{
	printf '%s\n' "${HEADER[@]}"
	printf 'tree %s\n' "${TREE_SUMMARY[@]}"
	echo
	{
		echo "comparison|ours min / median|theirs min / median|ratio ours/theirs|target|result"
		printf '%s\n' "${ROWS[@]}"
	} | awk -F'|' '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR }
		END { for (r = 1; r <= n; r++) { line = ""
			for (i = 1; i <= 6; i++) line = line sprintf("%-" w[i] "s", c[r, i]) (i < 6 ? "  " : "")
			sub(/ +$/, "", line); print line
			if (r == 1) { line = ""; for (i = 1; i <= 6; i++) { s = sprintf("%" w[i] "s", ""); gsub(/ /, "-", s); line = line s (i < 6 ? "  " : "") } print line } } }'
	echo
	echo "theirs = kmod modprobe -d SYSROOT -S KVER -C EMPTYDIR --show-depends (one process per root in b)."
	echo "ratio = ours median / theirs median."
	[ "$BENCH_ROWS" != all ] || {
		echo "d: callgrind instruction totals (theirs (b) not counted: one process per module)."
		echo "g: ours with --no-cache (cold module-facts cache, warm page cache); theirs repeated from a / b."
	}
	[ -z "$K34_ROOT" ] || {
		echo "k: the tree indexed by depmod 34 (modules.weakdep); ours --format list with a fresh --cache-dir each run vs the root's"
		echo "   modprobe -d SYSROOT -S KVER -C EMPTYDIR --show-depends; both run chrooted in the kmod 34 root, the timer too (no wrapper cost in the figures)."
	}
	[ -z "$DRACUT_INSTALL" ] || [ "$BENCH_ROWS" != all ] || {
		echo "e: ours --format dir --no-firmware (modules + trimmed indexes) vs $DRACUT_INSTALL -D DIR --kerneldir R --firmwaredirs EMPTYDIR --silent -m NAMES,"
		echo "   and vs cp --parents of our list; each run into an empty DIR. h: peak RSS of ours in e."
		echo "f: ours --format cpio --compress zstd --no-firmware (modules + trimmed indexes) vs dracut-install -m ROOTS, then find | sort | bsdcpio -o -H newc | zstd -q."
		echo "   dracut-install reads the host's modprobe.d (it has no -C); ours reads EMPTYDIR."
	}
	[ ${#NOTES[@]} -eq 0 ] || printf 'note: %s\n' "${NOTES[@]}"
} >"$out"
cat "$out"
stamp=$(date -u +%Y%m%d-%H%M%S)
cp "$out" "$BENCH_CACHE/results/$stamp.txt" && cp "$out" "$BENCH_CACHE/results/latest.txt"
log "report saved to $BENCH_CACHE/results/$stamp.txt"
if grep -qE '\|FAIL$' <(printf '%s\n' "${ROWS[@]}"); then exit 1; fi
exit 0
