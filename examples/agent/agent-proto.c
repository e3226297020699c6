/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agent-proto: see agent-proto.h. */
#include <string.h>

#include "agent-proto.h"

struct cursor {
	const char *p, *end;
	const char *why;
};

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static bool take(struct cursor *c, char ch)
{
	skip_space(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* A JSON string of printable ASCII with the escapes \" \\ \/ \n \t only,
 * into out (at most size - 1 bytes). */
static bool string(struct cursor *c, char *out, size_t size)
{
	size_t n = 0;

	if (!take(c, '"')) {
		c->why = "expected a string";
		return false;
	}
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;

		if (ch == '\\') {
			if (c->p == c->end)
				break;
			switch (*c->p++) {
			case '"': ch = '"'; break;
			case '\\': ch = '\\'; break;
			case '/': ch = '/'; break;
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			default:
				c->why = "unsupported escape (see doc/agent-protocol.md)";
				return false;
			}
		} else if (ch < 0x20 || ch > 0x7e) {
			c->why = "strings hold printable ASCII only";
			return false;
		}
		if (n + 1 >= size) {
			c->why = "string too long";
			return false;
		}
		out[n++] = ch;
	}
	if (c->p == c->end) {
		c->why = "unterminated string";
		return false;
	}
	c->p++;
	out[n] = '\0';
	return true;
}

static bool literal(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) >= n && !memcmp(c->p, word, n)) {
		c->p += n;
		return true;
	}
	return false;
}

int agent_json_decode(const char *line, size_t len, struct agent_member *m,
		      const char **why)
{
	struct cursor c = { line, line + len, NULL };
	int n = 0;

	if (len > AGENT_LINE_MAX) {
		*why = "message too long";
		return -1;
	}
	if (!take(&c, '{')) {
		*why = "expected a JSON object";
		return -1;
	}
	if (!take(&c, '}')) {
		do {
			if (n == AGENT_MEMBERS_MAX) {
				*why = "too many members";
				return -1;
			}
			if (!string(&c, m[n].key, sizeof(m[n].key))) {
				*why = c.why;
				return -1;
			}
			for (int i = 0; i < n; i++)
				if (!strcmp(m[i].key, m[n].key)) {
					*why = "duplicate member";
					return -1;
				}
			if (!take(&c, ':')) {
				*why = "expected ':'";
				return -1;
			}
			skip_space(&c);
			m[n].is_bool = true;
			if (literal(&c, "true")) {
				strcpy(m[n].value, "true");
			} else if (literal(&c, "false")) {
				strcpy(m[n].value, "false");
			} else {
				m[n].is_bool = false;
				if (!string(&c, m[n].value, sizeof(m[n].value))) {
					*why = c.why;
					return -1;
				}
			}
			n++;
		} while (take(&c, ','));
		if (!take(&c, '}')) {
			*why = "expected ',' or '}'";
			return -1;
		}
	}
	skip_space(&c);
	if (c.p != c.end) {
		*why = "text after the object";
		return -1;
	}
	return n;
}

bool agent_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > AGENT_ID_MAX || id[0] == '.')
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == n;
}

static const struct {
	const char *name;
	enum agent_op op;
	bool needs_id;
} ops[] = {
	{ "SUBSCRIBE", AGENT_OP_SUBSCRIBE, true }, { "READY", AGENT_OP_READY, true },
	{ "UPDATE", AGENT_OP_UPDATE, false }, { "CLAIM", AGENT_OP_CLAIM, true },
	{ "LIST", AGENT_OP_LIST, false },
};

/* Copy member @m into @out if it fits and is a string; else set *why. */
static bool field(const struct agent_member *m, char *out, size_t size, const char **why)
{
	if (m->is_bool || strlen(m->value) >= size) {
		*why = m->is_bool ? "expected a string value" : "value too long";
		return false;
	}
	strcpy(out, m->value);
	return true;
}

int agent_request_decode(const char *line, size_t len, struct agent_request *req,
			 const char **why)
{
	struct agent_member m[AGENT_MEMBERS_MAX];
	int n = agent_json_decode(line, len, m, why);
	const char *op = NULL;
	size_t k;

	if (n < 0)
		return -1;
	memset(req, 0, sizeof(*req));
	for (int i = 0; i < n; i++) {
		bool ok;

		if (!strcmp(m[i].key, "op"))
			ok = !m[i].is_bool && (op = m[i].value);
		else if (!strcmp(m[i].key, "id"))
			ok = field(&m[i], req->id, sizeof(req->id), why);
		else if (!strcmp(m[i].key, "kernel"))
			ok = field(&m[i], req->kernel, sizeof(req->kernel), why);
		else if (!strcmp(m[i].key, "initrd"))
			ok = field(&m[i], req->initrd, sizeof(req->initrd), why);
		else if (!strcmp(m[i].key, "cmdline"))
			ok = field(&m[i], req->cmdline, sizeof(req->cmdline), why);
		else {
			*why = "unknown member";
			return -1;
		}
		if (!ok) {
			if (!strcmp(m[i].key, "op"))
				*why = "expected a string value";
			return -1;
		}
	}
	for (k = 0; op && k < sizeof(ops) / sizeof(ops[0]); k++)
		if (!strcmp(op, ops[k].name))
			break;
	if (!op || k == sizeof(ops) / sizeof(ops[0])) {
		*why = "unknown or missing op";
		return -1;
	}
	req->op = ops[k].op;
	if (ops[k].needs_id ? !agent_id_valid(req->id) : req->id[0] != '\0') {
		*why = ops[k].needs_id ? "missing or invalid id" : "this op takes no id";
		return -1;
	}
	if (req->op != AGENT_OP_UPDATE && (req->kernel[0] || req->initrd[0] || req->cmdline[0])) {
		*why = "kernel, initrd and cmdline go with UPDATE only";
		return -1;
	}
	return 0;
}

static int append(char *buf, size_t size, const char *s, size_t n)
{
	size_t used = strnlen(buf, size);

	if (used + n + 1 > size)
		return -1;
	memcpy(buf + used, s, n);
	buf[used + n] = '\0';
	return 0;
}

static int member_start(char *buf, size_t size, const char *key)
{
	size_t used = strnlen(buf, size);

	if (used > 1 && append(buf, size, ",", 1) < 0)
		return -1;
	if (append(buf, size, "\"", 1) < 0 || append(buf, size, key, strlen(key)) < 0)
		return -1;
	return append(buf, size, "\":", 2);
}

int agent_json_string(char *buf, size_t size, const char *key, const char *value)
{
	if (member_start(buf, size, key) < 0 || append(buf, size, "\"", 1) < 0)
		return -1;
	for (const char *p = value; *p; p++) {
		char esc[2] = { '\\', *p };
		int r;

		if (*p == '"' || *p == '\\')
			r = append(buf, size, esc, 2);
		else if (*p == '\n')
			r = append(buf, size, "\\n", 2);
		else if (*p == '\t')
			r = append(buf, size, "\\t", 2);
		else if (*p < 0x20 || *p > 0x7e)
			r = append(buf, size, "?", 1);	/* keep the message printable */
		else
			r = append(buf, size, p, 1);
		if (r < 0)
			return -1;
	}
	return append(buf, size, "\"", 1);
}

int agent_json_bool(char *buf, size_t size, const char *key, bool value)
{
	if (member_start(buf, size, key) < 0)
		return -1;
	return append(buf, size, value ? "true" : "false", value ? 4 : 5);
}

int agent_json_end(char *buf, size_t size)
{
	return append(buf, size, "}\n", 2);
}
