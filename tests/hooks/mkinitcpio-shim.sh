#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one mkinitcpio install hook's build() the way mkinitcpio does, without
# mkinitcpio (not packaged in Debian): the same variables, the configuration
# read the same way, and add_* / error / warning functions that record each
# call instead of building an image.
#
#   bash mkinitcpio-shim.sh HOOK KMODDIR CONFIG LOG
#
# HOOK     the install hook file (sourced; build() is run)
# KMODDIR  MODULEROOT/lib/modules/KERNELVERSION (mkinitcpio -r MODULEROOT -k KVER)
# CONFIG   mkinitcpio.conf; CONFIG.d/*.conf are appended to it in version
#          order, as mkinitcpio does with /etc/mkinitcpio.conf.d
# LOG      one line per call: "add_module NAME", "add_file SRC [DEST]",
#          "add_firmware FW", "error MSG", "warning MSG", "die" (after its error line)
#
# add_module checks, as mkinitcpio's does through modinfo, that NAME is a
# module file of the tree: a name that is not is an error ("module not found").
# Exit status: 0, or 1 when the build had errors (mkinitcpio's _builderrors:
# a failing add_* function, or a hook that counts its own error) or a hook
# called die (mkinitcpio's fatal error: it stops before writing the image).
# (no set -u: mkinitcpio runs hooks without it)
# shellcheck disable=SC2317 # functions called by the hook

hook=$1 kmoddir=${2%/} config=$3 log=$4
: > "$log"

# ---- what mkinitcpio sets before running hooks ------------------------------
KERNELVERSION=${kmoddir##*/}
_d_kmoduledir=$kmoddir
_optmoduleroot=${kmoddir%/lib/modules/*}
BUILDROOT=$(mktemp -d) || exit 1
trap 'rm -rf "$BUILDROOT" "${_f_config_tmp:-}"' EXIT
declare -i _builderrors=0
declare -A _addedmodules=()
_f_config=$config
if [[ -d $config.d ]]; then
    mapfile -t _confs < <(find "$config.d" -maxdepth 1 -name '*.conf' -printf '%f\n' | LC_ALL=C sort -V)
    if ((${#_confs[@]})); then
        _f_config_tmp=$(mktemp)
        cat -- "$config" > "$_f_config_tmp"
        for c in "${_confs[@]}"; do
            cat -- "$config.d/$c" >> "$_f_config_tmp"
        done
        _f_config=$_f_config_tmp
    fi
fi
# the configuration is sourced into mkinitcpio's global scope
# shellcheck disable=SC1090
. "$_f_config"

# ---- the functions hooks call ------------------------------------------------
_record() { printf '%s\n' "$*" >> "$log"; }

plain() {
    local m=$1
    shift
    # shellcheck disable=SC2059
    printf "    $m\n" "$@"
}
quiet() { :; }
msg() {
    local m=$1
    shift
    # shellcheck disable=SC2059
    printf "==> $m\n" "$@"
}
msg2() {
    local m=$1
    shift
    # shellcheck disable=SC2059
    printf "  -> $m\n" "$@"
}
warning() {
    local m=$1
    shift
    # shellcheck disable=SC2059
    printf "==> WARNING: $m\n" "$@" >&2
    # shellcheck disable=SC2059
    _record "warning $(printf "$m" "$@")"
}
error() {
    local m=$1
    shift
    # shellcheck disable=SC2059
    printf "==> ERROR: $m\n" "$@" >&2
    # shellcheck disable=SC2059
    _record "error $(printf "$m" "$@")"
    return 1
}

# mkinitcpio's die: error, then cleanup 1 (exit before any image is written)
die() {
    error "$@"
    _record "die"
    exit 1
}

add_module() {
    local target=${1%\?} f
    _record "add_module $1"
    target=${target%.ko*}
    target=${target//-/_}
    f=$(modinfo -b "$_optmoduleroot" -k "$KERNELVERSION" -F filename "$target" 2> /dev/null | head -n1)
    if [[ $f == /* ]]; then
        _addedmodules[$target]=1
        return 0
    fi
    [[ $1 == *\? ]] && return 0
    error "module not found: '%s'" "$target"
}
add_firmware() { _record "add_firmware $*"; }
add_file() {
    _record "add_file $*"
    [[ -f $1 ]] || error "file not found: '%s'" "$1"
}
add_dir() { _record "add_dir $*"; }
add_symlink() { _record "add_symlink $*"; }
add_binary() { _record "add_binary $*"; }
add_full_dir() { _record "add_full_dir $*"; }
map() {
    local r=0 a
    for a in "${@:2}"; do
        "$1" "$a" || r=1
    done
    return "$r"
}

# ---- run_build_hook, as mkinitcpio runs it -----------------------------------
# A failing add_* function counts as a build error (mkinitcpio's RETURN trap).
set -o functrace
trap '(( $? )) && [[ $FUNCNAME == add_* ]] && (( ++_builderrors ))' RETURN

run_build_hook() {
    # mkinitcpio hides these globals from build() (legacy hook variables)
    # shellcheck disable=SC2034
    local MODULES=() BINARIES=() FILES=() SCRIPT=''
    unset -f build
    # shellcheck disable=SC1090
    . "$1" || {
        error 'Failed to read %s' "$1"
        return 1
    }
    declare -f build > /dev/null || {
        error "Hook '%s' has no build function" "$1"
        return 1
    }
    msg2 "Running build hook: [%s]" "${1##*/}"
    build
    return 0
}

run_build_hook "$hook" || ((++_builderrors))
trap - RETURN
set +o functrace
if ((_builderrors)); then
    warning "errors were encountered during the build. The image may not be complete."
    exit 1
fi
exit 0
