#!/usr/bin/env python3
"""Generates ../data/oracle.tsv: OTP codes computed by independent implementations.

Oracles:
  * pyotp (PyPI; pyotp.TOTP / pyotp.HOTP / pyotp.contrib.Steam) for every row;
  * oathtool (OATH Toolkit, Debian package `oathtool`) wherever it can compute the row
    (it supports 6, 7 and 8 digits only);
  * a from-scratch implementation below (Python's hmac module, RFC 4226 truncation, Steam's
    alphabet), for every row: the second oracle for 9 and 10 digits and for Steam, which
    oathtool cannot compute.
A row is written only when every oracle that can compute it agrees; any disagreement aborts.
The `checked_by` column says which oracles computed the row.

pyotp refuses secrets under 112 bits; real services issue 80-bit secrets, so its length
check is bypassed below (the HMAC itself is unchanged). pyotp.TOTP refuses periods over 120 s;
those rows use pyotp.HOTP at the step number (see pyotp_totp).

Run from anywhere: python3 generate.py  (needs `pip install pyotp` and `oathtool` on PATH)
"""
import base64
import hashlib
import hmac
import os
import shutil
import subprocess
import sys

import pyotp
from pyotp.contrib import Steam

# pyotp 2.12 hard-codes a 112-bit minimum in byte_secret(); older versions had a class
# attribute for it. Replace the check, keep the decoding.
def _byte_secret(self):
    secret = self.secret
    secret += "=" * (-len(secret) % 8)
    return base64.b32decode(secret, casefold=True)

pyotp.OTP.byte_secret = _byte_secret
pyotp.OTP.min_secret_length_bits = 0

HASHES = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
STEAM_CHARS = "23456789BCDFGHJKMNPQRTVWXY"

SECRETS = [
    bytes.fromhex("48656c6c6f21deadbeef"),          # 80 bits: "JBSWY3DPEHPK3PXP"
    b"12345678901234567890",                          # 160 bits, RFC 4226 seed
    b"12345678901234567890123456789012",              # 256 bits, RFC 6238 SHA-256 seed
    b"1234567890" * 6 + b"1234",                      # 512 bits, RFC 6238 SHA-512 seed
    bytes(range(1, 27)),                              # 208 bits, unaligned to base32 groups
]
TIMES = [0, 59, 1111111109, 1234567890, 2000000000, 20000000000]
PERIODS = [1, 30, 60, 86400]
COUNTERS = [0, 1, 9, 2**32 + 5, 2**63 - 1]
DIGITS = [6, 7, 8, 9, 10]

OATHTOOL = shutil.which("oathtool")


def b32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def oathtool_totp(secret, algorithm, digits, period, time):
    if OATHTOOL is None or digits > 8:
        return None
    out = subprocess.run(
        [OATHTOOL, f"--totp={algorithm.lower()}", f"--digits={digits}",
         f"--time-step-size={period}s", f"--now=@{time}", secret.hex()],
        check=True, capture_output=True, text=True,
        env={**os.environ, "TZ": "UTC"})
    return out.stdout.strip()


def oathtool_hotp(secret, algorithm, digits, counter):
    if OATHTOOL is None or digits > 8 or algorithm != "SHA1":
        return None
    out = subprocess.run(
        [OATHTOOL, "--hotp", f"--digits={digits}", f"--counter={counter}", secret.hex()],
        check=True, capture_output=True, text=True)
    return out.stdout.strip()


def pyotp_totp(secret, digest, digits, period, time):
    # pyotp.TOTP refuses periods over 120 s; TOTP is by definition (RFC 6238 section 4.2)
    # HOTP of the step number, so longer periods go through pyotp.HOTP.
    if period <= 120:
        return pyotp.TOTP(b32(secret), digits=digits, digest=digest, interval=period).at(time)
    return pyotp.HOTP(b32(secret), digits=digits, digest=digest).at(time // period)


def truncate_from_scratch(secret, digest, counter):
    """RFC 4226 section 5.3: HMAC, dynamic truncation, 31-bit value."""
    mac = hmac.new(secret, counter.to_bytes(8, "big"), digest).digest()
    offset = mac[-1] & 0x0F
    return int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF


def hotp_from_scratch(secret, digest, digits, counter):
    return str(truncate_from_scratch(secret, digest, counter) % 10**digits).zfill(digits)


def steam_from_scratch(secret, period, time):
    value = truncate_from_scratch(secret, hashlib.sha1, time // period)
    chars = []
    for _ in range(5):
        chars.append(STEAM_CHARS[value % 26])
        value //= 26
    return "".join(chars)


def agree(row_id, codes):
    known = {name: code for name, code in codes.items() if code is not None}
    if len(set(known.values())) != 1:
        sys.exit(f"oracles disagree on {row_id}: {known}")
    return next(iter(known.values())), "+".join(sorted(known))


def main():
    rows = []
    for secret in SECRETS:
        for algorithm, digest in HASHES.items():
            for digits in DIGITS:
                for period in PERIODS:
                    for time in TIMES:
                        code, by = agree(
                            ("totp", algorithm, digits, period, time),
                            {"pyotp": pyotp_totp(secret, digest, digits, period, time),
                             "scratch": hotp_from_scratch(secret, digest, digits, time // period),
                             "oathtool": oathtool_totp(secret, algorithm, digits, period, time)})
                        rows.append(("totp", algorithm, digits, period, time, b32(secret), code, by))
                for counter in COUNTERS:
                    hotp = pyotp.HOTP(b32(secret), digits=digits, digest=digest)
                    code, by = agree(
                        ("hotp", algorithm, digits, counter),
                        {"pyotp": hotp.at(counter),
                         "scratch": hotp_from_scratch(secret, digest, digits, counter),
                         "oathtool": oathtool_hotp(secret, algorithm, digits, counter)})
                    rows.append(("hotp", algorithm, digits, 0, counter, b32(secret), code, by))
        # Steam uses 30 s only (and pyotp's Steam ignores its `interval`: TOTP.__init__
        # resets it to 30).
        for period in (30,):
            for time in TIMES:
                code, by = agree(
                    ("steam", period, time),
                    {"pyotp": Steam(b32(secret), interval=period).at(time),
                     "scratch": steam_from_scratch(secret, period, time)})
                rows.append(("steam", "SHA1", 5, period, time, b32(secret), code, by))

    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "data", "oracle.tsv")
    with open(path, "w") as out:
        out.write("# Generated by tests/oracle/generate.py; do not edit by hand.\n")
        out.write("# kind\talgorithm\tdigits\tperiod\ttime_or_counter\tsecret_base32\tcode\tchecked_by\n")
        for row in rows:
            out.write("\t".join(str(field) for field in row) + "\n")
    print(f"wrote {len(rows)} rows to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
