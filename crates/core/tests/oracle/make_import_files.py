#!/usr/bin/env python3
"""Writes one export file per format Countersign imports, the way each app writes it, using
independent implementations: `cryptography` for Aegis (scrypt + AES-256-GCM) and 2FAS
(PBKDF2-HMAC-SHA256 + AES-256-GCM), python-pskc for PSKC, pyotp for the expected codes, and a
hand-written protobuf encoder for Google's transfer URIs.

Run from anywhere: `python3 make_import_files.py` (pip install cryptography pyotp python-pskc).
Writes into ../data/import/ and records in expected.json, for every file, the accounts a
correct importer must find and the code pyotp computes for each at T = 1_700_000_000.
"""

import base64
import json
import os
import random
import urllib.parse
import uuid

import pyotp
import pskc
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives import hashes

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "import")
T = 1_700_000_000
PASSWORD = "import-test-password"
rng = random.Random(7)


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def b32(raw):
    return base64.b32encode(raw).decode().rstrip("=")


def code(acc):
    secret = acc["secret"]
    digest = {"SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}[acc["algorithm"]]
    import hashlib
    if acc["kind"] == "hotp":
        return pyotp.HOTP(secret, digits=acc["digits"], digest=getattr(hashlib, digest)).at(acc["counter"])
    if acc["kind"] == "steam":
        return None  # pyotp has no Steam codes
    return pyotp.TOTP(secret, digits=acc["digits"], interval=acc["period"],
                      digest=getattr(hashlib, digest)).at(T)


def accounts():
    """The same five accounts in every app's export."""
    return [
        dict(issuer="GitHub", name="alice@example.com", kind="totp", secret=b32(rbytes(20)),
             algorithm="SHA1", digits=6, period=30, counter=None),
        dict(issuer="Example Bank", name="alice", kind="totp", secret=b32(rbytes(32)),
             algorithm="SHA256", digits=8, period=60, counter=None),
        dict(issuer="Corp VPN", name="a.smith", kind="hotp", secret=b32(rbytes(20)),
             algorithm="SHA1", digits=6, period=None, counter=42),
        dict(issuer="Mail", name="alice@mail.example", kind="totp", secret=b32(rbytes(64)),
             algorithm="SHA512", digits=6, period=30, counter=None),
        dict(issuer="Steam", name="alice_gamer", kind="steam", secret=b32(rbytes(20)),
             algorithm="SHA1", digits=5, period=30, counter=None),
    ]


def otpauth(a):
    label = urllib.parse.quote(f"{a['issuer']}:{a['name']}")
    kind = "totp" if a["kind"] == "steam" else a["kind"]
    q = dict(secret=a["secret"], issuer=a["issuer"], algorithm=a["algorithm"], digits=a["digits"])
    if a["kind"] == "hotp":
        q["counter"] = a["counter"]
    else:
        q["period"] = a["period"]
    if a["kind"] == "steam":
        q["encoder"] = "steam"
    return f"otpauth://{kind}/{label}?" + urllib.parse.urlencode(q)


def write(name, text):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)


