#!/bin/sh
# modprobe.d discovery. Default: SYSROOT/{etc,run,usr/local/lib,usr/lib,lib}/
# modprobe.d with SYSROOT inferred from the module directory (what precedes
# [/usr]/lib/modules/KVER); a basename in an earlier directory hides the same
# basename later; files are read in basename order across directories, the
# tree's modules.softdep joining that order; only *.conf, no hidden files, no
# directories. -C FILE|DIR (repeatable, same shadowing) replaces the defaults;
# --no-config reads none (modules.softdep still counts); --sysroot moves them.
. "$SRCDIR/tests/cli/lib.sh"
C=$(tree confdirs)
R=$FIXTURES/confdirs

# Defaults. target_a: etc/10-a.conf (post: from_etc) hides usr/lib/10-a.conf;
# modules.softdep (pre: modinfo_pre); usr/lib/x-late.conf (pre: hidden_dep).
# target_b: lib/05-b.conf (pre: from_lib), run/20-b.conf (pre: from_run);
# target_c: usr/local/lib/30-c.conf, usr/lib/zz-c.conf.
for m in target_a target_b target_c; do
	echo "== $m (default directories)"
	ms -r "$C" -f order "$m"
done

# Copy without the kmod-30-only *.alias file, plus more files that must not
# be read: a directory named *.conf, a *.conf~ backup
C2=$(copytree confdirs)
S2=$T/confdirs
rm "$S2/lib/modprobe.d/00-old.alias"
mkdir "$S2/etc/modprobe.d/sub.conf"
echo "softdep target_d pre: hidden_dep" > "$S2/etc/modprobe.d/sub.conf/x.conf"
echo "softdep target_d pre: hidden_dep" > "$S2/etc/modprobe.d/40-d.conf~"
echo "== target_d: .hidden.conf, target.conf.disabled, sub.conf/, 40-d.conf~ not read"
ms -r "$C2" -f order target_d

# Merged /usr: SYSROOT/usr/lib/modules/KVER -> the sysroot is SYSROOT
mkdir -p "$T/merged/usr/lib/modules"
cp -a "$R/lib/modules/6.1.0-confdirs" "$T/merged/usr/lib/modules/"
cp -a "$R/etc" "$T/merged/"
cp -a "$R/usr" "$T/merged/"
echo "== usr/lib/modules/KVER: sysroot without /usr (etc/10-a.conf still hides usr/lib/10-a.conf)"
ms -r "$T/merged/usr/lib/modules/6.1.0-confdirs" -f order target_a target_b

echo "== --no-config: modules.softdep only"
ms -r "$C" -f order --no-config target_a target_b
echo "== -C DIR replaces the defaults (usr/lib/modprobe.d alone: its 10-a.conf counts)"
ms -r "$C" -f order -C "$R/usr/lib/modprobe.d" target_a target_b
echo "== -C FILE -C DIR: the earlier 10-a.conf hides the later one"
ms -r "$C" -f order -C "$R/usr/lib/modprobe.d/10-a.conf" -C "$R/etc/modprobe.d" target_a target_b
echo "== -C a missing path: a warning, the rest is read"
ms -r "$C" -f order -C "$T/nonexistent.conf" -C "$R/run/modprobe.d" target_b
mkdir -p "$T/alt/etc/modprobe.d"
echo "softdep target_d post: from_etc" > "$T/alt/etc/modprobe.d/d.conf"
echo "== --sysroot: the default directories under another root (only alt/etc/modprobe.d/d.conf)"
ms -r "$C" -f order --sysroot "$T/alt" target_d target_a
ms -r "$C" -f order --sysroot "$T/nonexistent" target_a
echo "== --kmod-compat: first line in that order (etc/10-a.conf for target_a)"
ms -r "$C" -f order --kmod-compat target_a target_b target_c
