#!/usr/bin/env python3
"""Decrypts an encrypted Aegis vault export with `cryptography`, independently of Countersign:
scrypt(password, slot salt, n, r, p) opens the password slot's master key (AES-256-GCM), which
opens the database (AES-256-GCM). Prints the database JSON on stdout.

Usage: aegis_decrypt.py VAULT.json < password
Exit status 2 when no password slot opens, 3 when the database does not decrypt.
"""

import base64
import json
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt


def main():
    vault = json.load(open(sys.argv[1]))
    password = sys.stdin.read().rstrip("\n").encode()
    master = None
    for slot in vault["header"]["slots"]:
        if slot["type"] != 1:
            continue
        key = Scrypt(salt=bytes.fromhex(slot["salt"]), length=32, n=slot["n"], r=slot["r"],
                     p=slot["p"]).derive(password)
        params = slot["key_params"]
        try:
            master = AESGCM(key).decrypt(bytes.fromhex(params["nonce"]),
                                         bytes.fromhex(slot["key"]) + bytes.fromhex(params["tag"]), None)
            break
        except InvalidTag:
            continue
    if master is None:
        sys.exit(2)
    params = vault["header"]["params"]
    try:
        db = AESGCM(master).decrypt(bytes.fromhex(params["nonce"]),
                                    base64.b64decode(vault["db"]) + bytes.fromhex(params["tag"]), None)
    except InvalidTag:
        sys.exit(3)
    json.dump(json.loads(db), sys.stdout)


if __name__ == "__main__":
    main()
