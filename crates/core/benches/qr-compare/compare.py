#!/usr/bin/env python3
"""Runs zbar and zxing-cpp on the corpus `cargo bench --bench qr` wrote, and prints their decode
rate and median time per image, per category, in the same table shape as the bench.

Usage: compare.py CORPUS_DIR   (the folder with manifest.json; default target/qr-corpus)

Needs: zbarimg (Debian zbar-tools); PyPI zxing-cpp, pyzbar, pillow, numpy.

Times: zxing-cpp and zbar (through pyzbar, the same libzbar zbarimg uses) are timed around the
decode call only, on the greyscale image already in memory, as the Rust bench times
`decode_texts`. The decode rate for zbar is zbarimg's, run once per file. An image counts as
read when every code in it is read.
"""
import json
import os
import statistics
import subprocess
import sys
import time

import numpy
import zxingcpp
from PIL import Image

try:
    from pyzbar import pyzbar
except ImportError:  # timing falls back to zbarimg's wall time
    pyzbar = None

RUNS = 3


def zbarimg_texts(path):
    out = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", path],
        capture_output=True,
    )
    return [line for line in out.stdout.decode("utf-8", "replace").split("\n") if line]


def timed(fn):
    times = []
    result = None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return result, statistics.median(times)


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "qr-corpus")
    with open(os.path.join(corpus, "manifest.json")) as f:
        manifest = json.load(f)
    rows = {}
    order = []
    screen = {"zbar": [], "zxing-cpp": []}
    for item in manifest:
        path = os.path.join(corpus, item["file"])
        gray = Image.open(path).convert("L")
        array = numpy.asarray(gray)
        expected = item["texts"]

        zx, zx_ms = timed(lambda: zxingcpp.read_barcodes(array, formats=zxingcpp.BarcodeFormat.QRCode))
        zx_texts = [r.text for r in zx]

        zb_texts = zbarimg_texts(path)
        if pyzbar is not None:
            _, zb_ms = timed(lambda: pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE]))
        else:
            _, zb_ms = timed(lambda: zbarimg_texts(path))

        cat = item["category"]
        if cat not in rows:
            rows[cat] = {"zbar": [0, 0, []], "zxing-cpp": [0, 0, []]}
            order.append(cat)
        for name, texts, ms in (("zbar", zb_texts, zb_ms), ("zxing-cpp", zx_texts, zx_ms)):
            ok = all(t in texts for t in expected)
            rows[cat][name][0] += int(ok)
            rows[cat][name][1] += 1
            rows[cat][name][2].append(ms)
            if gray.size == (1920, 1080):
                screen[name].append(ms)

    print(f"\nzbar {subprocess.run(['zbarimg', '--version'], capture_output=True, text=True).stdout.strip()} "
          f"and zxing-cpp {getattr(zxingcpp, '__version__', '')} on {len(manifest)} images "
          f"(median of {RUNS} runs each)\n")
    print("| category | zbar | zxing-cpp |")
    print("|---|---|---|")
    totals = {"zbar": [0, 0, []], "zxing-cpp": [0, 0, []]}
    for cat in order:
        cells = []
        for name in ("zbar", "zxing-cpp"):
            read, total, times = rows[cat][name]
            totals[name][0] += read
            totals[name][1] += total
            totals[name][2].extend(times)
            cells.append(f"{read}/{total} ({statistics.median(times):.1f} ms)")
        print(f"| {cat} | {cells[0]} | {cells[1]} |")
    cells = []
    for name in ("zbar", "zxing-cpp"):
        read, total, times = totals[name]
        cells.append(f"**{read}/{total} = {100.0 * read / total:.1f}%** ({statistics.median(times):.1f} ms)")
    print(f"| **all** | {cells[0]} | {cells[1]} |")
    print(f"| 1920×1080 frames, median | {statistics.median(screen['zbar']):.1f} ms | {statistics.median(screen['zxing-cpp']):.1f} ms |")


if __name__ == "__main__":
    main()
