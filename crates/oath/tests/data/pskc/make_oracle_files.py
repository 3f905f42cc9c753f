#!/usr/bin/env python3
"""Writes the PSKC files the Rust tests read, with python-pskc (an independent implementation)
and, for the older draft layout, with `cryptography` directly.

Run from this folder: `python3 make_oracle_files.py` (needs `pip install python-pskc cryptography`).
The outputs are checked in, so the tests do not need Python. `expected.json` records, for every
file, what a correct reader must find (secrets in hex).
"""

import base64
import hashlib
import hmac
import json
import os
import random
import re

import pskc
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "oracle")
rng = random.Random(6030)


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def add_keys(p, secret_len):
    """Two keys: an HOTP token and a TOTP token (SHA-256, 60 s, drift)."""
    keys = []
    hotp_secret = rbytes(secret_len)
    d = p.add_device(manufacturer="Vendor-HOTP", serial="HS-%04d" % rng.randrange(10000))
    k = d.add_key(id="hotp-1", algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp",
                  issuer="Example Bank", secret=hotp_secret, counter=rng.randrange(1, 10**6),
                  response_encoding="DECIMAL", response_length=8)
    keys.append(dict(id="hotp-1", algorithm="hotp", serial=d.serial, manufacturer="Vendor-HOTP",
                     issuer="Example Bank", secret=hotp_secret.hex(), counter=k.counter,
                     digits=8, time_interval=None, time_drift=None, suite=None))
    totp_secret = rbytes(secret_len)
    d = p.add_device(manufacturer="Vendor-TOTP", serial="TS-%04d" % rng.randrange(10000))
    k = d.add_key(id="totp-1", algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp",
                  issuer="Example Corp", secret=totp_secret, time_interval=60, time_drift=3,
                  algorithm_suite="HMAC-SHA256", response_encoding="DECIMAL", response_length=6)
    keys.append(dict(id="totp-1", algorithm="totp", serial=d.serial, manufacturer="Vendor-TOTP",
                     issuer="Example Corp", secret=totp_secret.hex(), counter=None, digits=6,
                     time_interval=60, time_drift=3, suite="HMAC-SHA256"))
    return keys


