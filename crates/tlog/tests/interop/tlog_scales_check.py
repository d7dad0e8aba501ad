#!/usr/bin/env python3
"""Verifies a C2SP checkpoint with tlog-scales, a published implementation.

tlog-scales (PyPI, by Florian Larysch, the author of sigmon) parses signed
checkpoints and verifies Ed25519 (type 0x01) signatures and cosignatures
(type 0x04) with the standard key ids. tests/interop_note.rs uses it as a
second implementation, beside the spec-written c2sp_check.py.

Usage: tlog_scales_check.py VKEY FILE
Exit status: 0 verified, 1 refused, 2 usage error, 3 tlog-scales missing.
"""

import sys

try:
    from tlog_scales.signing import Vkey
    from tlog_scales.tlog import Checkpoint
except ImportError as e:
    print(f"tlog_scales_check.py needs tlog-scales (pip install tlog-scales): {e}",
          file=sys.stderr)
    sys.exit(3)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    vkey, path = argv[1], argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            checkpoint = Checkpoint.from_text(f.read())
        checkpoint.verify(Vkey.from_string(vkey))
    except Exception as e:  # tlog-scales signals every refusal by raising
        print(f"REJECT {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"OK checkpoint {checkpoint.origin} size {checkpoint.size}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
