# make install into a DESTDIR gives a usable library: header, versioned .so, a
# pkg-config file, man pages; a program built against the installed copy with
# pkg-config runs and agrees with the tool.
set -u
. "$SRCDIR/tests/cli/lib.sh"
dest="$T/dest"
make -s -C "$SRCDIR" install B="$BUILDDIR" DESTDIR="$dest" PREFIX=/opt/modset >/dev/null || exit 1
cd "$dest" && find . \( -type f -o -type l \) | sort && cd - >/dev/null
# (not /usr: pkg-config drops -L for the system library directory)
export PKG_CONFIG_PATH="$dest/opt/modset/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
echo "pkg-config: $(pkg-config --modversion libmodset)"
cc -o "$T/closure" "$SRCDIR/examples/closure.c" $(pkg-config --cflags --libs libmodset) || exit 1
r=$(tree soft)
LD_LIBRARY_PATH="$dest/opt/modset/lib" "$T/closure" "$r" btrfs | rel "$r"
echo "tool:"
"$MODSET" -q --root "$r" --format order btrfs
