#!/usr/bin/env python3
"""Seals an eDoc (ASiC-E) container with an independent XAdES implementation:
the PyPI package `pyasice` (with `lxml` and `cryptography`), as DigiDoc4 or
eParaksts would seal it, but with a local test key instead of a smart card.

Usage: edoc_sign.py IN OUT SIGNER_CN SIGNING_TIME

SIGNING_TIME is written as pyasice writes it, e.g. 2026-11-27T10:15:00Z.
The script
1. makes a throw-away test CA and an e-seal certificate for SIGNER_CN, with
   RSA-2048 keys (Python `cryptography`); nothing is written to disk;
2. opens IN with pyasice, which checks the container's structure on its own
   (mimetype first, manifest present and listing the data files);
3. prepares a XAdES signature over every data file with pyasice, signing time
   SIGNING_TIME, signs its SignedInfo with the test key (RSA PKCS#1 v1.5,
   SHA-256) and has pyasice verify that signature value;
4. adds it as META-INF/signatures1.xml and writes OUT;
5. opens OUT with pyasice again and verifies its signatures there;
and prints the signer, time and files on stdout as JSON.

No OCSP or time-stamp is fetched: the signature is a plain XAdES-B, which is
all ackreg's reader needs to list it.
"""
import datetime
import io
import json
import re
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


def import_pyasice():
    """Imports pyasice.

    pyasice needs oscrypto, whose last PyPI release (1.3.0) cannot parse
    OpenSSL versions with a two-digit patch number such as "3.0.19" and fails
    on import (wbond/oscrypto issues 75 and 78, fixed on its master branch but
    not released). While oscrypto loads, its version pattern is replaced by the
    fixed one; with an oscrypto that has the fix, this changes nothing.
    """
    original = re.search
    broken = "\\b(\\d\\.\\d\\.\\d[a-z]*)\\b"

    def search(pattern, string, flags=0):
        if pattern == broken:
            pattern = "\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b"
        return original(pattern, string, flags)

    re.search = search
    try:
        import pyasice
        import pyasice.xmlsig
    finally:
        re.search = original
    return pyasice


def name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "LV"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ackreg interoperability test"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def certificate(subject, issuer, public_key, signing_key, ca):
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        usage = x509.KeyUsage(
            digital_signature=False, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False,
        )
        builder = builder.add_extension(usage, critical=True)
    return builder.sign(signing_key, hashes.SHA256())


def test_seal(signer_cn):
    """A test CA and the e-seal certificate it issued; the seal's key."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = name("ackreg test CA (not trusted by anyone)")
    certificate(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    seal = certificate(name(signer_cn), ca_name, seal_key.public_key(), ca_key, False)
    return seal.public_bytes(serialization.Encoding.DER), seal_key


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: edoc_sign.py IN OUT SIGNER_CN SIGNING_TIME")
    source, target, signer_cn, signing_time = sys.argv[1:]
    when = datetime.datetime.strptime(signing_time, "%Y-%m-%dT%H:%M:%SZ")
    pyasice = import_pyasice()
    # pyasice's own hook for the signing time (see xmlsig.get_utc_time).
    pyasice.xmlsig.get_utc_time = lambda: when

    seal_der, seal_key = test_seal(signer_cn)
    with open(source, "rb") as f:
        container = pyasice.Container(io.BytesIO(f.read()))
    signature = container.prepare_signature(seal_der)
    value = seal_key.sign(signature.signed_data(), padding.PKCS1v15(), hashes.SHA256())
    signature.set_signature_value(value).verify()
    container.add_signature(signature)
    with open(target, "wb") as f:
        f.write(container.finalize().getvalue())

    with open(target, "rb") as f:
        sealed = pyasice.Container(io.BytesIO(f.read()))
    sealed.verify_signatures()
    print(json.dumps({
        "signatures": sealed.signature_file_names,
        "signing_time": signature.get_signing_time(),
        "files": sealed.data_file_names,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
