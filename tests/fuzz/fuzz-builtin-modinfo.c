/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * modules.builtin.modinfo: builtin_modinfo_parse() (config.c) on the input bytes,
 * then what the closure does with a builtin's records: each softdep= value through
 * softdep_parse_body(), each alias= value normalized and used as an fnmatch
 * pattern, the builtin found again by name.
 */
#include <fnmatch.h>
#include <limits.h>

#include "fuzz-common.h"
#include "libmodset-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct modset_config cfg = { 0 };
	volatile int sink = 0;
	int r;

	r = builtin_modinfo_parse(&cfg, (const char *)data, size);
	FUZZ_ASSERT(r == 0 || r == -ENOMEM);
	for (size_t i = 0; i < cfg.builtins.n; i++) {
		const struct builtin_info *b = cfg.builtins.v[i];

		FUZZ_ASSERT(b->name && b->name[0]);
		FUZZ_ASSERT(hmap_get(&cfg.builtin_by_name, b->name) == b);
		for (size_t j = 0; j < b->softdep.n; j++) {
			struct softdep_rule rule = { 0 };
			char *body = strdup(b->softdep.v[j]);

			FUZZ_ASSERT(body);
			r = softdep_parse_body(&rule, body);
			FUZZ_ASSERT(r == 0 || r == -ENOMEM);
			sink += (int)(rule.pre.n + rule.post.n + rule.untagged.n);
			softdep_rule_done(&rule);
			free(body);
		}
		for (size_t j = 0; j < b->alias.n; j++) {
			char alias[PATH_MAX];

			if (strlen(b->alias.v[j]) >= sizeof(alias))
				continue;
			strcpy(alias, b->alias.v[j]);
			normalize_inplace(alias, false);
			sink += fnmatch(alias, "pci:v00008086d000064A0sv00001028sd00000C52bc03sc00i00",
					0) == 0;
		}
	}
	(void)sink;
	config_done(&cfg);
	return 0;
}
