#!/bin/sh
# Aliases that resolve to several modules. modules.alias gives every loadable
# provider (kmod loads them all, in index order); initrd-modset also adds the
# builtins whose modules.builtin.modinfo aliases match (they need no file, but
# the manifest names them), while --kmod-compat keeps libkmod's answer only.
. "$SRCDIR/tests/cli/lib.sh"
B=$(tree builtin)
S=$(tree soft)

echo "== crc32c (builtin tree): crc32c-intel, crc32c_vpmsum + builtin crc32c_generic"
"$MODSET" -r "$B" -f json crc32c | jflat
echo "== crc32c --kmod-compat: the two loadable providers only"
"$MODSET" -r "$B" -f json --kmod-compat crc32c | jflat | grep -e '^{' -e '^"load_order"'
echo "== crc32c list: builtins have no file"
ms -r "$B" crc32c | rel "$B"

echo "== crypto-crc32c (soft tree): two loadable providers, with their hard dep"
msq -r "$S" -f order crypto-crc32c

echo "== sha256 and crypto-sha256: alias of a builtin only -> nothing to load"
ms -r "$B" -f order sha256 crypto-sha256
"$MODSET" -r "$B" -f json sha256 | jflat | grep '^{ "name"'

echo "== softdep target that is an alias: nvme post: crypto-crc32c (all providers)"
"$MODSET" -r "$B" -f json nvme | jflat | grep -e '^{ "name": "crc32c' -e '^"load_order"'

# kmod looks a name up in modules.dep before any alias index: a word that names
# a loadable module is that module, even when it is also a builtin's alias
echo "== lz4 names a loadable module and is an alias of the builtin lz4_compress"
"$MODSET" -r "$B" -f json lz4 | jflat | grep '^{ "name"'
ms -r "$B" -f order --kmod-compat lz4
