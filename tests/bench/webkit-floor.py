#!/usr/bin/python3
"""The floor under the app's memory figure: a bare WebKitGTK window showing one line of text,
with the same WebKitGTK library and environment the app gets (compositing off). Prints the
resident (RSS) and proportional (PSS) memory of the window's process and its WebKit children
a few seconds after the page loaded, the way tests/e2e/bench.mjs measures the app.

Needs Debian's python3-gi and gir1.2-webkit2-4.1 and a display (scripts/bench.sh app runs it).
"""
import os
import sys

os.environ.setdefault("WEBKIT_DISABLE_COMPOSITING_MODE", "1")

import gi  # noqa: E402

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

SETTLE_SECONDS = 4


def descendants(pid):
    found = [pid]
    for p in found:
        for task in os.listdir(f"/proc/{p}/task"):
            try:
                with open(f"/proc/{p}/task/{task}/children") as f:
                    found += [int(c) for c in f.read().split()]
            except OSError:
                pass
    return found


def memory(pid):
    rows = []
    for p in descendants(pid):
        fields = {}
        with open(f"/proc/{p}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[-1] == "kB":
                    fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
        with open(f"/proc/{p}/comm") as f:
            rows.append((f.read().strip(), fields.get("Rss", 0), fields.get("Pss", 0)))
    return rows


def report():
    rows = memory(os.getpid())
    rss = sum(r[1] for r in rows)
    pss = sum(r[2] for r in rows)
    parts = "; ".join(f"{name} {r:.1f} MB rss/{p:.1f} MB pss" for name, r, p in rows)
    print(f"bare-webkitgtk-window: RSS sum {rss:.1f} MB, PSS sum {pss:.1f} MB ({parts})")
    Gtk.main_quit()
    return False


def main():
    window = Gtk.Window(title="floor")
    window.set_default_size(480, 720)
    view = WebKit2.WebView()
    view.get_settings().set_hardware_acceleration_policy(WebKit2.HardwareAccelerationPolicy.NEVER)
    window.add(view)
    view.connect(
        "load-changed",
        lambda _v, event: event == WebKit2.LoadEvent.FINISHED
        and GLib.timeout_add_seconds(SETTLE_SECONDS, report),
    )
    view.load_html("<!doctype html><p>123 456</p>", "about:blank")
    window.show_all()
    GLib.timeout_add_seconds(60, lambda: sys.exit("no page load within 60 s"))
    Gtk.main()


if __name__ == "__main__":
    main()