def aegis_files(expected):
    accs = accounts()
    entries = []
    for a in accs:
        info = dict(secret=a["secret"], algo=a["algorithm"], digits=a["digits"])
        if a["kind"] == "hotp":
            info["counter"] = a["counter"]
        else:
            info["period"] = a["period"]
        entries.append(dict(type=a["kind"], uuid=str(uuid.UUID(bytes=rbytes(16))), name=a["name"],
                            issuer=a["issuer"], note="", favorite=a["kind"] == "hotp", icon=None,
                            info=info))
    # One entry of a type Countersign cannot use: listed as an entry error.
    entries.append(dict(type="motp", uuid=str(uuid.UUID(bytes=rbytes(16))), name="legacy",
                        issuer="mOTP", note="", favorite=False, icon=None,
                        info=dict(secret=b32(rbytes(16)), algo="MD5", digits=6, period=10)))
    db = dict(version=2, entries=entries)
    write("aegis-plain.json", json.dumps(dict(version=1, header=dict(slots=None, params=None), db=db), indent=2))
    expected["aegis-plain.json"] = dict(password=None, accounts=accs, errors=1)

    # Encrypted: scrypt password slot + AES-256-GCM, as Aegis writes it.
    accs = accounts()
    for a, e in zip(accs, entries):
        e["info"]["secret"] = a["secret"]
    master = rbytes(32)
    salt = rbytes(32)
    n, r, p = 2 ** 15, 8, 1
    slot_key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(PASSWORD.encode())
    key_nonce = rbytes(12)
    sealed_key = AESGCM(slot_key).encrypt(key_nonce, master, None)
    db_nonce = rbytes(12)
    sealed_db = AESGCM(master).encrypt(db_nonce, json.dumps(db).encode(), None)
    vault = dict(version=1, header=dict(
        slots=[dict(type=1, uuid=str(uuid.UUID(bytes=rbytes(16))), key=sealed_key[:-16].hex(),
                    key_params=dict(nonce=key_nonce.hex(), tag=sealed_key[-16:].hex()),
                    n=n, r=r, p=p, salt=salt.hex(), repaired=True, is_backup=False)],
        params=dict(nonce=db_nonce.hex(), tag=sealed_db[-16:].hex())),
        db=base64.b64encode(sealed_db[:-16]).decode())
    write("aegis-encrypted.json", json.dumps(vault, indent=2))
    expected["aegis-encrypted.json"] = dict(password=PASSWORD, accounts=accs, errors=1)


def two_fas_files(expected):
    accs = accounts()
    services = []
    for i, a in enumerate(accs):
        otp = dict(label=a["name"], account=a["name"], issuer=a["issuer"], digits=a["digits"],
                   period=a["period"] or 30, algorithm=a["algorithm"], tokenType=a["kind"].upper(),
                   source="Manual")
        if a["kind"] == "hotp":
            otp["counter"] = a["counter"]
        services.append(dict(name=a["issuer"], secret=a["secret"], updatedAt=1700000000000,
                             otp=otp, order=dict(position=i), icon=None))
    doc = dict(services=services, groups=[], updatedAt=1700000000000, schemaVersion=4,
               appVersionCode=5000000, appVersionName="5.0.0", appOrigin="android")
    write("2fas-plain.2fas", json.dumps(doc, indent=2))
    expected["2fas-plain.2fas"] = dict(password=None, accounts=accs, errors=0)

    salt, iv = rbytes(256), rbytes(12)
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=10000).derive(PASSWORD.encode())
    sealed = AESGCM(key).encrypt(iv, json.dumps(services).encode(), None)
    ref = AESGCM(key).encrypt(rbytes(12), b"reference", None)
    enc = lambda b: base64.b64encode(b).decode()
    doc = dict(services=[], groups=[], updatedAt=1700000000000, schemaVersion=4,
               appVersionCode=5000000, appVersionName="5.0.0", appOrigin="android",
               servicesEncrypted=f"{enc(sealed)}:{enc(salt)}:{enc(iv)}",
               reference=f"{enc(ref)}:{enc(salt)}:{enc(iv)}")
    write("2fas-encrypted.2fas", json.dumps(doc, indent=2))
    expected["2fas-encrypted.2fas"] = dict(password=PASSWORD, accounts=accs, errors=0)


def andotp_file(expected):
    accs = accounts()
    entries = []
    for a in accs:
        e = dict(secret=a["secret"], issuer=a["issuer"], label=a["name"], digits=a["digits"],
                 type=a["kind"].upper(), algorithm=a["algorithm"], thumbnail="Default",
                 last_used=0, used_frequency=0, tags=[])
        if a["kind"] == "hotp":
            e["counter"] = a["counter"]
        else:
            e["period"] = a["period"]
        entries.append(e)
    write("andotp.json", json.dumps(entries, indent=2))
    expected["andotp.json"] = dict(password=None, accounts=accs, errors=0)


