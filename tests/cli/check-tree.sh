# --check against the tree: a module of the image the tree does not have (a
# warning, an error with --strict), tree-level gaps (a softdep target that
# resolves to nothing: warning / --strict error), --exclude (an excluded hard dep
# is a warning), choosing the kernel among several (--kver, --root's basename),
# the usage errors of --check.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"
cd "$T"
m() { newc_entry "lib/modules/$1/kernel/$2" 100644 m; }

echo "== an image module unknown to the tree"
{ m 6.1.0-hard lib/chain1.ko.xz; m 6.1.0-hard extra/dkms-thing.ko; newc_trailer; } > unknown.img
chk unknown.img --root "$(tree hard)" | sed 1d
chk unknown.img --root "$(tree hard)" --strict | sed 1,2d

echo "== tree-level gaps: lostsoft's softdeps resolve to nothing"
{ m 6.1.0-soft drivers/fixture/lostsoft.ko; m 6.1.0-soft drivers/fixture/helper_a.ko.xz
  m 6.1.0-soft drivers/fixture/helper_base.ko; newc_trailer; } > lost.img
chk lost.img --root "$(tree soft)" -q | sed 1,2d
chk lost.img --root "$(tree soft)" -q --strict | sed 1,2d

echo "== --exclude chain2: chain3's hard dep cut, not required"
{ m 6.1.0-hard lib/chain3.ko; m 6.1.0-hard lib/chain1.ko.xz; newc_trailer; } > cut.img
chk cut.img --root "$(tree hard)" --exclude chain2 | sed 1,2d

echo "== modules of two kernels: --root's basename chooses, or --kver"
{ m 6.1.0-hard lib/chain1.ko.xz; m 6.1.0-soft drivers/fixture/helper_base.ko; newc_trailer; } > two.img
chk two.img --root "$(tree hard)" | sed 1d
chk two.img --root "$(tree soft)" --kver 6.1.0-soft | sed 1d
echo "-- --kver against a tree of another version: the names are compared"
chk two.img --root "$(tree hard)" --kver 6.1.0-soft | sed 1d

echo "== usage"
chk two.img --root "$(tree hard)" -f order
chk two.img --root "$(tree hard)" --why chain1
