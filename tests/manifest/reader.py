#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An independent reader of libliveupdate session manifests, written from
doc/manifest.md alone (it shares no code with the C library).

Usage: reader.py SESSION-NAME PIECE...

PIECE... are the files of the manifest's pieces 0, 1, ... in order. Prints
the manifest in the text form of liveupdate_session_print_manifest(3) for
an incoming session, or "error EBADMSG" and the reason (on stderr) when the
manifest cannot be read; a torn last record is said on stderr."""
import struct
import sys
import zlib

MAGIC = b"LU-MANIF"
KINDS = {1: "memfd", 2: "memory", 3: "other"}
MANIFEST_TOKEN = 0x4d414e4946455354
BACKINGS = {0: b"auto", 1: b"shmem", 2: b"thp", 3: b"hugetlb"}


class Unreadable(Exception):
    pass


def header_size_of(piece, number):
    """The header size of a valid piece header, else Unreadable."""
    if len(piece) < 32 or piece[:8] != MAGIC:
        raise Unreadable("piece %d: no magic" % number)
    major, minor, header_size = struct.unpack_from("<HHI", piece, 8)
    if header_size % 8 or header_size < 32 or header_size > len(piece):
        raise Unreadable("piece %d: bad header_size" % number)
    (header_crc,) = struct.unpack_from("<I", piece, header_size - 4)
    if zlib.crc32(piece[: header_size - 4]) != header_crc:
        raise Unreadable("piece %d: header checksum mismatch" % number)
    if major != 2:
        raise Unreadable("unknown format version %d.%d" % (major, minor))
    (index,) = struct.unpack_from("<I", piece, 16)
    if index != number:
        raise Unreadable("piece %d says it is piece %d" % (number, index))
    return header_size


def whole(piece, off, seq):
    """Whether the record at off is whole with sequence number seq."""
    if len(piece) - off < 16:
        return False
    crc, length, got_seq = struct.unpack_from("<III", piece, off)
    return (length >= 16 and length % 8 == 0 and off + length <= len(piece)
            and got_seq == seq and zlib.crc32(piece[off + 4: off + length]) == crc)


def records(pieces):
    """The whole records of the log, in order; (records, torn seq or None)."""
    out, seq = [], 1
    for number, piece in enumerate(pieces):
        off = header_size_of(piece, number)
        while len(piece) - off >= 16:
            if piece[off: off + 8] == bytes(8):
                break
            if not whole(piece, off, seq):
                last = number == len(pieces) - 1
                later = False
                for o in range(off, len(piece) - 15, 8):
                    (s,) = struct.unpack_from("<I", piece, o + 8)
                    if 0 < s - seq < len(piece) // 16 and whole(piece, o, s):
                        later = True
                if not last or later:
                    raise Unreadable("damaged record %d with records after it" % seq)
                return out, seq
            (length,) = struct.unpack_from("<I", piece, off + 4)
            out.append(piece[off: off + length])
            off += length
            seq += 1
    return out, None


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
    if len(rec) < 56:
        raise Unreadable("short FILE record")
    token, size, page_size, kind, backing, label_len, meta_count, label_offset = \
        struct.unpack_from("<QQQIIHHH", rec, 16)
    if label_offset % 8 or label_offset < 56 or label_offset + label_len > len(rec):
        raise Unreadable("FILE label outside its record")
    if label_len > 127 or meta_count > 32:
        raise Unreadable("FILE record out of limits")
    label = text(rec[label_offset: label_offset + label_len])
    meta = parse_pairs(rec, label_offset + label_len, meta_count, len(rec))
    return {"token": token, "size": size, "page_size": page_size, "kind": kind,
            "backing": backing, "label": label, "meta": meta}


def parse_session_meta(rec):
    if len(rec) < 20:
        raise Unreadable("short SESSION_META record")
    return parse_pairs(rec, 16, 1, len(rec))[0]


def read_manifest(pieces):
    if not 1 <= len(pieces) <= 64 or sum(map(len, pieces)) > 64 << 20:
        raise Unreadable("too many pieces or bytes")
    recs, torn = records(pieces)
    files, session_meta = [], {}
    for rec in recs:
        rtype, flags = struct.unpack_from("<HH", rec, 12)
        if rtype == 1:
            files.append(parse_file(rec))
        elif rtype == 2:
            key, value = parse_session_meta(rec)
            session_meta[key] = value  # dicts keep first-insertion order
        elif flags & 1:
            raise Unreadable("unknown must-understand record type %d" % rtype)
    tokens = [f["token"] for f in files]
    labels = [f["label"] for f in files if f["label"]]
    if len(set(tokens)) != len(tokens) or len(set(labels)) != len(labels) \
            or any(0 <= t - MANIFEST_TOKEN < 64 for t in tokens):
        raise Unreadable("duplicate token or label, or a manifest token")
    return len(recs), torn, files, session_meta


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
    name = sys.argv[1].encode()
    pieces = [open(path, "rb").read() for path in sys.argv[2:]]
    out = sys.stdout.buffer
    try:
        generation, torn, files, session_meta = read_manifest(pieces)
    except Unreadable as e:
        print("reader.py: %s" % e, file=sys.stderr)
        out.write(b"error EBADMSG\n")
        return
    if torn:
        print("reader.py: record %d is torn: the state before it" % torn,
              file=sys.stderr)
    out.write(b"session %s incoming, manifest generation %d, %d file%s recorded "
              b"(files preserved by token alone are not)" % (
                  quoted(name), generation, len(files),
                  b"" if len(files) == 1 else b"s"))
    if torn:
        out.write(b" (record %d incomplete, not read)" % torn)
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
