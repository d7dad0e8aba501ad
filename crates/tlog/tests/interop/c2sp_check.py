#!/usr/bin/env python3
"""An independent checker of C2SP signed notes, checkpoints and tlog proofs.

Written from the specifications alone (c2sp.org/signed-note,
c2sp.org/tlog-checkpoint, c2sp.org/tlog-proof, RFC 9162 section 2.1.3.2),
not from ackreg's Rust code, so that tests/interop_note.rs can check that
what ackreg writes is what another implementation accepts.

Usage:
    c2sp_check.py note VKEY FILE...
    c2sp_check.py checkpoint VKEY FILE...
    c2sp_check.py proof [--entry-in-extra [--zlib-extra]] VKEY FILE...

VKEY is a verifier key string NAME+KEYID+BASE64 (Ed25519, type 0x01).
`checkpoint` also requires the key name to be the checkpoint's origin.
`proof` checks the proof's checkpoint like `checkpoint`, and with
--entry-in-extra also the inclusion proof of the leaf
SHA-256(0x00 || extra) at the index against the checkpoint's root.
With --zlib-extra the extra data is instead a zlib stream (RFC 1950) of the
entry, as the application ackreg defines it: the leaf is the hash of the
inflated bytes (at most 81,920, nothing after the stream).

Every FILE must pass. Exit status: 0 accepted, 1 rejected (the reason on standard error),
2 usage error, 3 the `cryptography` package is missing.
"""

import base64
import binascii
import hashlib
import sys
import zlib

MAX_ENTRY = 80 * 1024

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    print("c2sp_check.py needs the Python package `cryptography` "
          "(pip install cryptography)", file=sys.stderr)
    sys.exit(3)

EM_DASH = "\u2014"
MAX_SIGNATURES = 100


class Reject(Exception):
    """The input is malformed or does not verify."""


def b64decode(text):
    """RFC 4648 section 4 base64, padded, in its one canonical spelling."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as e:
        raise Reject(f"bad base64 {text!r}: {e}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise Reject(f"non-canonical base64 {text!r}")
    return raw


def valid_name(name):
    """signed-note: key names are non-empty, no Unicode spaces, no '+'."""
    return name != "" and "+" not in name and not any(c.isspace() for c in name)


def ed25519_key_id(name, public_key):
    data = name.encode("utf-8") + b"\n" + b"\x01" + public_key
    return hashlib.sha256(data).digest()[:4]


def parse_vkey(vkey):
    """<name>+<hex key id>+<base64(type || public key)>."""
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise Reject("vkey: not three parts separated by '+'")
    name, id_hex, material_b64 = parts
    if not valid_name(name):
        raise Reject("vkey: bad key name")
    if len(id_hex) != 8 or any(c not in "0123456789abcdef" for c in id_hex):
        raise Reject("vkey: key id is not 8 lowercase hex digits")
    material = b64decode(material_b64)
    if len(material) != 33 or material[0] != 0x01:
        raise Reject("vkey: not an Ed25519 (type 0x01) key")
    public_key = material[1:]
    if ed25519_key_id(name, public_key) != bytes.fromhex(id_hex):
        raise Reject("vkey: key id does not match name and key")
    return name, bytes.fromhex(id_hex), Ed25519PublicKey.from_public_bytes(public_key)


def split_note(data):
    """Returns (text, [(name, key id bytes, signature bytes)])."""
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Reject("note: not UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise Reject("note: ASCII control character other than newline")
    # The text is separated from the signatures by the last empty line.
    cut = note.rfind("\n\n")
    if cut < 0:
        raise Reject("note: no blank line before the signatures")
    text, block = note[: cut + 1], note[cut + 2:]
    if block == "" or not block.endswith("\n"):
        raise Reject("note: signature lines missing or not newline-terminated")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise Reject("note: too many signatures")
    signatures = []
    for line in lines:
        if not line.startswith(EM_DASH + " "):
            raise Reject(f"note: signature line without em dash: {line!r}")
        fields = line[2:].split(" ")
        if len(fields) != 2 or not valid_name(fields[0]):
            raise Reject(f"note: malformed signature line {line!r}")
        raw = b64decode(fields[1])
        if len(raw) < 4:
            raise Reject("note: signature shorter than its key id")
        signatures.append((fields[0], raw[:4], raw[4:]))
    return text, signatures


def open_note(data, vkey):
    """Verifies the note's signature by the vkey; other keys are ignored."""
    name, key_id, public_key = parse_vkey(vkey)
    text, signatures = split_note(data)
    known = [sig for (n, i, sig) in signatures if n == name and i == key_id]
    if not known:
        raise Reject(f"note: not signed by {name}")
    for sig in known:
        try:
            public_key.verify(sig, text.encode("utf-8"))
        except InvalidSignature:
            raise Reject(f"note: signature by {name} does not verify") from None
    return name, text


