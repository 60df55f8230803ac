# --check on images made by the real dracut (Debian's dracut-core; run as any
# user, no root needed) from the fixture trees, with modules left out on purpose
# (--omit-drivers): a hard dep, a softdep target, weak deps. dracut's own choices
# that vary between its versions (several softdep lines, weakdep support) are kept
# out of the roots, so every dracut gives the same report: check-dracut.golden.
# Judged by its exit status (no .expected, like hook-dracut.sh): skipped, passing,
# only when dracut is not installed (tools/install-deps.sh installs dracut-core on
# apt-get systems).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"
if ! command -v dracut > /dev/null 2>&1; then
	echo "SKIP: dracut is not installed"
	exit 77
fi
mkdir -p "$T/tmp"
exec 3>&1 > "$T/report" 2>&1

# mkd OUT FIXTURE COMPRESSION DRIVERS [OMIT]: dracut an image of DRIVERS
mkd() {
	_root=$(tree "$2")
	dracut -q --force --tmpdir "$T/tmp" --kver "$(basename "$_root")" --kmoddir "$_root" \
		--no-hostonly --no-early-microcode -m kernel-modules -d "$4" \
		${5:+--omit-drivers "$5"} --"$3" "$T/$1" > "$T/dracut.log" 2>&1 ||
		{ cat "$T/dracut.log"; echo "dracut failed"; }
}
# report IMAGE FIXTURE [ARGS]: the check, image path shortened
report() {
	_img=$1 _fx=$2
	shift 2
	chk "$T/$_img" --root "$(tree "$_fx")" "$@" | sed "s|^$T/||"
}

echo "== hard: complete (gzip)"
mkd hard.img hard gzip "fan_top use_all"
report hard.img hard
echo "== hard: chain3 left out"
mkd hard-3.img hard gzip "fan_top use_all" chain3
report hard-3.img hard
echo "== soft: helper-b without its post: helper_c (and so without helper_c's pre: helper-d)"
mkd soft.img soft zstd "helper-b" "helper_c"
report soft.img soft -q
echo "== weak: wk-dash without its weak dep wk-helper3 (nor wk_base, wk_helper), xz"
mkd weak.img weak xz "wk-dash" "wk-helper3 wk_base wk_helper"
report weak.img weak
echo "-- --require-weak"
report weak.img weak --require-weak | tail -n 2
echo "== an early microcode cpio before dracut's image (the kernel's layout)"
early_cpio > "$T/early.cpio"
cat "$T/early.cpio" "$T/hard-3.img" > "$T/early-hard-3.img"
report early-hard-3.img hard

exec 1>&3 2>&1
sed -e "s|$FIXTURES|@FIXTURES@|g" -e "s|$T|@T@|g" "$T/report" |
	diff -u "$SRCDIR/tests/cli/check-dracut.golden" -
