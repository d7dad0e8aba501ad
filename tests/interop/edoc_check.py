#!/usr/bin/env python3
"""Checks the structure of an eDoc (ASiC-E) container written by ackreg with
Python's own `zipfile` and `xml.etree`, which share no code with ackreg.

Usage: edoc_check.py CONTAINER EXPECTED.json

EXPECTED.json is a list of {"name", "mime", "sha256"} for the data files, in
their order. Checks (ETSI EN 319 162-1 and what DigiDoc4/libdigidocpp read):
- the ZIP is whole (every CRC matches);
- the first entry is `mimetype`, at offset 0, stored, without extra field in
  its local or central header, holding exactly application/vnd.etsi.asic-e+zip;
- the data files come next, deflated, with the expected content; no entry has
  an extra field, a comment, a data descriptor or another time than 1980-01-01;
- META-INF/manifest.xml is an OpenDocument manifest, version 1.2, whose first
  entry is "/" with the container's media type, and which lists exactly the
  data files with their media types, each once;
- the ZIP holds nothing else.
Exits 0 when all hold, 1 with the failed check on stderr otherwise.
"""
import hashlib
import json
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile

MIMETYPE = b"application/vnd.etsi.asic-e+zip"
NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


def fail(message):
    print(f"edoc_check: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def check_zip(raw, archive):
    check(archive.testzip() is None, "an entry's CRC does not match")
    infos = archive.infolist()
    first = infos[0]
    check(first.filename == "mimetype", f"the first entry is {first.filename!r}")
    check(first.header_offset == 0, "mimetype is not at offset 0")
    check(first.compress_type == zipfile.ZIP_STORED, "mimetype is compressed")
    check(first.extra == b"", "mimetype has an extra field in the central directory")
    # The local header's extra field length is at offset 28.
    (local_extra,) = struct.unpack_from("<H", raw, 28)
    check(local_extra == 0, "mimetype has an extra field in its local header")
    check(archive.read(first) == MIMETYPE, f"mimetype holds {archive.read(first)!r}")
    for info in infos:
        check(info.extra == b"" and info.comment == b"", f"{info.filename}: extra field or comment")
        check(info.flag_bits & 0x8 == 0, f"{info.filename}: data descriptor")
        check(info.date_time == (1980, 1, 1, 0, 0, 0), f"{info.filename}: time {info.date_time}")
    return infos


def check_data(archive, infos, expected):
    names = [info.filename for info in infos]
    wanted = ["mimetype"] + [e["name"] for e in expected] + ["META-INF/manifest.xml"]
    check(names == wanted, f"entries {names}, expected {wanted}")
    for info, e in zip(infos[1:], expected):
        check(info.compress_type == zipfile.ZIP_DEFLATED, f"{info.filename} is not deflated")
        digest = hashlib.sha256(archive.read(info)).hexdigest()
        check(digest == e["sha256"], f"{info.filename}: content differs")


def check_manifest(archive, expected):
    root = ET.fromstring(archive.read("META-INF/manifest.xml"))
    check(root.tag == f"{{{NS}}}manifest", f"manifest root is {root.tag}")
    check(root.get(f"{{{NS}}}version") == "1.2", "manifest version is not 1.2")
    entries = []
    for child in root:
        check(child.tag == f"{{{NS}}}file-entry", f"manifest child {child.tag}")
        entries.append((child.get(f"{{{NS}}}full-path"), child.get(f"{{{NS}}}media-type")))
    check(entries[:1] == [("/", MIMETYPE.decode())], f"manifest's first entry is {entries[:1]}")
    listed = entries[1:]
    check(len(set(p for p, _ in listed)) == len(listed), "manifest lists a file twice")
    wanted = [(e["name"], e["mime"]) for e in expected]
    check(sorted(listed) == sorted(wanted), f"manifest lists {listed}, expected {wanted}")


def main():
    if len(sys.argv) != 3:
        fail("usage: edoc_check.py CONTAINER EXPECTED.json")
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        expected = json.load(f)
    try:
        archive = zipfile.ZipFile(sys.argv[1])
    except zipfile.BadZipFile as e:
        fail(f"not a ZIP file: {e}")
    infos = check_zip(raw, archive)
    check_data(archive, infos, expected)
    check_manifest(archive, expected)
    print(f"edoc_check: ok, {len(expected)} data files")


if __name__ == "__main__":
    main()
