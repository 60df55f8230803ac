# Helpers for CLI tests (sourced). $MODSET, $FIXTURES and $T come from run.sh.
set -u

# tree NAME: the module directory of fixture NAME
tree() {
	echo "$FIXTURES/$1/lib/modules/$(ls "$FIXTURES/$1/lib/modules")"
}

# ms ARGS...: run initrd-modset, print its output and "[exit N]"
ms() {
	"$MODSET" "$@" 2>&1
	echo "[exit $?]"
}

# msq ARGS...: like ms, stdout only, stderr dropped
msq() {
	"$MODSET" "$@" 2>/dev/null
	echo "[exit $?]"
}

# rel ROOTDIR: strip ROOTDIR/ from paths on stdin
rel() {
	sed "s|$1/||g"
}
