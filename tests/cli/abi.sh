# libkmod is not linked but loaded on first use (lib/kmod.c): neither the tool nor
# libmodset.so needs libkmod.so.2 (DT_NEEDED) or has an undefined libkmod symbol; every
# function lib/kmod.c looks up (its KMOD_SYM table) is in the system's libkmod with the
# version node the table names (LIBKMOD_5/6/22: what kmod 30 exports), except the
# optional ones (KMOD_SYM_OPTIONAL: newer libkmod), which may be missing; and the table
# and the sym_kmod_* pointers of lib/libmodset-private.h name the same functions.
# The shared library exports exactly the symbols of lib/libmodset.sym.
# The decompressors (liblzma, libzstd, zlib) are loaded with dlopen on first use
# too (lib/decompress.c): the library needs libc only at start-up and imports none
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
done

# The libkmod.so.2 dlopen() finds: ld.so's cache, else pkg-config's libdir.
libkmod=$( (/sbin/ldconfig -p || ldconfig -p) 2>/dev/null |
	awk '$1 == "libkmod.so.2" {print $NF; exit}')
[ -n "$libkmod" ] || libkmod="$(pkg-config --variable=libdir libkmod)/libkmod.so.2"
if [ ! -e "$libkmod" ]; then
	echo "cannot find the system's libkmod.so.2 ($libkmod)"
	exit 1
fi
# "name version" for every function libkmod exports
objdump -T "$libkmod" | awk '$2 == "g" && $4 == ".text" {print $NF, $(NF-1)}' |
	sed 's/[()]//g' | sort > "$T/libkmod-syms"

# "name version required|optional" from the table of lib/kmod.c
sed -n 's/^[[:space:]]*KMOD_SYM(\([a-z_0-9]*\), *\([A-Z_0-9]*\)),.*/\1 \2 required/p
	s/^[[:space:]]*KMOD_SYM_OPTIONAL(\([a-z_0-9]*\), *\([A-Z_0-9]*\)),.*/\1 \2 optional/p' \
	"$SRCDIR/lib/kmod.c" > "$T/table"
n_table=$(wc -l < "$T/table")
n_optional=$(grep -c ' optional$' "$T/table")
if [ "$n_table" -eq 0 ]; then
	echo "lib/kmod.c: no KMOD_SYM table found"
	fail=1
fi
missing_optional=""
while read -r name version kind; do
	case "$version" in
	LIBKMOD_5 | LIBKMOD_6 | LIBKMOD_22) ;;
	*)
		if [ "$kind" = required ]; then
			echo "lib/kmod.c: $name is required but $version is newer than kmod 30"
			fail=1
		fi
		;;
	esac
	have=$(awk -v n="$name" '$1 == n {print $2}' "$T/libkmod-syms")
	if [ -z "$have" ]; then
		if [ "$kind" = required ]; then
			echo "$libkmod: no $name"
			fail=1
		else
			missing_optional="$missing_optional $name"
		fi
	elif [ "$have" != "$version" ]; then
		echo "$libkmod: $name is $have, lib/kmod.c expects $version"
		fail=1
	fi
done < "$T/table"

declared=$(grep -o 'sym_kmod_[a-z_0-9]*;' "$SRCDIR/lib/libmodset-private.h" |
	sed 's/^sym_//; s/;$//' | sort)
tabled=$(cut -d' ' -f1 "$T/table" | sort)
if [ "$declared" != "$tabled" ]; then
	echo "lib/libmodset-private.h (sym_kmod_*) and lib/kmod.c (KMOD_SYM) differ:"
	printf '%s\n' "$declared" > "$T/declared"
	printf '%s\n' "$tabled" > "$T/tabled"
	diff "$T/tabled" "$T/declared"
	fail=1
fi

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
# The line does not depend on the system's libkmod (no .expected file: judged by
# the exit status); what is optional and missing is said on a second line.
if [ $fail = 0 ]; then
	echo "abi: $(echo "$listed" | wc -l) exported functions; libkmod not linked," \
		"$n_table functions loaded ($n_optional optional), kmod 30 versions for the rest;" \
		"no decompressor linked"
	[ -z "$missing_optional" ] || echo "abi: optional, not in $libkmod:$missing_optional"
fi
exit $fail
