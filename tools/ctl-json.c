/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liveupdate-ctl status --json: the state for scripts. The schema, its
 * version and its rules for change are in doc/state-json.md: bump
 * SCHEMA_VERSION when a field changes meaning or goes away, not when one
 * is added.
 */
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
		a == LIVEUPDATE_AVAIL_SIMULATED ? "true" : "false");
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
	/* reserved for the memory queries; see doc/state-json.md */
	fputs("    \"memory\": null\n  }\n}\n", f);
	return code;
}
