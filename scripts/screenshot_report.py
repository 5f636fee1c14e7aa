"""Take the report screenshot the README and the docs show (docs/assets/report.png).

    python scripts/screenshot_report.py                 # runs `koubei demo` in a temporary folder first
    python scripts/screenshot_report.py --report koubei-demo/report.html

Opens the demo's ``report.html`` in headless Chromium the way ``tests/test_report_browser.py`` does
(the same flags; needs the Debian packages ``chromium``, ``chromium-driver`` and ``fonts-noto-cjk``,
and selenium from the ``dev`` extra), waits until plotly has drawn every chart, and saves the top of
the page (headline, issue list, the issue's trend) as a PNG. The page is drawn at a 0.75 zoom so the
file stays small (about 200 KB); rerun this after a change to the report's look and commit the PNG.
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "assets" / "report.png"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--hide-scrollbars")
_DRAWN_JS = """
return [...document.querySelectorAll('.chart[data-chart=plotly]')]
  .every(c => c.querySelector('svg.main-svg'));
"""


def run_demo(folder: Path) -> Path:
    """Run ``koubei demo -o koubei-demo`` inside ``folder`` (the page then names the store as a user's
    run does) and return its report."""
    subprocess.run([sys.executable, "-m", "koubei", "demo", "-o", "koubei-demo", "-q"], check=True,
                   cwd=folder, stdout=subprocess.DEVNULL)
    return folder / "koubei-demo" / "report.html"


def screenshot(report: Path, out: Path, width: int, height: int, zoom: float) -> int:
    """Save the top ``width`` x ``height`` CSS pixels of ``report`` at ``zoom``; return the PNG's size."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    for flag in (*FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.binary_location = str(shutil.which("chromium"))
    driver = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    try:
        driver.get(report.resolve().as_uri())
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(_DRAWN_JS))
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": zoom}})
    finally:
        driver.quit()
    data = base64.b64decode(shot["data"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="report.html to shoot (default: run koubei demo first)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1500)
    parser.add_argument("--zoom", type=float, default=0.75)
    args = parser.parse_args(argv)
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        print("error: needs chromium and chromedriver on PATH "
              "(Debian packages: chromium chromium-driver fonts-noto-cjk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        report = args.report or run_demo(Path(tmp))
        size = screenshot(report, args.out, args.width, args.height, args.zoom)
    print(f"wrote {args.out} ({size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
