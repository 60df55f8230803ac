# libkmod is neither linked nor loaded: the library reads the tree itself (indexes,
# configuration, modules' .modinfo). Neither the tool nor libmodset.so needs
# libkmod.so.2 (DT_NEEDED), has an undefined libkmod symbol or even names
# libkmod.so.2 (nothing to dlopen()).
# The shared library exports exactly the symbols of lib/libmodset.sym.
# The decompressors (liblzma, libzstd, zlib) are loaded with dlopen on first use
# (lib/decompress.c): the library needs libc only at start-up and imports none
# of their symbols; the tool needs libzstd, for its own output compression only.
set -u
fail=0
needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
bad=$(needed "$BUILDDIR/libmodset.so" | grep -Ev '^lib(c|pthread|dl|m)\.so\.[0-9]+$|^lib[a-z]*san\.so\.[0-9]+$|^ld-linux')
if [ -n "$bad" ]; then
	echo "libmodset.so: unexpected DT_NEEDED: $bad"
	fail=1
fi
bad=$(needed "$BUILDDIR/initrd-modset" | grep -E '^lib(lzma|z)\.so')
if [ -n "$bad" ]; then
	echo "initrd-modset: unexpected DT_NEEDED: $bad"
	fail=1
fi
if nm -D --undefined-only "$BUILDDIR/libmodset.so" | grep -Eq ' (lzma_|ZSTD_|inflate|deflate)'; then
	echo "libmodset.so imports decompressor symbols (they must come through dlsym):"
	nm -D --undefined-only "$BUILDDIR/libmodset.so" | grep -E ' (lzma_|ZSTD_|inflate|deflate)'
	fail=1
fi
for obj in "$BUILDDIR/libmodset.so" "$BUILDDIR/initrd-modset"; do
	if objdump -p "$obj" | grep -q 'NEEDED.*libkmod'; then
		echo "$obj: links libkmod (DT_NEEDED)"
		fail=1
	fi
	bad=$(objdump -T "$obj" | awk '/\*UND\*/ && $NF ~ /^kmod_/')
	if [ -n "$bad" ]; then
		echo "$obj: undefined libkmod symbols:"
		echo "$bad"
		fail=1
	fi
	if grep -aq 'libkmod\.so' "$obj"; then
		echo "$obj: names libkmod.so (a dlopen() of it?)"
		fail=1
	fi
done

exported=$(objdump -T "$BUILDDIR/libmodset.so" | awk '$2 == "g" && $4 == ".text" {print $NF}' | sort)
listed=$(sed -n 's/^[[:space:]]*\(modset_[a-z_]*\);/\1/p' "$SRCDIR/lib/libmodset.sym" | sort)
if [ "$exported" != "$listed" ]; then
	echo "exported symbols differ from lib/libmodset.sym:"
	printf '%s\n' "$exported" > "$T/exported"
	printf '%s\n' "$listed" > "$T/listed"
	diff "$T/listed" "$T/exported"
	fail=1
fi
header=$(sed -n 's/^[a-z].*[ *]\(modset_[a-z_]*\)(.*/\1/p' "$SRCDIR/lib/libmodset.h" | sort)
if [ "$header" != "$listed" ]; then
	echo "lib/libmodset.h and lib/libmodset.sym declare different functions:"
	printf '%s\n' "$header" > "$T/header"
	diff "$T/listed" "$T/header"
	fail=1
fi
if [ $fail = 0 ]; then
	echo "abi: $(echo "$listed" | wc -l) exported functions; libkmod neither linked nor" \
		"loaded; no decompressor linked"
fi
exit $fail