def parse_checkpoint(text):
    """tlog-checkpoint: origin, size, root hash, then extension lines."""
    lines = text.split("\n")
    if lines[-1] != "" or len(lines) < 4:
        raise Reject("checkpoint: fewer than three lines")
    lines = lines[:-1]
    if any(line == "" for line in lines):
        raise Reject("checkpoint: empty line")
    origin, size_text, root_b64 = lines[0], lines[1], lines[2]
    if not size_text.isascii() or not size_text.isdigit():
        raise Reject("checkpoint: size is not decimal")
    if size_text != "0" and size_text.startswith("0"):
        raise Reject("checkpoint: size has a leading zero")
    size = int(size_text)
    if size >= 2**64:
        raise Reject("checkpoint: size too large")
    root = b64decode(root_b64)
    if len(root) != 32:
        raise Reject("checkpoint: root hash is not 32 bytes")
    return origin, size, root


def check_checkpoint(data, vkey):
    name, text = open_note(data, vkey)
    origin, size, root = parse_checkpoint(text)
    if origin != name:
        raise Reject(f"checkpoint: origin {origin!r} is not the key name {name!r}")
    return origin, size, root


def parse_proof(data):
    """tlog-proof@v1: header, [extra], index, hashes, blank line, checkpoint."""
    rest = data

    def next_line():
        nonlocal rest
        end = rest.find(b"\n")
        if end < 0:
            raise Reject("proof: ends early")
        line, rest = rest[:end], rest[end + 1:]
        return line.decode("ascii", errors="replace")

    if next_line() != "c2sp.org/tlog-proof@v1":
        raise Reject("proof: bad header")
    line = next_line()
    extra = None
    if line.startswith("extra "):
        extra = b64decode(line[len("extra "):])
        line = next_line()
    if not line.startswith("index "):
        raise Reject("proof: no index line")
    index_text = line[len("index "):]
    if not index_text.isascii() or not index_text.isdigit() or (
            index_text != "0" and index_text.startswith("0")):
        raise Reject("proof: bad index")
    hashes = []
    while True:
        line = next_line()
        if line == "":
            break
        digest = b64decode(line)
        if len(digest) != 32:
            raise Reject("proof: hash is not 32 bytes")
        hashes.append(digest)
    return extra, int(index_text), hashes, rest


def verify_inclusion(leaf_hash, index, size, proof, root):
    """RFC 9162, section 2.1.3.2, step by step."""
    if index >= size:
        raise Reject("inclusion: index not below tree size")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise Reject("inclusion: proof too long")
        if fn % 2 == 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        raise Reject("inclusion: proof does not lead to the root")


def inflate_entry(extra):
    """The entry a zlib stream holds, refusing a bomb or trailing bytes."""
    inflater = zlib.decompressobj()
    try:
        entry = inflater.decompress(extra, MAX_ENTRY + 1)
    except zlib.error as e:
        raise Reject(f"proof: extra is not a zlib stream: {e}")
    if len(entry) > MAX_ENTRY:
        raise Reject("proof: extra inflates beyond the largest entry")
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        raise Reject("proof: extra is not exactly one whole zlib stream")
    return entry


def check_file(command, vkey, path, entry_in_extra, zlib_extra=False):
    """Checks one file; returns what was accepted, or raises Reject."""
    with open(path, "rb") as f:
        data = f.read()
    if command == "note":
        name, _ = open_note(data, vkey)
        return f"note signed by {name}"
    if command == "checkpoint":
        origin, size, _ = check_checkpoint(data, vkey)
        return f"checkpoint {origin} size {size}"
    extra, index, hashes, checkpoint = parse_proof(data)
    origin, size, root = check_checkpoint(checkpoint, vkey)
    if entry_in_extra:
        if extra is None:
            raise Reject("proof: no extra data to take the entry from")
        entry = inflate_entry(extra) if zlib_extra else extra
        leaf = hashlib.sha256(b"\x00" + entry).digest()
        verify_inclusion(leaf, index, size, hashes, root)
    return f"proof of index {index} in {origin} size {size}"


def main(argv):
    args = argv[1:]
    entry_in_extra = "--entry-in-extra" in args
    if entry_in_extra:
        args.remove("--entry-in-extra")
    zlib_extra = "--zlib-extra" in args
    if zlib_extra:
        args.remove("--zlib-extra")
    commands = ("note", "checkpoint", "proof")
    if len(args) < 3 or args[0] not in commands or (entry_in_extra and args[0] != "proof") or (zlib_extra and not entry_in_extra):
        print(__doc__, file=sys.stderr)
        return 2
    command, vkey, paths = args[0], args[1], args[2:]
    for path in paths:
        try:
            print(f"OK {check_file(command, vkey, path, entry_in_extra, zlib_extra)}")
        except Reject as e:
            print(f"REJECT {path}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
