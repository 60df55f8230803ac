#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dracut module "initrd-modset": puts into the image the closed set of kernel
# modules that initrd-modset(1) computes for the drivers dracut is asked for:
# hard, soft and weak dependencies, and the softdeps of built-in modules
# (a built-in ext4 with "softdep pre: crc32c" brings the crc32c modules).
#
# Roots (all joined, for the kernel being built, $srcmods, which follows
# --kmoddir / drivers_dir and --sysroot):
#   drivers (-d), add_drivers (--add-drivers), force_drivers (--force-drivers),
#   filesystems (--filesystems), and, from dracut.conf.d:
#       initrd_modset_roots+=" xe =drivers/nvme crypto-crc32c "
# Names, aliases, module paths and =DIR, as initrd-modset takes them.
# Other settings (dracut.conf.d):
#   initrd_modset_args+=" --no-weak "     extra initrd-modset options
#   initrd_modset_bin=/path/initrd-modset  the program (also $INITRD_MODSET)
#
# The closure is installed with dracut's own instmods, like add_drivers:
# dracut-install copies each module file to /lib/modules/$kernel/..., adds its
# firmware from fw_dir, honours omit_drivers, and dracut's depmod runs over the
# whole image at the end. As for add_drivers, hostonly does not filter the
# closure: weak dependencies are by definition not loaded on the host.
# When initrd-modset fails, or a module of the closure cannot be installed,
# dracut stops (dfatal): no image without the closure. Without the program the
# module is left out, as dracut does with any module whose tools are missing,
# unless initrd_modset_roots is set: then the build stops too.

# The program; "make install" writes its installed path here (dracut runs
# modules with PATH=/sbin:/bin:/usr/sbin:/usr/bin, which may not hold it).
_initrd_modset_bin() {
    local b=${initrd_modset_bin:-${INITRD_MODSET:-@BINDIR@/initrd-modset}}
    # not installed by "make install" (still the placeholder): look in PATH
    [[ $b == @* ]] && b=$(type -P initrd-modset)
    [[ -n $b && -x $b ]] && printf '%s\n' "$b"
}

# called by dracut
check() {
    # The program runs on the build host even with --sysroot, so no
    # require_binaries (which would look below the sysroot).
    _initrd_modset_bin > /dev/null && return 0
    # Roots configured for it: be included anyway, so that installkernel
    # stops the build rather than dracut leaving the module out quietly.
    # shellcheck disable=SC2154
    [[ -n ${initrd_modset_roots// /} ]] && return 0
    dinfo "dracut module 'initrd-modset' will not be installed, because command 'initrd-modset' could not be found!"
    return 1
}

# called by dracut
depends() {
    return 0
}

# omit_drivers, as dracut passes it to dracut-install ("^a$|^b$"), as
# initrd-modset --exclude globs, so that nothing is reached through an omitted
# module either; a regex that has no glob equivalent is left to dracut-install.
_initrd_modset_excludes() {
    local re w
    local -a words
    # shellcheck disable=SC2154
    IFS='|' read -r -a words <<< "$omit_drivers"
    for re in "${words[@]}"; do
        w=${re#^}
        w=${w%\$}
        w=${w//.\*/\*}
        [[ $w =~ ^[A-Za-z0-9_*-]+$ ]] && printf -- '--exclude\n%s\n' "$w"
    done
}

# called by dracut
installkernel() {
    local bin rc
    local -a roots args excl paths

    # words, never globs
    # shellcheck disable=SC2154
    read -r -a roots <<< "$drivers $add_drivers $force_drivers $filesystems $initrd_modset_roots"
    if ((${#roots[@]} == 0)); then
        dinfo "initrd-modset: no roots (drivers, add_drivers, force_drivers, filesystems, initrd_modset_roots): nothing to add"
        return 0
    fi
    if ! bin=$(_initrd_modset_bin); then
        dfatal "initrd-modset: program not found (${initrd_modset_bin:-${INITRD_MODSET:-initrd-modset}}); set initrd_modset_bin"
        return 1
    fi
    # shellcheck disable=SC2154
    read -r -a args <<< "$initrd_modset_args"
    mapfile -t excl < <(_initrd_modset_excludes)

    # srcmods: dracut's module tree, --kmoddir (drivers_dir) and --sysroot included
    # shellcheck disable=SC2154
    local -a cmd=("$bin" --root "${srcmods%/}" --format list "${args[@]}" "${excl[@]}" -- "${roots[@]}")
    dinfo "initrd-modset: ${cmd[*]}"
    local out
    out=$("${cmd[@]}")
    rc=$?
    if ((rc != 0)); then
        dfatal "initrd-modset failed (exit status $rc) for ${srcmods%/}: the image would lack the module closure of: ${roots[*]}"
        return 1
    fi
    [[ -n $out ]] || return 0
    mapfile -t paths <<< "$out"
    dinfo "initrd-modset: installing ${#paths[@]} modules"
    # -c: a module of the closure that cannot be installed is an error
    if ! hostonly='' instmods -c "${paths[@]}"; then
        dfatal "initrd-modset: installing the module closure failed"
        return 1
    fi
    return 0
}
