#!/bin/sh
# Weak dependencies: modinfo weakdep= (read from the module files when the tree
# has no modules.weakdep, as with depmod 30), modprobe.d "weakdep MOD DEP...",
# modules.weakdep. modprobe never loads a weak dep: weak targets, and
# everything they pull in (hard and soft deps), are in the image with
# "load": false, absent from --format order and after the load order in
# --format list; --kmod-compat drops them.
. "$SRCDIR/tests/cli/lib.sh"
W=$(tree weak)

# wk_top -> (hard) wk_main: pre: wk_pre; weak wk_helper, crypto-wk (two
# providers) from modules.weakdep; weak wk-helper3 from weak.conf, which has a
# hard dep (wk_base) and post: wk_helper
echo "== wk_top: json"
"$MODSET" -r "$W" -f json wk_top | jflat
echo "== wk_top: order (loaded modules only)"
ms -r "$W" -f order wk_top
echo "== wk_top: list (load order, then the weak-only files by name)"
ms -r "$W" wk_top | rel "$W"
echo "== wk_top --kmod-compat: no weak deps"
ms -r "$W" --kmod-compat wk_top | rel "$W"

echo "== wk_file: modules.weakdep only (a line with three deps, one missing)"
ms -r "$W" wk_file | rel "$W"
echo "== wk_cfg: modprobe.d weakdep line (and a config softdep post: wk_pre)"
ms -r "$W" wk_cfg | rel "$W"
echo "== wk-dash: weak to a builtin, whose pre: softdep is weak-only too"
"$MODSET" -r "$W" -f json wk-dash | jflat | grep -e '^{ "name": "wk_builtin"' -e '^{ "name": "wk_pre"' -e '^"load_order"'

echo "== a root that is also another root's weak target is loaded"
"$MODSET" -r "$W" -f json wk_main wk-helper3 | jflat | grep -e '^{ "name": "wk_helper3"' -e '^{ "name": "wk_base"' -e '^"load_order"'

# Without modules.weakdep, weakdep= comes from each module's .modinfo:
# wk_modinfo_only has weakdep=wk_helper2 and weakdep=wk_missing; wk_file's
# deps existed only in modules.weakdep
W2=$(copytree weak)
rm "$W2/modules.weakdep"
echo "== no modules.weakdep: wk_modinfo_only from .modinfo, wk_file has none"
ms -r "$W2" wk_modinfo_only wk_file | rel "$W2"
"$MODSET" -q -r "$W2" -f json wk_main | jflat | grep -e '"load": false' -e '^"load_order"'
