#!/usr/bin/env python3
"""Regenerates the bad-input corpus of tests/bad (run from anywhere:
`python3 tests/bad/generate.py`; needs the `cryptography` package and
`openssl`). Every file is deterministic except the RSA and Ed448 keys.
The cases and their expected exit codes and messages are in CASES.tsv,
checked by tests/hardening.rs (`bad_inputs_give_documented_errors`).

All keys here are TEST-ONLY: the signing key is the secret key of RFC 8032
section 7.1, test 1, which is public knowledge."""
import base64, hashlib, json, os, subprocess
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
KEY = Ed25519PrivateKey.from_private_bytes(SEED)
PUB = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
KEYID = hashlib.sha256(PUB).hexdigest()
DOC = b"ackreg worked example document"
DOC_SHA = hashlib.sha256(DOC).hexdigest()
ACK_TYPE = "application/vnd.ackreg.acknowledgement+json"
REG_TYPE = "application/vnd.ackreg.register+json"
STATEMENT = "Esmu iepazinies(-usies) ar noteikumiem un apņemos tos ievērot."
NAME = "Jānis Bērziņš"


def b64(b):
    return base64.b64encode(b).decode()


def pae(t, body):
    t = t.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def write(name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def envelope(payload, ptype=ACK_TYPE, sig=None, keyid=KEYID, payload_b64=None):
    if sig is None:
        sig = KEY.sign(pae(ptype, payload))
    return {
        "payloadType": ptype,
        "payload": payload_b64 if payload_b64 is not None else b64(payload),
        "signatures": [{"keyid": keyid, "sig": b64(sig)}],
    }


def ack_payload(name=NAME, date="2017-12-04", notes=None, sha=DOC_SHA, ident="jberzins"):
    fields = [
        '"type":"https://ackreg.invalid/acknowledgement/v1"',
        '"document":{"title":"Klientu apkalpošanas centra darbības noteikumi","sha256":%s}'
        % json.dumps(sha),
        '"employee":{"name":%s,"id":%s}' % (json.dumps(name, ensure_ascii=False), json.dumps(ident)),
        '"date":%s' % json.dumps(date),
        '"statement":%s' % json.dumps(STATEMENT, ensure_ascii=False),
    ]
    if notes is not None:
        fields.append('"notes":%s' % json.dumps(notes, ensure_ascii=False))
    return ("{" + ",".join(fields) + "}").encode()


def dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def keyring_entry(name=NAME, pub=PUB, keyid=None, ident="jberzins"):
    return {
        "id": ident,
        "name": name,
        "public_key": b64(pub),
        "keyid": keyid or hashlib.sha256(pub).hexdigest(),
    }


def main():
    good_payload = ack_payload()
    good = envelope(good_payload)
    write("document.txt", DOC)
    write("keyring.json", dump({"version": 1, "entries": [keyring_entry()]}))
    write("good-ack.json", dump(good))

    # --- acknowledgements: the envelope -------------------------------
    write("ack-not-json.json", "this is not JSON\n")
    write("ack-empty.json", "")
    write("ack-bom.json", b"\xef\xbb\xbf" + dump(good).encode())
    write("ack-trailing-garbage.json", dump(good) + "}\n")
    g = dump(good)
    write("ack-duplicate-payload.json",
          g.replace('  "signatures"', '  "payload": "e30=",\n  "signatures"', 1))
    write("ack-duplicate-in-signature.json",
          g.replace('"sig":', '"keyid": "%s",\n      "sig":' % KEYID, 1))
    e = dict(good); e["extra"] = 1
    write("ack-unknown-field.json", dump(e))
    e = dict(good); del e["signatures"]
    write("ack-missing-signatures.json", dump(e))
    e = json.loads(g); e["signatures"][0]["sig"] = 123
    write("ack-sig-wrong-type.json", dump(e))
    e = json.loads(g); e["payload"] = e["payload"].rstrip("=")
    write("ack-base64-unpadded.json", dump(e))
    e = json.loads(g); p = e["payload"]
    # The last character before the padding carries unused trailing bits:
    # set the lowest one (same bytes, a second spelling).
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    data = p.rstrip("="); pad = p[len(data):]
    assert pad, "the payload needs padding for this case"
    e["payload"] = data[:-1] + alphabet[alphabet.index(data[-1]) | 1] + pad
    write("ack-base64-trailing-bits.json", dump(e))
    e = json.loads(g); e["payload"] = e["payload"][:40] + "\n" + e["payload"][40:]
    write("ack-base64-newline.json", dump(e))
    e = json.loads(g); e["signatures"][0]["sig"] = e["signatures"][0]["sig"].replace("+", "-").replace("/", "_")
    write("ack-base64-urlsafe.json", dump(e))
    e = json.loads(g); e["signatures"][0]["sig"] = b64(KEY.sign(pae(ACK_TYPE, good_payload))[:63])
    write("ack-sig-63-bytes.json", dump(e))
    e = json.loads(g); e["signatures"].append(dict(e["signatures"][0]))
    write("ack-two-signatures.json", dump(e))
    e = json.loads(g); e["signatures"] = []
    write("ack-no-signature.json", dump(e))
    e = json.loads(g); e["signatures"][0]["keyid"] = KEYID.upper()
    write("ack-keyid-uppercase.json", dump(e))
    e = json.loads(g); e["signatures"][0]["keyid"] = "0" * 64
    write("ack-unknown-key.json", dump(e))
    sig = bytearray(KEY.sign(pae(ACK_TYPE, good_payload))); sig[10] ^= 1
    write("ack-bad-signature.json", dump(envelope(good_payload, sig=bytes(sig))))
    write("ack-oversize.json", dump(dict(good, padding="x" * 70000)))

    # --- acknowledgements: the signed payload -------------------------
    p = good_payload.replace(b'"date":"2017-12-04"', b'"date":"2017-12-04","date":"2017-12-05"')
    write("ack-payload-duplicate-date.json", dump(envelope(p)))
    p = good_payload.replace(b'"id":"jberzins"}', b'"id":"jberzins","name":"Cits V\xc4\x81rds"}')
    write("ack-payload-duplicate-nested-name.json", dump(envelope(p)))
    p = good_payload.replace(b'"date"', b'"extra":true,"date"')
    write("ack-payload-unknown-field.json", dump(envelope(p)))
    p = good_payload.replace(b'"date":"2017-12-04"', b'"date":20171204')
    write("ack-payload-wrong-type.json", dump(envelope(p)))
    p = good_payload.replace(b',"statement"', b',"statment"')
    write("ack-payload-missing-statement.json", dump(envelope(p)))
    write("ack-payload-bidi-name.json", dump(envelope(ack_payload(name="Jānis \u202eš\u202cņiz"))))
    write("ack-payload-zero-width-name.json", dump(envelope(ack_payload(name="Jānis\u200b Bērziņš"))))
    write("ack-payload-bidi-notes.json", dump(envelope(ack_payload(notes="Labi\n\u2067atpakaļ\u2069"))))
    write("ack-payload-control-name.json", dump(envelope(ack_payload(name="Jānis \u001b[31mBērziņš"))))
    write("ack-payload-bad-date.json", dump(envelope(ack_payload(date="2017-02-30"))))
    write("ack-payload-not-utf8.json", dump(envelope(good_payload.replace("ā".encode(), b"\xe2"))))
    write("ack-payload-not-nfc.json", dump(envelope(ack_payload(name="Ja\u0304nis Bērziņš"))))
    write("ack-payload-other-type.json", dump(envelope(good_payload, ptype="text/plain")))
    write("ack-other-document.json", dump(envelope(ack_payload(sha="0" * 64))))
    write("ack-other-name.json", dump(envelope(ack_payload(name="Jānis Bērziņš-Ozols"))))

    # --- keyrings (copied as DIR/keyring.json) ------------------------
    ring = dump({"version": 1, "entries": [keyring_entry()]})
    write("keyring-duplicate-entries.json", ring.replace('  "entries"', '  "entries": [],\n  "entries"', 1))
    write("keyring-duplicate-nested-name.json", ring.replace('"name":', '"name": "Cits",\n      "name":', 1))
    write("keyring-bidi-name.json", dump({"version": 1, "entries": [keyring_entry(name="Jānis \u202eBērziņš")]}))
    write("keyring-soft-hyphen-id.json", dump({"version": 1, "entries": [keyring_entry(ident="jber\u00adzins")]}))
    write("keyring-keyid-mismatch.json", dump({"version": 1, "entries": [keyring_entry(keyid="1" * 64)]}))
    e = keyring_entry(); e["public_key"] = b64(PUB[:31])
    write("keyring-short-key.json", dump({"version": 1, "entries": [e]}))
    e = keyring_entry(); e["public_key"] = b64(PUB).rstrip("=")
    write("keyring-base64-unpadded.json", dump({"version": 1, "entries": [e]}))
    write("keyring-version-2.json", dump({"version": 2, "entries": []}))
    write("keyring-unknown-field.json", dump({"version": 1, "entries": [dict(keyring_entry(), email="j@b.lv")]}))
    write("keyring-wrong-type.json", dump({"version": "1", "entries": []}))
    write("keyring-missing-keyid.json", dump({"version": 1, "entries": [{k: v for k, v in keyring_entry().items() if k != "keyid"}]}))
    write("keyring-not-json.json", "[1, 2,")

    # --- registers, sealed by the same test-only key ------------------
    ring_compact = json.dumps({"version": 1, "entries": [keyring_entry()]}, ensure_ascii=False, separators=(",", ":"))
    env_compact = json.dumps(good, separators=(",", ":"))

    def register(entries="[{\"nr\":1,\"envelope\":%s}]" % env_compact, ring=ring_compact, extra=""):
        body = ('{"type":"https://ackreg.invalid/register/v1",'
                '"document":{"title":"Klientu apkalpošanas centra darbības noteikumi","sha256":"%s"},'
                '"issuer":{"name":"J.Gavars","keyid":"%s","public_key":"%s"},'
                '"sealed_at":"2017-12-20T09:30:00Z","keyring":%s,"entries":%s,"outstanding":[]%s}'
                % (DOC_SHA, KEYID, b64(PUB), ring, entries, extra)).encode()
        return dump(envelope(body, ptype=REG_TYPE))

    write("good-register.json", register())
    write("register-duplicate-entries.json", register(extra=',"entries":[]'))
    write("register-unknown-field.json", register(extra=',"comment":"x"'))
    dup_env = env_compact.replace('"signatures"', '"payload":"e30=","signatures"', 1)
    write("register-envelope-duplicate-key.json", register(entries="[{\"nr\":1,\"envelope\":%s}]" % dup_env))
    write("register-keyring-duplicate-key.json", register(ring=ring_compact.replace('"entries"', '"entries":[],"entries"', 1)))
    write("register-entry-duplicate-nr.json", register(entries="[{\"nr\":1,\"nr\":1,\"envelope\":%s}]" % env_compact))

    # --- keys ---------------------------------------------------------
    write("not-pem-test-only.key", "this is not a key\n")
    write("binary-test-only.key", bytes(range(256)))
    good_pem = ("-----BEGIN PRIVATE KEY-----\n"
                "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
                "-----END PRIVATE KEY-----\n")
    write("truncated-test-only.key", good_pem[:60])
    write("public-as-private-test-only.key",
          "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n")
    write("openssh-test-only.key",
          "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n")
    write("oversize-test-only.key", good_pem + "#" * 70000)
    for alg, name in [("RSA", "rsa-test-only.key"), ("ED448", "ed448-test-only.key")]:
        args = ["openssl", "genpkey", "-algorithm", alg] + (["-pkeyopt", "rsa_keygen_bits:1024"] if alg == "RSA" else [])
        pem = subprocess.run(args, check=True, capture_output=True).stdout
        write(name, pem)
        pub = subprocess.run(["openssl", "pkey", "-pubout"], input=pem, check=True, capture_output=True).stdout
        write(name.replace("-test-only.key", ".pub.pem"), pub)
    # SPKI of the small-order point (the identity, 01 00 .. 00).
    spki = bytes.fromhex("302a300506032b6570032100") + bytes([1] + [0] * 31)
    write("small-order.pub.pem", "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % b64(spki))
    spki = bytes.fromhex("3029300506032b6570032000") + PUB[:31]
    write("short.pub.pem", "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % b64(spki))


if __name__ == "__main__":
    main()
