#!/usr/bin/env python3
"""Generates ../data/migration_google.json: Google Authenticator transfer URIs made by an
independent encoder (Google's `protobuf` Python package, PyPI), with what each must decode to.

The MigrationPayload schema is declared here as a descriptor (no protoc needed), field numbers
and enum values as Google Authenticator uses them:

  MigrationPayload { repeated OtpParameters otp_parameters = 1; int32 version = 2;
                     int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5; }
  OtpParameters { bytes secret = 1; string name = 2; string issuer = 3;
                  Algorithm algorithm = 4; DigitCount digits = 5; OtpType type = 6;
                  int64 counter = 7; }
  Algorithm  { UNSPECIFIED = 0; SHA1 = 1; SHA256 = 2; SHA512 = 3; MD5 = 4; }
  DigitCount { UNSPECIFIED = 0; SIX = 1; EIGHT = 2; }
  OtpType    { UNSPECIFIED = 0; HOTP = 1; TOTP = 2; }

Run: python3 migration_payload.py   (needs `pip install protobuf`)

`python3 migration_payload.py --decode` instead reads transfer URIs (one a line) on stdin and
prints, for each, the payload Google's decoder sees as JSON (secrets in base32); the Rust test
`encoded_payloads_decode_with_googles_protobuf_package` uses it to check `migration::encode`.
"""
import base64
import json
import os
import urllib.parse

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto


def build_classes():
    file = descriptor_pb2.FileDescriptorProto(name="migration.proto", package="gamigration",
                                              syntax="proto3")
    payload = file.message_type.add(name="MigrationPayload")
    for enum_name, values in [
        ("Algorithm", ["ALGORITHM_UNSPECIFIED", "ALGORITHM_SHA1", "ALGORITHM_SHA256",
                       "ALGORITHM_SHA512", "ALGORITHM_MD5"]),
        ("DigitCount", ["DIGIT_COUNT_UNSPECIFIED", "DIGIT_COUNT_SIX", "DIGIT_COUNT_EIGHT"]),
        ("OtpType", ["OTP_TYPE_UNSPECIFIED", "OTP_TYPE_HOTP", "OTP_TYPE_TOTP"]),
    ]:
        enum = payload.enum_type.add(name=enum_name)
        for number, value in enumerate(values):
            enum.value.add(name=value, number=number)
    params = payload.nested_type.add(name="OtpParameters")
    for number, (name, kind, type_name) in enumerate([
        ("secret", F.TYPE_BYTES, None),
        ("name", F.TYPE_STRING, None),
        ("issuer", F.TYPE_STRING, None),
        ("algorithm", F.TYPE_ENUM, ".gamigration.MigrationPayload.Algorithm"),
        ("digits", F.TYPE_ENUM, ".gamigration.MigrationPayload.DigitCount"),
        ("type", F.TYPE_ENUM, ".gamigration.MigrationPayload.OtpType"),
        ("counter", F.TYPE_INT64, None),
    ], start=1):
        field = params.field.add(name=name, number=number, type=kind, label=F.LABEL_OPTIONAL)
        if type_name:
            field.type_name = type_name
    payload.field.add(name="otp_parameters", number=1, type=F.TYPE_MESSAGE,
                      label=F.LABEL_REPEATED,
                      type_name=".gamigration.MigrationPayload.OtpParameters")
    for number, name in enumerate(["version", "batch_size", "batch_index", "batch_id"], start=2):
        payload.field.add(name=name, number=number, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("gamigration.MigrationPayload"))


Payload = build_classes()

ALGORITHMS = {"SHA1": 1, "SHA256": 2, "SHA512": 3}
DIGITS = {6: 1, 8: 2}
TYPES = {"hotp": 1, "totp": 2}

