#!/bin/sh
# make install puts each generator's hook where that generator looks, with the
# installed program's path written in (generators run hooks with a fixed
# PATH); the directories can be overridden (a /usr/local install still needs
# dracut's /usr/lib/dracut/modules.d); make uninstall removes the hooks.
. "$SRCDIR/tests/cli/lib.sh"

# hooks DEST: the installed hook files with their modes, and the program line
hooks() {
	(cd "$1" && find . -type f \( -path '*dracut*' -o -path '*initcpio*' -o -path '*initramfs-tools*' \) \
		-exec stat -c '%a %n' {} + | LC_ALL=C sort)
	for f in $(cd "$1" && find . -type f \( -path '*dracut*' -o -path '*initcpio*' -o -path '*initramfs-tools*' \) | LC_ALL=C sort); do
		echo "$f: $(grep -m1 -o 'INITRD_MODSET:-[^}]*' "$1/$f")"
		case $f in
		*initramfs-tools*) sh -n "$1/$f" && echo "  sh -n: ok" ;;
		*) bash -n "$1/$f" && echo "  bash -n: ok" ;;
		esac
	done
}

echo "== PREFIX=/usr"
# a -j of an outer make (make -j2 check) has no jobserver here
unset MAKEFLAGS MFLAGS MAKELEVEL
make -s -C "$SRCDIR" install B="$BUILDDIR" DESTDIR="$T/usr" PREFIX=/usr > /dev/null || exit 1
hooks "$T/usr"

echo "== PREFIX=/usr/local, hook directories of the distribution"
make -s -C "$SRCDIR" install B="$BUILDDIR" DESTDIR="$T/local" PREFIX=/usr/local \
	DRACUT_MODULES_DIR=/usr/lib/dracut/modules.d \
	MKINITCPIO_INSTALL_DIR=/etc/initcpio/install \
	INITRAMFS_TOOLS_HOOKS_DIR=/etc/initramfs-tools/hooks > /dev/null || exit 1
hooks "$T/local"

echo "== make uninstall"
make -s -C "$SRCDIR" uninstall B="$BUILDDIR" DESTDIR="$T/usr" PREFIX=/usr > /dev/null || exit 1
hooks "$T/usr"
echo "[$(find "$T/usr" -type f | wc -l | tr -d ' ') files left]"
