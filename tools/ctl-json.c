/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-ctl status --json: the state for scripts. The schema, its
 * version and its rules for change are in doc/state-json.md: bump
 * SCHEMA_VERSION when a field changes meaning or goes away, not when one
 * is added.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"

#define SCHEMA_VERSION 1

static void str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch < 0x20 || ch >= 0x7f) /* bytes, not UTF-8: always valid JSON */
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void num(FILE *f, int64_t n)
{
	if (n < 0)
		fputs("null", f);
	else
		fprintf(f, "%" PRId64, n);
}

/* "source": ..., "missing": ... of a fact */
static void origin(FILE *f, const struct liveupdate_state *st, enum liveupdate_fact fact)
{
	fputs("\"source\": ", f);
	str(f, liveupdate_state_get_source(st, fact));
	fputs(", \"missing\": ", f);
	str(f, liveupdate_state_get_missing(st, fact));
}

static void str_fact(FILE *f, const struct liveupdate_state *st, const char *key,
		     enum liveupdate_fact fact, const char *value, const char *end)
{
	fprintf(f, "    \"%s\": {\"value\": ", key);
	str(f, value);
	fputs(", ", f);
	origin(f, st, fact);
	fprintf(f, "}%s\n", end);
}

static void num_fact(FILE *f, const struct liveupdate_state *st, const char *key,
		     enum liveupdate_fact fact, int64_t value)
{
	fprintf(f, "    \"%s\": {\"value\": ", key);
	num(f, value);
	fputs(", ", f);
	origin(f, st, fact);
	fputs("},\n", f);
}

static void kho(FILE *f, const struct liveupdate_state *st, const char *key,
		enum liveupdate_kho_side side, enum liveupdate_fact fact, const char *end)
{
	int n = liveupdate_state_kho_count(st, side);

	fprintf(f, "    \"%s\": {\"compatible\": ", key);
	str(f, liveupdate_state_kho_compatible(st, side));
	fputs(", ", f);
	origin(f, st, fact);
	fputs(", \"subtrees\": [", f);
	for (int i = 0; i < n; i++) {
		fputs(i ? ",\n      {\"name\": " : "\n      {\"name\": ", f);
		str(f, liveupdate_state_kho_name(st, side, (unsigned)i));
		fputs(", \"size\": ", f);
		num(f, liveupdate_state_kho_size(st, side, (unsigned)i));
		fputs(", \"format\": ", f);
		str(f, liveupdate_state_kho_format(st, side, (unsigned)i));
		fputs(", \"note\": ", f);
		str(f, liveupdate_state_kho_note(st, side, (unsigned)i));
		fputc('}', f);
	}
	fprintf(f, "%s]}%s\n", n > 0 ? "\n    " : "", end);
}

static const char *policy(int p)
{
	return p >= 0 ? liveupdate_thp_policy_name((enum liveupdate_thp_policy)p) : NULL;
}

static void memory(FILE *f, const struct liveupdate_state *st)
{
	struct liveupdate_hugetlb_pool pool = { .sz = sizeof(pool) };
	enum liveupdate_memory_backing backing;
	const char *why;
	uint64_t bytes;
	unsigned int i;
	int ret;

	fputs("    \"memory\": {\n  ", f);
	str_fact(f, st, "shmem_thp", LIVEUPDATE_FACT_SHMEM_THP,
		 policy(liveupdate_state_get_shmem_thp(st)), ",");
	fputs("  ", f);
	str_fact(f, st, "huge_tmpfs", LIVEUPDATE_FACT_HUGE_TMPFS,
		 policy(liveupdate_state_get_huge_tmpfs(st)), ",");
	fputs("      \"hugetlb\": {", f);
	origin(f, st, LIVEUPDATE_FACT_HUGETLB);
	fputs("},\n      \"hugetlb_pools\": [", f);
	for (i = 0; liveupdate_state_get_hugetlb_pool(st, i, &pool) == 0; i++)
		fprintf(f, "%s{\"page_size\": %" PRIu64 ", \"total\": %" PRIu64
			", \"free\": %" PRIu64 "}", i ? ", " : "", pool.page_size,
			pool.total, pool.free);
	fputs("],\n      \"probe\": {", f);
	origin(f, st, LIVEUPDATE_FACT_BACKINGS);
	fputs("},\n      \"backings\": [", f);
	for (i = 0; (ret = liveupdate_state_get_backing(st, i, &backing, &bytes, &why))
		    != -ENOENT; i++) {
		fputs(i ? ",\n        {\"backing\": " : "\n        {\"backing\": ", f);
		str(f, liveupdate_memory_backing_name(backing));
		fprintf(f, ", \"page_size\": %" PRIu64 ", \"preservable\": %s, \"why\": ",
			bytes, ret == 1 ? "true" : ret == 0 ? "false" : "null");
		str(f, why);
		fputc('}', f);
	}
	fprintf(f, "%s]\n    }\n", i ? "\n      " : "");
}

