#!/usr/bin/env python3
"""Regenerates the bad log inputs of tests/bad (entries, checkpoints,
old checkpoints for --since, receipts with bad proofs) from the fixture log
tests/fixtures/log (made by tests/fixtures/make-log.sh). Run from anywhere:
`python3 tests/bad/generate_log.py`; needs the `cryptography` package.
Every file is deterministic. The cases, exit codes and messages are in
CASES.tsv, checked by tests/hardening.rs; the messages are in
docs/ERRORS.md.

- `log-entry-*.json`: one entry's bytes (no line feed). The test appends
  it to the fixture log's entries and signs a checkpoint over them with the
  issuer key, so that only the entry itself is wrong.
- `log-checkpoint-*`: replaces the fixture log's `checkpoint`.
- `log-since-*`: an auditor's old checkpoint (`--since`) for the fixture log.
- `receipt-proof-*.tlog-proof`: the fixture's receipt of entry 3 with its
  proof or index changed.

The issuer key is RFC 8032 section 7.1 test 1 and the other signer test 2:
public knowledge, test only."""
import base64, hashlib, json, os
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
ISSUER = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
ORIGIN = "example.invalid/fixture"


def raw_public(key):
    return key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64(b):
    return base64.b64encode(b).decode()


def write(name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def read_fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def note(text, name=ORIGIN, key=ISSUER):
    """A C2SP signed note of `text` by `key` under `name`."""
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw_public(key)).digest()[:4]
    sig = key.sign(text.encode())
    return f"{text}\n\u2014 {name} {b64(key_id + sig)}\n"


def checkpoint_text(size, root, origin=ORIGIN):
    return f"{origin}\n{size}\n{root}\n"


# ---- Entries --------------------------------------------------------------

LEAVE = '{"kind":"leave","id":"jberzins","date":"2018-06-01"}'
SMALL_ORDER = b64(bytes([1] + [0] * 31))  # the identity point
KEY = b64(raw_public(OTHER))
GOOD_ACK = json.loads(open(os.path.join(HERE, "good-ack.json"), encoding="utf-8").read())


def enrol(name="Anna Kalniņa", public_key=KEY, position=None):
    pos = "" if position is None else f',"position":"{position}"'
    return (f'{{"kind":"enrol","id":"akalnina","name":"{name}"{pos},'
            f'"public_key":"{public_key}","valid_from":"2018-06-01"}}')


def ack(payload):
    env = GOOD_ACK
    sig = env["signatures"][0]
    return ('{"kind":"ack","received":"2018-01-10","public_key":"'
            + b64(raw_public(ISSUER)) + '","envelope":{"payloadType":"'
            + env["payloadType"] + '","payload":"' + payload
            + '","signatures":[{"keyid":"' + sig["keyid"] + '","sig":"'
            + sig["sig"] + '"}]}}')


ENTRIES = {
    "good": LEAVE,  # the control: the harness's log with it verifies
    "not-canonical": LEAVE.replace(',"id"', ', "id"'),
    "fields-reordered": '{"kind":"leave","date":"2018-06-01","id":"jberzins"}',
    "unknown-kind": '{"kind":"promote","id":"jberzins","date":"2018-06-01"}',
    "kind-not-first": '{"id":"jberzins","kind":"leave","date":"2018-06-01"}',
    "unknown-field": LEAVE[:-1] + ',"reason":"pensija"}',
    "duplicate-field": '{"kind":"leave","id":"jberzins","id":"lozolina","date":"2018-06-01"}',
    "missing-field": '{"kind":"leave","id":"jberzins"}',
    "wrong-type": '{"kind":"leave","id":"jberzins","date":20180601}',
    "bad-date": LEAVE.replace("2018-06-01", "2018-02-30"),
    "not-utf8": LEAVE.encode().replace(b"jberzins", b"jb\xe9rzins"),
    "key-short": enrol(public_key=b64(raw_public(OTHER)[:31])),
    "key-unpadded": enrol(public_key=KEY.rstrip("=")),
    "key-small-order": enrol(public_key=SMALL_ORDER),
    "bidi-name": enrol(name="Anna \u202eKalniņa"),
    "not-nfc": enrol(name="Anna Kalnin\u0327a"),
    "revoke-keyid-uppercase": ('{"kind":"revoke","id":"jberzins","keyid":"'
                               + hashlib.sha256(raw_public(OTHER)).hexdigest().upper()
                               + '","date":"2018-06-01"}'),
    "version-no-deadline": ('{"kind":"version","label":"2","title":"Noteikumi","sha256":"'
                            + "ab" * 32 + '","effective":"2018-06-01","material":true,'
                            '"new_employee_days":14}'),
    "ack-payload-unpadded": ack(GOOD_ACK["payload"].rstrip("=")),
    "oversize": enrol(position="a" * (80 * 1024)),
}

for name, data in ENTRIES.items():
    write(f"log-entry-{name}.json", data)

# ---- Checkpoints ----------------------------------------------------------

good = read_fixture("log/checkpoint").decode()
text, sigline = good.split("\n\n")
_, size, root = text.split("\n")
sig_b64 = sigline.split(" ")[2].strip()
raw = bytearray(base64.b64decode(sig_b64))
raw[10] ^= 0x01
wrong_root = b64(hashlib.sha256(b"not the root").digest())