def bitwarden_files(expected):
    accs = [a for a in accounts() if a["kind"] != "hotp"]  # Bitwarden has TOTP and Steam only
    items = []
    for a in accs:
        totp = f"steam://{a['secret']}" if a["kind"] == "steam" else otpauth(a)
        items.append(dict(id=str(uuid.UUID(bytes=rbytes(16))), type=1, name=a["issuer"],
                          login=dict(username=a["name"], password="pw", totp=totp, uris=[])))
    # A bare base32 secret (Bitwarden's default: TOTP, SHA1, 6 digits, 30 s).
    bare = dict(issuer="Forum", name="al", kind="totp", secret=b32(rbytes(16)), algorithm="SHA1",
                digits=6, period=30, counter=None)
    items.append(dict(id="x", type=1, name=bare["issuer"],
                      login=dict(username=bare["name"], totp=bare["secret"])))
    items.append(dict(id="y", type=1, name="No 2FA", login=dict(username="bob", totp=None)))
    items.append(dict(id="z", type=2, name="A note", notes="text"))
    accs = accs + [bare]
    write("bitwarden.json", json.dumps(dict(encrypted=False, folders=[], items=items), indent=2))
    expected["bitwarden.json"] = dict(password=None, accounts=accs, errors=0)

    import csv, io
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["folder", "favorite", "type", "name", "notes", "fields", "reprompt", "login_uri",
                "login_username", "login_password", "login_totp"])
    for it in items:
        login = it.get("login") or {}
        w.writerow(["", "", "login", it["name"], "", "", "0", "", login.get("username", ""),
                    login.get("password", ""), login.get("totp") or ""])
    write("bitwarden.csv", buf.getvalue())
    expected["bitwarden.csv"] = dict(password=None, accounts=accs, errors=0)


def freeotp_file(expected):
    accs = [a for a in accounts() if a["kind"] != "steam"]
    tokens = []
    for a in accs:
        raw = base64.b32decode(a["secret"] + "=" * (-len(a["secret"]) % 8))
        tokens.append(dict(algo=a["algorithm"], counter=a["counter"] or 0, digits=a["digits"],
                           issuerExt=a["issuer"], label=a["name"], period=a["period"] or 30,
                           secret=[b - 256 if b > 127 else b for b in raw], type=a["kind"].upper()))
    write("freeotp-plus.json", json.dumps(dict(tokenOrder=[f"{a['issuer']}:{a['name']}" for a in accs], tokens=tokens), indent=2))
    expected["freeotp-plus.json"] = dict(password=None, accounts=accs, errors=0)


def authpro_file(expected):
    accs = accounts()
    types = dict(hotp=1, totp=2, steam=4)
    algos = dict(SHA1=0, SHA256=1, SHA512=2)
    entries = [dict(Type=types[a["kind"]], Icon=None, Issuer=a["issuer"], Username=a["name"],
                    Secret=a["secret"], Pin=None, Algorithm=algos[a["algorithm"]], Digits=a["digits"],
                    Period=a["period"] or 30, Counter=a["counter"] or 0, Ranking=0, CopyCount=0)
               for a in accs]
    write("authenticator-pro.json", json.dumps(dict(Authenticators=entries, Categories=[],
                                                    AuthenticatorCategories=[], CustomIcons=[]), indent=2))
    expected["authenticator-pro.json"] = dict(password=None, accounts=accs, errors=0)


