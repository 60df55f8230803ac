# --check finds firmware where the kernel's loader looks (lib/firmware and
# usr/lib/firmware, each with updates/KVER, updates, KVER), as NAME, NAME.zst or
# NAME.xz, through symlinks (a file link, a "lib -> usr/lib" directory link); a
# glob firmware= name is satisfied by any match. A dangling link is missing.
# Missing firmware is a warning; --require-firmware and --strict make it an error.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"
root=$(tree host)
cd "$T"

# roots: netcard (firmware netcard/fw-*.bin and netcard/main.bin), and its phy
mods() {
	newc_entry usr 40755
	newc_entry usr/lib 40755
	newc_entry usr/lib/modules 40755
	newc_entry usr/lib/modules/6.1.0-host 40755
	newc_entry usr/lib/modules/6.1.0-host/netcard.ko.zst 100644 m
	newc_entry usr/lib/modules/6.1.0-host/phy-x.ko 100644 m
}
# case NAME ENTRY...: an image of the modules and the entries, checked
case_() {
	_name=$1
	shift
	{ mods; "$@"; newc_trailer; } > "$_name.img"
	printf '%-28s' "$_name:"
	"$MODSET" --check "$_name.img" --root "$root" --require-firmware > "$_name.out" 2>&1
	echo " exit $? $(grep -o '[a-z]*: netcard/[^:]*' "$_name.out" | tr '\n' ' ')"
}
both() { newc_entry "$1/netcard/fw-1.bin" 100644 x; newc_entry "$1/netcard/main.bin${2-}" 100644 x; }

case_ none true
case_ usr-lib both usr/lib/firmware
case_ lib both lib/firmware
case_ zst-suffix both lib/firmware .zst
case_ xz-suffix both lib/firmware .xz
case_ gz-suffix both lib/firmware .gz
case_ updates both usr/lib/firmware/updates
case_ updates-kver both lib/firmware/updates/6.1.0-host
case_ kver both lib/firmware/6.1.0-host
case_ other-kver both lib/firmware/6.2.0
case_ wrong-dir both usr/share/firmware
# entries listed through "lib -> usr/lib" (extracting them puts them in usr/lib)
lib_link() { newc_entry lib 120777 usr/lib; both lib/firmware; }
case_ through-lib-link lib_link
# a directory that is a link elsewhere, the glob too
dir_link() {
	newc_entry usr/lib/firmware 40755
	newc_entry usr/lib/firmware/netcard 120777 ../../../opt/netcard-fw
	newc_entry opt/netcard-fw/fw-7.bin 100644 x
	newc_entry opt/netcard-fw/main.bin 100644 x
}
case_ dir-link dir_link
file_link() {
	newc_entry usr/lib/firmware/netcard/fw-1.bin 100644 x
	newc_entry usr/lib/firmware/netcard/real.bin 100644 x
	newc_entry usr/lib/firmware/netcard/main.bin 120777 real.bin
}
case_ file-link file_link
abs_link() {
	newc_entry usr/lib/firmware/netcard/fw-1.bin 120777 /usr/lib/firmware/real.bin
	newc_entry usr/lib/firmware/real.bin 100644 x
	newc_entry usr/lib/firmware/netcard/main.bin 120777 ../../../../usr/lib/firmware/real.bin
}
case_ abs-and-dotdot-links abs_link
dangling() {
	newc_entry usr/lib/firmware/netcard/fw-1.bin 100644 x
	newc_entry usr/lib/firmware/netcard/main.bin 120777 gone.bin
}
case_ dangling-link dangling
loop() {
	newc_entry usr/lib/firmware/netcard/fw-1.bin 100644 x
	newc_entry usr/lib/firmware/netcard/main.bin 120777 main.bin
}
case_ link-loop loop
glob_no_match() { newc_entry usr/lib/firmware/netcard/fw1.bin 100644 x; newc_entry usr/lib/firmware/netcard/main.bin 100644 x; }
case_ glob-no-match glob_no_match
dir_named() { newc_entry usr/lib/firmware/netcard/fw-1.bin 40755; newc_entry usr/lib/firmware/netcard/main.bin 100644 x; }
case_ a-directory-is-no-file dir_named

echo "== the report: warning by default, error with --require-firmware / --strict"
sed 1d dangling-link.out | sed "s|$root|ROOT|"
chk dangling-link.img --root "$root" | sed 1,2d
chk dangling-link.img --root "$root" --strict | tail -n 2
