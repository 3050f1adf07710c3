#!/usr/bin/env python3
"""Screenshot an HTML report with headless Chromium and check that it loaded cleanly.

Usage::

    python tools/screenshot_report.py REPORT.html OUT.png
    python tools/screenshot_report.py --demo OUT.png            # renders the test suite's example report first
    python tools/screenshot_report.py --demo OUT.png --keep-html demo.html

What it does:

1. ``chromium --headless --dump-dom --enable-logging=stderr --v=0 file://REPORT.html``: fails when the browser
   logged a console message from the page (``CONSOLE``, ``Uncaught ...``, ``Failed to load resource``; the
   report has no scripts, so any console message is a fault) or when the DOM it built lacks the expected
   number of ``<img src="data:image/png;base64,...">`` plots (``--images``; by default as many as the file
   embeds, at least 1: the bar chart, plus the heat map when the runs have ComplexBench samples),
   or when it references anything but ``data:`` URIs and ``#fragment`` links (the report is self-contained;
   Chromium does not log a broken ``file://`` image as a console error, so this is checked on the DOM).
2. ``chromium --headless --screenshot=OUT.png --window-size=1400,2400 file://REPORT.html`` and, when Pillow is
   installed, checks that the PNG has the window's size and is not a blank page.

The browser is ``$CHROMIUM`` if set, else the first of chromium, chromium-browser, google-chrome(-stable) on
PATH; without one the script exits with status 2 and says how to install it. ``--no-sandbox`` is passed because
CI containers run as root. Exit status: 0 ok, 1 a check failed, 2 no browser / bad arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1400, 2400)
TIMEOUT_S = 120
# Console output of the page. Chromium logs page console messages as "...:CONSOLE(line)] "message", source: ...";
# uncaught exceptions and failed loads also carry these words.
CONSOLE_ERROR = re.compile(r"CONSOLE|Uncaught|Failed to load resource|net::ERR_", re.IGNORECASE)
# Any src / href / CSS url(...) in the DOM; a self-contained report only has data: URIs and #fragment links.
REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]+)|url\(\s*["']?([^"')\s]+)""", re.IGNORECASE)
DATA_IMG = re.compile(r"""<img\b[^>]*\bsrc=["']data:image/png;base64,[A-Za-z0-9+/=]{100,}["']""", re.IGNORECASE)


class CheckFailed(Exception):
    pass


def find_browser() -> str:
    candidates = [os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else list(BROWSERS)
    for name in candidates:
        path = shutil.which(name)
        if path:
            return path
    return _no_browser(candidates)


def _no_browser(candidates: list[str]) -> str:
    print(
        f"screenshot_report: error: no Chromium found (looked for {', '.join(candidates)} on PATH). "
        "Install it, e.g. `apt-get install -y chromium`, or set $CHROMIUM to a Chrome/Chromium binary.",
        file=sys.stderr,
    )
    raise SystemExit(2)


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-extensions", "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}",
        *args,
    ]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(f"chromium did not finish within {TIMEOUT_S} s: {' '.join(cmd)}") from exc


def check_dom(browser: str, profile: Path, url: str, images: int) -> str:
    """Load the page once with logging on; returns the DOM Chromium built. Raises CheckFailed on errors."""
    proc = _run(browser, profile, "--enable-logging=stderr", "--v=0", "--dump-dom", url)
    console = [line for line in proc.stderr.splitlines() if CONSOLE_ERROR.search(line)]
    if console:
        raise CheckFailed("the page logged console errors:\n  " + "\n  ".join(console[:20]))
    dom = proc.stdout
    if proc.returncode != 0 or "<html" not in dom.lower():
        tail = "\n  ".join(proc.stderr.splitlines()[-15:])
        raise CheckFailed(f"chromium --dump-dom failed (exit {proc.returncode}); stderr tail:\n  {tail}")
    found = len(DATA_IMG.findall(dom))
    if found != images:
        raise CheckFailed(f"the DOM has {found} embedded PNG image(s), expected {images}")
    external = sorted({ref for pair in REFERENCE.findall(dom) for ref in pair
                       if ref and not ref.startswith(("data:", "#"))})
    if external:
        raise CheckFailed("the page is not self-contained; it references: " + ", ".join(external[:10]))
    for tag in ("<table", "</table>"):
        if tag not in dom:
            raise CheckFailed(f"the DOM has no {tag}")
    return dom


def screenshot(browser: str, profile: Path, url: str, out: Path) -> None:
    out.unlink(missing_ok=True)
    proc = _run(browser, profile, f"--screenshot={out}", f"--window-size={WINDOW[0]},{WINDOW[1]}", url)
    if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        tail = "\n  ".join(proc.stderr.splitlines()[-15:])
        raise CheckFailed(f"chromium --screenshot wrote no image (exit {proc.returncode}); stderr tail:\n  {tail}")
    try:
        from PIL import Image
    except ImportError:  # optional: the size / blank-page check needs Pillow
        return
    with Image.open(out) as img:
        if img.size != WINDOW:
            raise CheckFailed(f"screenshot is {img.size[0]}×{img.size[1]}, expected {WINDOW[0]}×{WINDOW[1]}")
        colors = img.convert("RGB").getcolors(maxcolors=1 << 16)
        if colors is not None and len(colors) < 50:
            raise CheckFailed(f"screenshot looks blank ({len(colors)} colours)")


def demo_html(path: Path) -> Path:
    """Render the example report that tests/test_report_html.py builds (hand-made frames) to ``path``."""
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("_report_html_example", ROOT / "tests" / "test_report_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from raif_eval.reports.html import write_html

    return write_html(module.build_report(), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("report", nargs="?", type=Path, help="the HTML report (omit with --demo)")
    parser.add_argument("out", type=Path, help="where to write the PNG screenshot")
    parser.add_argument("--demo", action="store_true", help="render the test suite's example report and use it")
    parser.add_argument("--keep-html", type=Path, help="with --demo: where to keep the rendered HTML")
    parser.add_argument("--images", type=int, default=None,
                        help="embedded PNGs the page must have (default: as many as the file embeds, at least 1)")
    args = parser.parse_args(argv)
    if args.demo == (args.report is not None):
        parser.error("give either REPORT.html or --demo")

    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="raif-shot-") as tmp:
        tmp = Path(tmp)
        report = args.report
        if args.demo:
            report = demo_html(args.keep_html or tmp / "demo_report.html")
        if not report.is_file():
            print(f"screenshot_report: error: no such file: {report}", file=sys.stderr)
            return 2
        url = report.resolve().as_uri()
        images = args.images if args.images is not None else max(
            1, len(DATA_IMG.findall(report.read_text(encoding="utf-8", errors="replace"))))
        try:
            dom = check_dom(browser, tmp / "profile", url, images)
            screenshot(browser, tmp / "profile", url, args.out)
        except CheckFailed as exc:
            print(f"screenshot_report: FAILED: {exc}", file=sys.stderr)
            return 1
    print(f"ok: {report} -> {args.out} ({args.out.stat().st_size} bytes, window {WINDOW[0]}x{WINDOW[1]}; "
          f"{len(DATA_IMG.findall(dom))} embedded images, no console errors)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