CHECKPOINTS = {
    "good": good,
    "bad-signature": good.replace(sig_b64, b64(bytes(raw))),
    "other-key": note(checkpoint_text(size, root), key=OTHER),
    "other-origin": note(checkpoint_text(size, root, "example.invalid/other"),
                         name="example.invalid/other"),
    "size-leading-zero": note(checkpoint_text("0" + size, root)),
    "size-not-decimal": note(checkpoint_text("0x" + size, root)),
    "size-too-large": note(checkpoint_text(int(size) + 1, root)),
    "root-unpadded": note(checkpoint_text(size, root.rstrip("="))),
    "root-31-bytes": note(checkpoint_text(size, b64(base64.b64decode(root)[:31]))),
    "other-root": note(checkpoint_text(size, wrong_root)),
    "no-blank-line": good.replace("\n\n", "\n"),
    "no-signature": text + "\n\n",
    "crlf": good.replace("\n", "\r\n"),
}
for name, data in CHECKPOINTS.items():
    write(f"log-checkpoint-{name}", data)

# ---- Old checkpoints for --since -------------------------------------------

old = read_fixture("log-checkpoint-3").decode()
old_size = old.split("\n")[1]
write("log-since-good", old)
write("log-since-fork", note(checkpoint_text(old_size, wrong_root)))
write("log-since-larger", note(checkpoint_text(int(size) + 4, wrong_root)))
write("log-since-unsigned", old.split("\n\n")[0] + "\n\n")

# ---- Receipts with a bad proof -----------------------------------------------

receipt = read_fixture("log-receipt-3.tlog-proof").decode()
lines = receipt.split("\n")
# lines: header, extra, index, proof hashes ..., "", checkpoint ...
first_hash = 3
blank = lines.index("")
hashes = lines[first_hash:blank]


def with_proof(new_hashes, index=None):
    out = lines[:first_hash] + new_hashes + lines[blank:]
    if index is not None:
        out[2] = f"index {index}"
    return "\n".join(out)


flipped = bytearray(base64.b64decode(hashes[0]))
flipped[0] ^= 0x80
RECEIPTS = {
    "extra-hash": with_proof(hashes + [hashes[0]]),
    "missing-hash": with_proof(hashes[:-1]),
    "flipped-hash": with_proof([b64(bytes(flipped))] + hashes[1:]),
    "hash-31-bytes": with_proof([b64(base64.b64decode(hashes[0])[:31])] + hashes[1:]),
    "hash-unpadded": with_proof([hashes[0].rstrip("=")] + hashes[1:]),
    "too-many-hashes": with_proof(hashes * 22),
    "index-beyond-size": with_proof(hashes, index=int(size)),
}
for name, data in RECEIPTS.items():
    write(f"receipt-proof-{name}.tlog-proof", data)

# ---- Administrators and their requests (log format 0.4) ---------------------
#
# Each file is several entries, one a line, appended after the fixture's six
# (so the first is entry 6). The administrator's key is the seed 0x42 * 32,
# test only.

ADMIN = Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)


def compact(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def admin_entry(date="2018-06-01", admin_id="ivarna"):
    return compact({"kind": "admin", "id": admin_id, "name": "Ilze Vārna",
                    "public_key": b64(raw_public(ADMIN)), "date": date})


def request_entry(entries, date="2018-06-01", admin_id="ivarna", origin=ORIGIN,
                  key=ADMIN, flip=False, payload_text=None):
    payload = payload_text or compact({
        "type": "https://ackreg.invalid/request/v1", "log": origin,
        "admin": admin_id, "date": date, "action": "test",
        "entries": [hashlib.sha256(e.encode()).hexdigest() for e in entries]})
    body = payload.encode()
    ptype = "application/vnd.ackreg.request+json"
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype.encode(), len(body), body)
    sig = bytearray(key.sign(pae))
    if flip:
        sig[5] ^= 0x01
    keyid = hashlib.sha256(raw_public(key)).hexdigest()
    return compact({"kind": "request", "admin": admin_id, "envelope": {
        "payloadType": ptype, "payload": b64(body),
        "signatures": [{"keyid": keyid, "sig": b64(bytes(sig))}]}})


UNIT = '{"kind":"unit","id":"kac","name":"KAC"}'
LATER_LEAVE = LEAVE.replace("2018-06-01", "2018-06-02")
DISMISS = '{"kind":"dismiss","id":"ivarna","date":"2018-05-01"}'
ACK = ack(GOOD_ACK["payload"])
NESTED = request_entry([UNIT])

REQUESTS = {
    "request-good": [admin_entry(), request_entry([LEAVE]), LEAVE],
    "request-bad-signature": [admin_entry(), request_entry([LEAVE], flip=True), LEAVE],
    "request-unknown-admin": [request_entry([LEAVE], admin_id="nobody"), LEAVE],
    "request-dismissed-admin": [admin_entry(date="2018-04-01"), DISMISS,
                                request_entry([LEAVE]), LEAVE],
    "request-before-admin": [admin_entry(), request_entry([LEAVE], date="2018-05-31"), LEAVE],
    "request-entries-swapped": [admin_entry(), request_entry([UNIT, LEAVE]), LEAVE, UNIT],
    "request-entries-missing": [admin_entry(), request_entry([UNIT, LEAVE]), UNIT],
    "request-entry-edited": [admin_entry(), request_entry([LEAVE]), LATER_LEAVE],
    "request-authorises-ack": [admin_entry(), request_entry([ACK]), ACK],
    "request-nested": [admin_entry(), request_entry([NESTED]), NESTED, UNIT],
    "request-other-origin": [admin_entry(),
                             request_entry([LEAVE], origin="example.invalid/other"), LEAVE],
    "request-payload-not-canonical": [admin_entry(), request_entry([LEAVE], payload_text=(
        '{"type": "https://ackreg.invalid/request/v1","log":"' + ORIGIN
        + '","admin":"ivarna","date":"2018-06-01","action":"test","entries":["'
        + hashlib.sha256(LEAVE.encode()).hexdigest() + '"]}')), LEAVE],
}
for name, lines in REQUESTS.items():
    write(f"log-entry-{name}.json", "\n".join(lines))
