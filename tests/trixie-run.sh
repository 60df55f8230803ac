#!/bin/sh
# trixie-run.sh ROOT [-b DIR]... [--] CMD [ARG]... - run CMD chrooted in ROOT (the
# Debian 13 root of tests/trixie-root.sh), in a private mount namespace where each
# DIR is bind-mounted at its own path: a fixture tree, a build directory or a
# scratch directory has the same absolute path inside and outside, so paths need no
# translation (`trixie-run.sh ROOT -b "$FIXTURES" modprobe -d "$FIXTURES/x" ...`).
# /proc, /sys and /dev are bound too (dracut and mkinitramfs want them). The mounts
# end with the command; the mount points stay behind in ROOT as empty directories.
# Exit status: CMD's; 2 when the namespace cannot be set up.
set -eu

[ $# -ge 2 ] || { echo "usage: trixie-run.sh ROOT [-b DIR]... [--] CMD [ARG]..." >&2; exit 2; }
root=$1
shift
binds=""
while [ $# -gt 0 ]; do
	case $1 in
	-b)
		d=$(cd "$2" && pwd -P) || exit 2
		binds="$binds $d"
		shift 2
		;;
	--)
		shift
		break
		;;
	*) break ;;
	esac
done

if [ -z "${TRIXIE_RUN_INNER:-}" ]; then
	TRIXIE_RUN_INNER=1 TRIXIE_RUN_BINDS=$binds exec unshare -m --propagation private \
		sh "$0" "$root" -- "$@"
fi

for d in /proc /sys /dev ${TRIXIE_RUN_BINDS:-}; do
	mkdir -p "$root$d"
	mount --rbind "$d" "$root$d"
done
unset TRIXIE_RUN_INNER TRIXIE_RUN_BINDS
exec chroot "$root" /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