int ctl_status_json(const struct ctl *c, FILE *f)
{
	static const char *const boots[] = { "unknown", "cold", "live-update" };
	const struct liveupdate_state *st = c->state;
	enum liveupdate_avail a = liveupdate_state_get_avail(st);
	enum liveupdate_boot b = liveupdate_state_get_boot(st);
	int code = ctl_status_code(st), pid = liveupdate_state_get_holder_pid(st);

	fprintf(f, "{\n  \"schema\": \"liveupdate-state\",\n  \"version\": %d,\n",
		SCHEMA_VERSION);
	fputs("  \"library_version\": ", f);
	str(f, liveupdate_version());
	fputs(",\n  \"availability\": {\n", f);
	fprintf(f, "    \"possible\": %s,\n    \"simulated\": %s,\n    \"reason\": ",
		code == CTL_POSSIBLE ? "true" : "false",
		liveupdate_ctx_get_backend(c->ctx) == LIVEUPDATE_BACKEND_SIM
		? "true" : "false");
	str(f, liveupdate_avail_name(a));
	fputs(",\n    \"text\": ", f);
	str(f, liveupdate_state_get_avail_text(st));
	fputs(",\n    \"holder\": ", f);
	if (pid > 0) {
		fprintf(f, "{\"pid\": %d, \"command\": ", pid);
		str(f, liveupdate_state_get_holder_comm(st));
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(",\n    ", f);
	origin(f, st, LIVEUPDATE_FACT_AVAIL);
	fputs("\n  },\n  \"boot\": {\n    \"kind\": ", f);
	str(f, (unsigned)b < 3 ? boots[b] : "unknown");
	fputs(",\n    ", f);
	origin(f, st, LIVEUPDATE_FACT_BOOT);
	fputs(",\n", f);
	str_fact(f, st, "previous_release", LIVEUPDATE_FACT_PREVIOUS_RELEASE,
		 liveupdate_state_get_previous_release(st), ",");
	num_fact(f, st, "kexec_count", LIVEUPDATE_FACT_KEXEC_COUNT,
		 liveupdate_state_get_kexec_count(st));
	num_fact(f, st, "liveupdate_count", LIVEUPDATE_FACT_LIVEUPDATE_COUNT,
		 liveupdate_state_get_liveupdate_count(st));
	str_fact(f, st, "luo_abi", LIVEUPDATE_FACT_LUO_ABI,
		 liveupdate_state_get_luo_abi(st), "");
	fputs("  },\n  \"kho\": {\n", f);
	kho(f, st, "in", LIVEUPDATE_KHO_IN, LIVEUPDATE_FACT_KHO_IN, ",");
	kho(f, st, "out", LIVEUPDATE_KHO_OUT, LIVEUPDATE_FACT_KHO_OUT, "");
	fputs("  },\n  \"host\": {\n", f);
	str_fact(f, st, "kernel_release", LIVEUPDATE_FACT_KERNEL_RELEASE,
		 liveupdate_state_get_kernel_release(st), ",");
	memory(f, st);
	fputs("  }\n}\n", f);
	return code;
}
