/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the examples' decoders of untrusted lines: the
 * agent's JSON requests (agent-proto.c) and the cache's commands
 * (cache-command.c). The first byte picks the decoder. A request that
 * decodes must encode back into a line that decodes to the same request.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache-command.h"
#include "agent/agent-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct agent_request *req)
{
	static const char *const names[] = { "SUBSCRIBE", "READY", "UPDATE", "CLAIM", "LIST" };
	static char line[4 * AGENT_LINE_MAX];
	struct agent_request again;
	const char *why;

	snprintf(line, sizeof(line), "{");
	agent_json_string(line, sizeof(line), "op", names[req->op]);
	if (req->id[0])
		agent_json_string(line, sizeof(line), "id", req->id);
	if (req->kernel[0])
		agent_json_string(line, sizeof(line), "kernel", req->kernel);
	if (req->initrd[0])
		agent_json_string(line, sizeof(line), "initrd", req->initrd);
	if (req->cmdline[0])
		agent_json_string(line, sizeof(line), "cmdline", req->cmdline);
	if (agent_json_end(line, sizeof(line)) < 0)
		abort();
	/* Escaping can make the line longer than a message may be. */
	if (strlen(line) - 1 > AGENT_LINE_MAX)
		return;
	if (agent_request_decode(line, strlen(line) - 1, &again, &why) < 0 ||
	    memcmp(req, &again, sizeof(again)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t region[64 * 256];
	static struct cache_store store;
	struct agent_request req;
	char reply[CACHE_LINE_MAX];
	const char *why;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		if (agent_request_decode((const char *)data + 1, size - 1, &req, &why) == 0)
			roundtrip(&req);
	} else {
		if (!store.hdr && cache_store_format(&store, region, sizeof(region)) < 0)
			abort();
		cache_command(&store, (const char *)data + 1, size - 1, reply, sizeof(reply));
		if (!memchr(reply, '\0', sizeof(reply)))
			abort();
	}
	return 0;
}

#ifdef EXAMPLES_FUZZ_SEEDS
/* Write seed inputs into the directory argv[1]. */
int main(int argc, char **argv)
{
	static const char *const seeds[] = {
		"\x01" "{\"op\":\"SUBSCRIBE\",\"id\":\"vm-1\"}",
		"\x01" "{\"op\":\"UPDATE\",\"kernel\":\"/boot/vmlinuz\",\"initrd\":\"/i\",\"cmdline\":\"a=\\\"b\\\" c\"}",
		"\x01" "{ \"op\" : \"LIST\" }",
		"\x01" "{\"op\":\"CLAIM\",\"id\":\"x\",\"ok\":true}",
		"\x02" "SET key some value",
		"\x02" "GET key",
		"\x02" "DEL key",
		"\x02" "COUNT",
	};
	for (size_t i = 0; argc == 2 && i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%zu", argv[1], i);
		f = fopen(path, "wb");
		if (!f)
			return 1;
		fwrite(seeds[i], 1, 1 + strlen(seeds[i] + 1), f);
		fclose(f);
	}
	return argc == 2 ? 0 : 2;
}
#endif
