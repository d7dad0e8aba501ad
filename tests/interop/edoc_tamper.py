#!/usr/bin/env python3
"""Changes an eDoc (ASiC-E) container as someone tampering with it would,
with Python's `zipfile` alone (no code shared with ackreg).

Usage: edoc_tamper.py IN OUT ACTION NAME [NEW]

ACTION is one of
- append NAME: appends the bytes "tampered" to the file NAME;
- remove NAME: removes the file NAME and its manifest entry;
- add NAME: adds a data file NAME (its content "added") listed in the
  manifest, before the manifest;
- rename NAME NEW: renames the file NAME to NEW, in the manifest too;
- meta NAME: adds the file META-INF/NAME (a small XML document), not in the
  manifest, as DigiDoc4 may add META-INF/ASiCArchiveManifest.xml.

Every other entry is written again with its own name, content and
compression, in the same order, `mimetype` first and stored: the result is
a container that a ZIP reader opens as well as the original.
"""
import re
import sys
import zipfile

MANIFEST = "META-INF/manifest.xml"


def manifest_entry(name):
    """A pattern for the manifest's file-entry of NAME, whatever its prefix."""
    return re.compile(r'<[^<>]*full-path="' + re.escape(name) + r'"[^<>]*/>\s*')


def edit_manifest(text, action, name, new):
    if action == "remove":
        return manifest_entry(name).sub("", text, count=1)
    if action == "rename":
        return text.replace('full-path="%s"' % name, 'full-path="%s"' % new, 1)
    if action == "add":
        closing = re.search(r"</[A-Za-z0-9_]*:?manifest>", text)
        prefix = closing.group(0)[2:-len("manifest>")]
        entry = '<%sfile-entry %sfull-path="%s" %smedia-type="application/octet-stream"/>\n' % (
            prefix, prefix, name, prefix)
        return text[:closing.start()] + entry + text[closing.start():]
    return text


def copy(info, name=None):
    """A ZipInfo like INFO (compression, time, attributes) under NAME."""
    out = zipfile.ZipInfo(name or info.filename, date_time=info.date_time)
    out.compress_type = info.compress_type
    out.external_attr = info.external_attr
    out.create_system = info.create_system
    return out


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    source, target, action, name = sys.argv[1:5]
    new = sys.argv[5] if len(sys.argv) == 6 else None
    if action not in ("append", "remove", "add", "rename", "meta"):
        sys.exit("unknown action " + action)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        names = [i.filename for i in zin.infolist()]
        if action in ("append", "remove", "rename") and name not in names:
            sys.exit("no file %s in %s" % (name, source))
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == MANIFEST:
                if action == "add":
                    zout.writestr(copy(info, name), b"added")
                data = edit_manifest(data.decode("utf-8"), action, name, new).encode("utf-8")
            if info.filename == name and action == "remove":
                continue
            if info.filename == name and action == "append":
                data += b"tampered"
            renamed = new if (info.filename == name and action == "rename") else None
            zout.writestr(copy(info, renamed), data)
        if action == "meta":
            meta = zipfile.ZipInfo("META-INF/" + name, date_time=(1980, 1, 1, 0, 0, 0))
            meta.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(meta, b'<?xml version="1.0"?><ASiCManifest/>\n')


if __name__ == "__main__":
    main()