# Each export: list of batches; each batch: (accounts, header). `expect` is what decoding
# must give: issuer/account after the name rule (issuer prefix dropped).
EXPORTS = [
    {
        "name": "single code, three accounts",
        "batches": [{
            "version": 1, "batch_size": 1, "batch_index": 0, "batch_id": -1320219310,
            "accounts": [
                {"secret": bytes.fromhex("48656c6c6f21deadbeef"), "name": "alice@example.com",
                 "issuer": "Example", "algorithm": "SHA1", "digits": 6, "type": "totp",
                 "expect_issuer": "Example", "expect_account": "alice@example.com"},
                {"secret": b"12345678901234567890123456789012", "name": "ACME Co:bob",
                 "issuer": "ACME Co", "algorithm": "SHA256", "digits": 8, "type": "hotp",
                 "counter": 42,
                 "expect_issuer": "ACME Co", "expect_account": "bob"},
                {"secret": b"1234567890" * 6 + b"1234", "name": "Büro: carol ü",
                 "issuer": "", "algorithm": "SHA512", "digits": 6, "type": "totp",
                 "expect_issuer": "Büro", "expect_account": "carol ü"},
            ],
        }],
    },
    {
        "name": "two codes of one export",
        "batches": [
            {"version": 1, "batch_size": 2, "batch_index": index, "batch_id": 77,
             "accounts": [
                 {"secret": bytes([index + 1]) * 20, "name": f"user{index}",
                  "issuer": "Batch", "algorithm": "SHA1", "digits": 6, "type": "totp",
                  "expect_issuer": "Batch", "expect_account": f"user{index}"},
             ]}
            for index in range(2)
        ],
    },
]


def encode_batch(batch):
    message = Payload(version=batch["version"], batch_size=batch["batch_size"],
                      batch_index=batch["batch_index"], batch_id=batch["batch_id"])
    for account in batch["accounts"]:
        params = message.otp_parameters.add(
            secret=account["secret"], name=account["name"], issuer=account["issuer"],
            algorithm=ALGORITHMS[account["algorithm"]], digits=DIGITS[account["digits"]],
            type=TYPES[account["type"]], counter=account.get("counter", 0))
        assert params.secret == account["secret"]
    data = base64.b64encode(message.SerializeToString()).decode()
    return "otpauth-migration://offline?data=" + urllib.parse.quote(data, safe="")


def main():
    out = []
    for export in EXPORTS:
        batches = []
        for batch in export["batches"]:
            batches.append({
                "uri": encode_batch(batch),
                "version": batch["version"], "batch_size": batch["batch_size"],
                "batch_index": batch["batch_index"], "batch_id": batch["batch_id"],
                "accounts": [{
                    "secret_base32": base64.b32encode(a["secret"]).decode().rstrip("="),
                    "issuer": a["expect_issuer"], "account": a["expect_account"],
                    "algorithm": a["algorithm"], "digits": a["digits"], "type": a["type"],
                    "counter": a.get("counter", 0),
                } for a in batch["accounts"]],
            })
        out.append({"name": export["name"], "batches": batches})
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "data", "migration_google.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.normpath(path))


def decode_stdin():
    import sys
    names = {v: k for k, v in ALGORITHMS.items()}
    digits = {v: k for k, v in DIGITS.items()}
    types = {v: k for k, v in TYPES.items()}
    out = []
    for line in sys.stdin.read().split():
        data = urllib.parse.unquote(line.split("data=", 1)[1])
        message = Payload.FromString(base64.b64decode(data))
        out.append({
            "version": message.version, "batch_size": message.batch_size,
            "batch_index": message.batch_index, "batch_id": message.batch_id,
            "accounts": [{
                "secret_base32": base64.b32encode(p.secret).decode().rstrip("="),
                "name": p.name, "issuer": p.issuer, "algorithm": names[p.algorithm],
                "digits": digits[p.digits], "type": types[p.type], "counter": p.counter,
            } for p in message.otp_parameters],
        })
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--decode"]:
        decode_stdin()
    else:
        main()
