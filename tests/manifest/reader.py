#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An independent reader of libliveupdate session manifests, written from
doc/manifest.md alone (it shares no code with the C library).

Usage: reader.py IMAGE SESSION-NAME

Prints the manifest in the text form of liveupdate_session_print_manifest(3)
for an incoming session, or "error EBADMSG" and the reason (on stderr) when
the manifest cannot be read."""
import struct
import sys
import zlib

MAGIC = b"LU-MANIF"
KINDS = {1: "memfd", 2: "memory", 3: "other"}
BACKINGS = {0: b"auto", 1: b"shmem", 2: b"thp", 3: b"hugetlb"}


class Unreadable(Exception):
    pass


def valid_copy(copy):
    """The copy's header fields if the copy is valid ("damaged" set when all
    but the records' checksum held), else None. Raises Unreadable for an
    intact copy of an unknown major version."""
    size = len(copy)
    if copy[:8] != MAGIC:
        return None
    major, minor, header_size = struct.unpack_from("<HHI", copy, 8)
    if header_size % 8 or header_size < 64 or header_size > size:
        return None
    (header_crc,) = struct.unpack_from("<I", copy, header_size - 4)
    if zlib.crc32(copy[: header_size - 4]) != header_crc:
        return None
    if major != 1:
        raise Unreadable("unknown format version %d.%d" % (major, minor))
    generation, copy_size, records_size, file_count, records_crc = \
        struct.unpack_from("<QQIII", copy, 16)
    if copy_size != size or generation == 0 or header_size + records_size > size:
        return None
    records = copy[header_size: header_size + records_size]
    return {"generation": generation, "records": records, "file_count": file_count,
            "damaged": zlib.crc32(records) != records_crc}


def text(raw):
    if b"\0" in raw:
        raise Unreadable("NUL byte in a text field")
    return raw


def parse_pairs(rec, off, count, end):
    pairs = []
    for _ in range(count):
        if off + 4 > end:
            raise Unreadable("metadata pair overruns its record")
        key_len, value_len = struct.unpack_from("<HH", rec, off)
        off += 4
        if off + key_len + value_len > end:
            raise Unreadable("metadata pair overruns its record")
        if not 1 <= key_len <= 63 or value_len > 1023:
            raise Unreadable("metadata pair out of limits")
        key = text(rec[off: off + key_len])
        value = text(rec[off + key_len: off + key_len + value_len])
        if any(k == key for k, _ in pairs):
            raise Unreadable("metadata key twice in a record")
        pairs.append((key, value))
        off += key_len + value_len
    return pairs


def parse_file(rec):
    if len(rec) < 48:
        raise Unreadable("short FILE record")
    token, size, page_size, kind, backing, label_len, meta_count, label_offset = \
        struct.unpack_from("<QQQIIHHH", rec, 8)
    if label_offset % 8 or label_offset < 48 or label_offset + label_len > len(rec):
        raise Unreadable("FILE label outside its record")
    if label_len > 127 or meta_count > 32:
        raise Unreadable("FILE record out of limits")
    label = text(rec[label_offset: label_offset + label_len])
    meta = parse_pairs(rec, label_offset + label_len, meta_count, len(rec))
    return {"token": token, "size": size, "page_size": page_size, "kind": kind,
            "backing": backing, "label": label, "meta": meta}


def parse_session_meta(rec):
    if len(rec) < 12:
        raise Unreadable("short SESSION_META record")
    return parse_pairs(rec, 8, 1, len(rec))[0]


def read_manifest(image):
    if len(image) % 2:
        raise Unreadable("odd file size")
    half = len(image) // 2
    copies = [c for c in (valid_copy(image[:half]), valid_copy(image[half:])) if c]
    valid = [c for c in copies if not c["damaged"]]
    if not valid:
        raise Unreadable("no valid copy")
    if len(valid) == 2 and valid[0]["generation"] == valid[1]["generation"]:
        raise Unreadable("two copies of one generation")
    newest = max(valid, key=lambda c: c["generation"])
    passed_over = max([c["generation"] for c in copies
                       if c["damaged"] and c["generation"] > newest["generation"]],
                      default=0)

    files, session_meta = [], {}
    records, off = newest["records"], 0
    while off < len(records):
        if off + 8 > len(records):
            raise Unreadable("record header overruns")
        rtype, flags, length = struct.unpack_from("<HHI", records, off)
        if length < 8 or length % 8 or off + length > len(records):
            raise Unreadable("bad record length")
        rec = records[off: off + length]
        if rtype == 1:
            files.append(parse_file(rec))
        elif rtype == 2:
            key, value = parse_session_meta(rec)
            session_meta[key] = value  # dicts keep first-insertion order
        elif flags & 1:
            raise Unreadable("unknown must-understand record type %d" % rtype)
        off += length
    if len(files) != newest["file_count"]:
        raise Unreadable("file_count does not match the records")
    tokens = [f["token"] for f in files]
    labels = [f["label"] for f in files if f["label"]]
    if len(set(tokens)) != len(tokens) or len(set(labels)) != len(labels) \
            or 0x4d414e4946455354 in tokens:
        raise Unreadable("duplicate token or label, or the manifest's own token")
    return newest["generation"], passed_over, files, session_meta


def printable_utf8(raw, i):
    """Bytes of the printable UTF-8 character at raw[i], or 0."""
    for n in (1, 2, 3, 4):
        try:
            ch = raw[i:i + n].decode("utf-8")
        except UnicodeDecodeError:
            continue
        cp = ord(ch)
        return 0 if cp < 0x20 or 0x7F <= cp < 0xA0 else n
    return 0


def quoted(raw):
    """One rule: printable UTF-8 as is, but " and \\ escaped; every other
    byte as \\xHH."""
    out, i = bytearray(b'"'), 0
    while i < len(raw):
        n = printable_utf8(raw, i)
        if raw[i] in b'"\\':
            out += b"\\" + raw[i:i + 1]
        elif n:
            out += raw[i:i + n]
        else:
            out += b"\\x%02x" % raw[i]
        i += n or 1
    return bytes(out + b'"')


def meta_text(pairs):
    return b"".join(b" " + quoted(k) + b"=" + quoted(v) for k, v in pairs)


def main():
    image = open(sys.argv[1], "rb").read()
    name = sys.argv[2].encode()
    out = sys.stdout.buffer
    try:
        generation, passed_over, files, session_meta = read_manifest(image)
    except Unreadable as e:
        print("reader.py: %s" % e, file=sys.stderr)
        out.write(b"error EBADMSG\n")
        return
    out.write(b"session %s incoming, manifest generation %d, %d file%s" % (
        quoted(name), generation, len(files), b"" if len(files) == 1 else b"s"))
    if passed_over:
        out.write(b" (generation %d damaged, not read)" % passed_over)
    out.write(b"\n")
    if session_meta:
        out.write(b"meta" + meta_text(session_meta.items()) + b"\n")
    for f in files:
        line = b"file token=%d label=%s kind=%s size=%d" % (
            f["token"], quoted(f["label"]), KINDS.get(f["kind"], "other").encode(),
            f["size"])
        if f["kind"] == 2:
            backing = BACKINGS.get(f["backing"], b"%d" % f["backing"])
            line += b" backing=%s page-size=%d" % (backing, f["page_size"])
        out.write(line + meta_text(f["meta"]) + b"\n")


if __name__ == "__main__":
    main()