def uri_files(expected):
    accs = accounts()
    write("otpauth.txt", "# exported URIs\n" + "\n".join(otpauth(a) for a in accs) + "\n\nnot a uri\n")
    expected["otpauth.txt"] = dict(password=None, accounts=accs, errors=1)
    accs = accounts()
    write("ente-auth.txt", "\n".join(otpauth(a) + "&codeDisplay=%7B%22pinned%22%3Afalse%7D" for a in accs) + "\n")
    expected["ente-auth.txt"] = dict(password=None, accounts=accs, errors=0)


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def google_file(expected):
    accs = [a for a in accounts() if a["kind"] != "steam" and a["algorithm"] == "SHA1"] + [
        dict(issuer="Second", name=f"user{i}", kind="totp", secret=b32(rbytes(20)),
             algorithm="SHA1", digits=6, period=30, counter=None) for i in range(3)]
    batches = [accs[:3], accs[3:]]
    lines = []
    for i, batch in enumerate(batches):
        payload = b""
        for a in batch:
            raw = base64.b32decode(a["secret"] + "=" * (-len(a["secret"]) % 8))
            p = field(1, 2, raw) + field(2, 2, f"{a['issuer']}:{a['name']}".encode()) + \
                field(3, 2, a["issuer"].encode()) + field(4, 0, 1) + \
                field(5, 0, 1 if a["digits"] == 6 else 2) + \
                field(6, 0, 1 if a["kind"] == "hotp" else 2)
            if a["kind"] == "hotp":
                p += field(7, 0, a["counter"])
            payload += field(1, 2, p)
        payload += field(2, 0, 1) + field(3, 0, len(batches)) + field(4, 0, i) + field(5, 0, 4242)
        data = urllib.parse.quote(base64.b64encode(payload).decode(), safe="")
        lines.append(f"otpauth-migration://offline?data={data}")
    write("google-migration.txt", "\n".join(lines) + "\n")
    expected["google-migration.txt"] = dict(password=None, accounts=accs, errors=0)


def csv_file(expected):
    accs = [dict(issuer="", name=f"TOK{1000 + i}", kind="totp", secret=b32(rbytes(20)),
                 algorithm="SHA1", digits=6, period=[30, 60][i % 2], counter=None) for i in range(6)]
    lines = ["serial;seed;time interval"] + [f"{a['name']};{a['secret']};{a['period']}" for a in accs]
    lines.insert(3, "TOKBAD;not!base32;30")
    write("tokens-semicolon.csv", "\n".join(lines) + "\n")
    expected["tokens-semicolon.csv"] = dict(password=None, accounts=accs, errors=1)
    # The seed FAQ's layout: no header, commas, hex secrets.
    accs2 = [dict(issuer="", name=f"HX{i}", kind="totp", secret=b32(raw), algorithm="SHA1",
                  digits=6, period=30, counter=None, _hex=raw.hex())
             for i, raw in enumerate(rbytes(20) for _ in range(4))]
    write("tokens-hex.csv", "\n".join(f"{a['name']},{a.pop('_hex')},30" for a in accs2) + "\n")
    expected["tokens-hex.csv"] = dict(password=None, accounts=accs2, errors=0)


def pskc_file(expected):
    accs = []
    p = pskc.PSKC()
    for i in range(3):
        raw = rbytes(20)
        kind = "hotp" if i == 0 else "totp"
        d = p.add_device(manufacturer="Acme", serial=f"ACME{i:04d}")
        kw = dict(id=f"k{i}", algorithm=f"urn:ietf:params:xml:ns:keyprov:pskc:{kind}", issuer="Acme Tokens",
                  secret=raw, response_encoding="DECIMAL", response_length=6 + 2 * (i == 2))
        if kind == "hotp":
            kw["counter"] = 7
        else:
            kw["time_interval"] = 30 * i
        d.add_key(**kw)
        accs.append(dict(issuer="Acme Tokens", name=f"ACME{i:04d}", kind=kind, secret=b32(raw),
                         algorithm="SHA1", digits=6 + 2 * (i == 2), period=None if kind == "hotp" else 30 * i,
                         counter=7 if kind == "hotp" else None))
    p.encryption.setup_pbkdf2(PASSWORD, algorithm="aes256-cbc", iterations=1000, key_length=32)
    p.mac.setup(algorithm="hmac-sha256")
    path = os.path.join(OUT, "tokens.pskcxml")
    p.write(path)
    expected["tokens.pskcxml"] = dict(password=PASSWORD, accounts=accs, errors=0)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    aegis_files(expected)
    two_fas_files(expected)
    andotp_file(expected)
    bitwarden_files(expected)
    freeotp_file(expected)
    authpro_file(expected)
    uri_files(expected)
    google_file(expected)
    csv_file(expected)
    pskc_file(expected)
    for spec in expected.values():
        for a in spec["accounts"]:
            a["code_at_t"] = code(a)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(dict(t=T, files=expected), f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
