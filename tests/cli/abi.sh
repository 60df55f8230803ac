# The library and the tool link only libkmod symbols that libkmod 30 exports
# (LIBKMOD_5, LIBKMOD_6, LIBKMOD_22), so one binary runs on kmod 30 and on 33+;
# newer API (kmod_module_get_weakdeps) is reached through dlsym only.
# The shared library exports exactly the symbols of lib/libmodset.sym.
set -u
fail=0
for obj in "$BUILDDIR/libmodset.so" "$BUILDDIR/initrd-modset"; do
	bad=$(objdump -T "$obj" | awk '/kmod_/ && $0 !~ /\(LIBKMOD_(5|6|22)\)/')
	if [ -n "$bad" ]; then
		echo "$obj: libkmod symbols outside LIBKMOD_5/6/22:"
		echo "$bad"
		fail=1
	fi
done
if objdump -T "$BUILDDIR/libmodset.so" "$BUILDDIR/initrd-modset" | grep -q kmod_module_get_weakdeps; then
	echo "kmod_module_get_weakdeps must not be linked directly"
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
[ $fail = 0 ] && echo "abi: $(echo "$listed" | wc -l) exported functions, libkmod 30 symbol versions only"
exit $fail