CIPHERS = {
    # uri fragment: (key length, secret length, MAC, fields)
    "aes128-cbc": (16, 20, "hmac-sha1", ["secret", "counter", "time_interval"]),
    "aes192-cbc": (24, 20, "hmac-sha256", ["secret", "counter"]),
    "aes256-cbc": (32, 20, "hmac-sha256", ["secret", "counter", "time_drift"]),
    "tripledes-cbc": (24, 20, "hmac-sha1", ["secret", "counter"]),
    "camellia128-cbc": (16, 20, "hmac-sha256", ["secret", "counter"]),
    "camellia192-cbc": (24, 20, "hmac-sha1", ["secret"]),
    "camellia256-cbc": (32, 20, "hmac-sha512", ["secret", "counter"]),
    # Key wraps need whole 64-bit blocks (and at least two): 16, 24 or 32-byte secrets.
    "kw-aes128": (16, 16, None, ["secret"]),
    "kw-aes192": (24, 24, None, ["secret"]),
    "kw-aes256": (32, 32, None, ["secret"]),
    "kw-tripledes": (24, 24, None, ["secret"]),
    "kw-camellia128": (16, 16, None, ["secret"]),
    "kw-camellia192": (24, 32, None, ["secret"]),
    "kw-camellia256": (32, 24, None, ["secret"]),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, (key_len, secret_len, mac, fields) in CIPHERS.items():
        p = pskc.PSKC()
        keys = add_keys(p, secret_len)
        psk = rbytes(key_len)
        p.encryption.setup_preshared_key(key=psk, algorithm=name, key_name="Pre-shared-key",
                                         fields=fields)
        if mac:
            p.mac.setup(algorithm=mac)
        fname = "psk-%s.pskcxml" % name
        p.write(os.path.join(OUT, fname))
        expected[fname] = dict(key=psk.hex(), password=None, keys=keys)

    # Two-key Triple-DES (16-byte key).
    p = pskc.PSKC()
    keys = add_keys(p, 20)
    psk = rbytes(16)
    p.encryption.setup_preshared_key(key=psk, algorithm="tripledes-cbc", fields=["secret"])
    p.mac.setup(algorithm="hmac-sha1")
    p.write(os.path.join(OUT, "psk-tripledes-cbc-2key.pskcxml"))
    expected["psk-tripledes-cbc-2key.pskcxml"] = dict(key=psk.hex(), password=None, keys=keys)

    # Password-based (PBKDF2), two PRFs.
    for fname, alg, prf in [("pbkdf2-aes128-cbc.pskcxml", "aes128-cbc", None),
                            ("pbkdf2-aes256-cbc-sha256.pskcxml", "aes256-cbc", "hmac-sha256")]:
        p = pskc.PSKC()
        keys = add_keys(p, 20)
        p.encryption.setup_pbkdf2("correct horse battery", algorithm=alg, iterations=2000,
                                  prf=prf, salt=rbytes(16), key_name="My Password",
                                  fields=["secret", "counter"])
        p.mac.setup(algorithm="hmac-sha256")
        p.write(os.path.join(OUT, fname))
        # python-pskc 1.4 writes the PRF as element text but reads (as the xmlenc11 schema
        # defines it) an Algorithm attribute: write the schema's form.
        path = os.path.join(OUT, fname)
        text = open(path).read()
        text = re.sub(r"<PRF>([^<]+)</PRF>", r'<PRF Algorithm="\1"/>', text)
        open(path, "w").write(text)
        expected[fname] = dict(key=None, password="correct horse battery", keys=keys)

    # Plaintext, many keys in one file.
    p = pskc.PSKC()
    keys = []
    for i in range(25):
        keys += add_keys(p, 20)
    p.write(os.path.join(OUT, "plain-50-keys.pskcxml"))
    expected["plain-50-keys.pskcxml"] = dict(key=None, password=None, keys=keys)

    # Tampered copies of the AES-128-CBC file: a flipped MAC, a flipped ciphertext byte.
    src = open(os.path.join(OUT, "psk-aes128-cbc.pskcxml")).read()
    macs = re.findall(r"<pskc:ValueMAC>([^<]+)</pskc:ValueMAC>", src)
    bad = base64.b64decode(macs[0])
    bad = bytes([bad[0] ^ 1]) + bad[1:]
    open(os.path.join(OUT, "tampered-mac.pskcxml"), "w").write(
        src.replace(macs[0], base64.b64encode(bad).decode(), 1))
    cvs = re.findall(r"<xenc:CipherValue>([^<]+)</xenc:CipherValue>", src)
    ct = bytearray(base64.b64decode(cvs[1]))  # cvs[0] is the MAC key
    ct[-1] ^= 0x80
    open(os.path.join(OUT, "tampered-ciphertext.pskcxml"), "w").write(
        src.replace(cvs[1], base64.b64encode(bytes(ct)).decode(), 1))

    # Older draft layout (draft-hoyer-keyprov-portable-symmetric-key-container): container
    # namespace, <Device>/<DeviceId>, KeyAlgorithm/KeyId, <Data Name="SECRET"><Value>, PBE
    # encryption with PBESalt/PBEIterationCount, <DigestMethod> with the encryption key as the
    # HMAC key and <ValueDigest> over the ciphertext. Written with `cryptography` directly.
    password = b"qwerty"
    salt = rbytes(8)
    iterations = 999
    key = hashlib.pbkdf2_hmac("sha1", password, salt, iterations, 16)
    secret = rbytes(20)
    iv = rbytes(8)
    padder = padding.PKCS7(64).padder()
    data = padder.update(secret) + padder.finalize()
    enc = Cipher(TripleDES(key), modes.CBC(iv)).encryptor()
    cipher_value = iv + enc.update(data) + enc.finalize()
    digest = hmac.new(key, cipher_value, hashlib.sha1).digest()
    legacy = f"""<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:container">
  <EncryptionMethod algorithm="PBE-3DES112-CBC">
    <PBESalt>{base64.b64encode(salt).decode()}</PBESalt>
    <PBEIterationCount>{iterations}</PBEIterationCount>
  </EncryptionMethod>
  <DigestMethod algorithm="HMAC-SHA1"></DigestMethod>
  <Device>
    <DeviceId>
      <Manufacturer>Token Manufacturer</Manufacturer>
      <SerialNo>98765432187</SerialNo>
    </DeviceId>
    <Key KeyAlgorithm="HOTP" KeyId="77654321870">
      <Issuer>Credential Issuer</Issuer>
      <Usage>
        <ResponseFormat format="DECIMAL" length="6"/>
      </Usage>
      <FriendlyName>MySecondToken</FriendlyName>
      <Data Name="SECRET">
        <Value>{base64.b64encode(cipher_value).decode()}</Value>
        <ValueDigest>{base64.b64encode(digest).decode()}</ValueDigest>
      </Data>
      <Data Name="COUNTER">
        <Value>MTIz</Value>
      </Data>
    </Key>
  </Device>
</KeyContainer>
"""
    open(os.path.join(OUT, "legacy-draft-pbe-3des.pskcxml"), "w").write(legacy)
    expected["legacy-draft-pbe-3des.pskcxml"] = dict(key=None, password="qwerty", keys=[dict(
        id="77654321870", algorithm="hotp", serial="98765432187",
        manufacturer="Token Manufacturer", issuer="Credential Issuer", secret=secret.hex(),
        counter=123, digits=6, time_interval=None, time_drift=None, suite=None)])

    # Cross-check every file by reading it back with python-pskc.
    for fname, exp in expected.items():
        if fname.startswith("legacy"):
            continue
        print("checking", fname)
        p = pskc.PSKC(os.path.join(OUT, fname))
        if exp["key"]:
            p.encryption.key = bytes.fromhex(exp["key"])
        if exp["password"]:
            p.encryption.derive_key(exp["password"])
        got = [k.secret.hex() for k in p.keys]
        assert got == [k["secret"] for k in exp["keys"]], fname

    # The same 50 keys as CSV, written by python-pskc's pskc2csv (hex and base32 secrets).
    import subprocess
    src = os.path.join(OUT, "plain-50-keys.pskcxml")
    for enc in ("hex", "base32"):
        text = subprocess.run(["pskc2csv", "-e", enc, src], check=True, capture_output=True,
                              text=True).stdout
        open(os.path.join(OUT, f"pskc2csv-50-keys-{enc}.csv"), "w").write(text)

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
