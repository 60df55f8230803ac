/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --hostonly: roots taken from the running system (or from copies of its sysfs and
 * /proc/modules): the modalias of every device, the loaded modules, and for the
 * fw_devlink "supplier:*" links of a device, the supplier's modalias and the module
 * of its driver.
 */
#ifndef INITRD_MODSET_HOSTONLY_H
#define INITRD_MODSET_HOSTONLY_H

#include "libmodset.h"
#include "roots.h"

/*
 * Add the host's roots to @out, sorted (byte order) and without duplicates:
 *  - the content of every "modalias" file under @sysfs/devices (symbolic links are
 *    not followed, empty values skipped);
 *  - for every "supplier:*" link of a device there (fw_devlink), the modalias of the
 *    supplier device (the devlink's "supplier" link) and the module of its driver
 *    ("driver/module" link basename; a built-in driver has none);
 *  - the first word of every line of @proc_modules.
 * @sysfs: NULL means "/sys"; @proc_modules: NULL means "/proc/modules".
 * Errors (no @sysfs/devices, unreadable @proc_modules) are printed, naming the path.
 * Returns 0, -ENOENT, -EACCES..., -ENOMEM.
 */
int hostonly_collect(const char *sysfs, const char *proc_modules, struct roots *out);

/*
 * modset_resolve() on @roots followed by @host (NULL: none). Host roots name
 * whatever the host has, and most modaliases match no module: the ones that name
 * nothing (and are not also in @roots) are dropped, logged at LOG_INFO, and the set is
 * resolved again without them, so that they are neither missing items nor roots of
 * the manifest. @used (optional) gets the roots of the returned set, in order.
 * Returns what modset_resolve() returns.
 */
int hostonly_resolve(struct modset_ctx *ctx, const struct roots *roots,
		     const struct roots *host, unsigned int flags, struct modset_set **ret,
		     struct roots *used);

#endif
