"""The report in a real browser: headless Chromium draws every chart and real Chinese glyphs.

Needs the Debian packages ``chromium``, ``chromium-driver`` and ``fonts-noto-cjk`` (``.ci/run``
installs them) and selenium (the ``dev`` extra); skipped with the reason otherwise. The page's
full-length screenshot is written to ``build/report-screenshot.png``.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_report import BREAKOUT, XSS, hostile_issues, report_inputs, scored_frame

from koubei.report import CHART_IDS, build_report
from koubei.store.history import open_store

SCREENSHOT = Path(__file__).resolve().parents[1] / "build" / "report-screenshot.png"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")
HOSTILE_OPINION = "<b>坏</b>"

# Each string drawn alone on a canvas in the page's font stack: ink pixels as a 0/1 string.
_INK_JS = """
const font = getComputedStyle(document.body).fontFamily;
return arguments[0].map(t => {
  const c = document.createElement('canvas'); c.width = 48; c.height = 48;
  const x = c.getContext('2d'); x.font = '32px ' + font; x.textBaseline = 'top'; x.fillText(t, 4, 4);
  const a = x.getImageData(0, 0, 48, 48).data; let bits = '';
  for (let i = 3; i < a.length; i += 4) bits += a[i] > 127 ? '1' : '0';
  return bits;
});
"""
# Per plotly chart container: its main svg's size and the marks drawn in it.
_CHARTS_JS = """
return [...document.querySelectorAll('.chart[data-chart=plotly]')].map(c => {
  const svg = c.querySelector('svg.main-svg'); const r = svg ? svg.getBoundingClientRect() : null;
  return {id: c.id, width: r ? r.width : 0, height: r ? r.height : 0,
          marks: c.querySelectorAll('.trace .point, .trace path.js-line, .hm image').length};
});
"""
# The screenshot decoded by the browser, scaled down: mean and spread of its luminance.
_PIXELS_JS = """
const done = arguments[arguments.length - 1];
const img = new Image();
img.onload = () => {
  const w = 256, h = Math.max(1, Math.round(img.height * 256 / img.width));
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const x = c.getContext('2d'); x.drawImage(img, 0, 0, w, h);
  const a = x.getImageData(0, 0, w, h).data; let s = 0, s2 = 0, n = a.length / 4;
  for (let i = 0; i < a.length; i += 4) {
    const l = 0.299 * a[i] + 0.587 * a[i + 1] + 0.114 * a[i + 2]; s += l; s2 += l * l;
  }
  const mean = s / n;
  done({width: img.width, height: img.height, mean: mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean))});
};
img.onerror = () => done(null);
img.src = 'data:image/png;base64,' + arguments[0];
"""


def _missing() -> str:
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if missing:
        return (f"{' and '.join(missing)} not on PATH; install the Debian packages chromium, "
                "chromium-driver and fonts-noto-cjk (as .ci/run does)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed; pip install -e '.[dev]'"
    return ""


pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_missing()), reason=_missing() or "-")]


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in (*FLAGS, "--window-size=1280,1600"):
        options.add_argument(flag)
    options.binary_location = str(shutil.which("chromium"))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def page(driver: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The report of the wave (from its store) plus hostile issues and opinion phrases, opened and drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    tmp = tmp_path_factory.mktemp("report")
    _, store = report_inputs(tmp)
    with open_store(store) as st:
        issues = pd.concat([st.list(), hostile_issues()], ignore_index=True)
    scored = scored_frame()
    scored.loc[scored["opinions"] != "", "opinions"] += ";口味:" + HOSTILE_OPINION
    path = tmp / "report.html"
    path.write_text(build_report(scored, issues), encoding="utf-8")
    driver.get(path.as_uri())
    WebDriverWait(driver, 30).until(lambda d: all(c["marks"] for c in d.execute_script(_CHARTS_JS)),
                                    message="plotly did not draw every chart within 30 s")
    return {"path": path, "issues": issues}


def test_no_console_errors(driver: Any, page: dict[str, Any]) -> None:
    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == []


def test_every_chart_is_drawn(driver: Any, page: dict[str, Any]) -> None:
    charts = {c["id"]: c for c in driver.execute_script(_CHARTS_JS)}
    real = [i for i in page["issues"]["issue_id"] if i != "KB-0000000002"]  # that one has no trend
    assert set(charts) == {*CHART_IDS, *(f"chart-trend-{i}" for i in real)}
    for c in charts.values():
        assert c["width"] > 100 and c["height"] > 100 and c["marks"] > 0, c


def test_chinese_text_has_real_glyphs(driver: Any, page: dict[str, Any]) -> None:
    chinese = ["口", "味", "淡", "满", "碑"]
    tofu = ["\ue000", "\U0010fffd"]  # no font has these: the missing-glyph box
    ink = dict(zip(chinese + tofu, driver.execute_script(_INK_JS, chinese + tofu)))
    assert ink["\ue000"] == ink["\U0010fffd"]  # the reference really is the one box
    for ch in chinese:
        assert "1" in ink[ch] and ink[ch] != ink["\ue000"], f"{ch} renders as an empty box"
    assert len({ink[ch] for ch in chinese}) == len(chinese)  # distinct glyphs, not one box
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": "#title"})["nodeId"]
    fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cjk = [f for f in fonts if f["glyphCount"] > 0 and ("CJK" in f["familyName"] or " SC" in f["familyName"])]
    assert cjk, f"the title's Chinese is drawn with {fonts}, no CJK font"


def test_hostile_text_is_shown_not_run(driver: Any, page: dict[str, Any]) -> None:
    text = driver.execute_script("return document.body.innerText")
    assert XSS in text and BREAKOUT in text  # quotes shown as text
    assert driver.execute_script("return document.querySelectorAll('img, .issue b, td b').length") == 0
    labels = driver.execute_script(
        "return [...document.querySelectorAll('#chart-opinions svg text')].map(t => t.textContent)")
    assert any(HOSTILE_OPINION in t for t in labels)  # the phrase is a label, not bold markup
    assert driver.execute_script("return document.querySelectorAll('#chart-opinions svg b').length") == 0


def test_screenshot_is_written_and_not_blank(driver: Any, page: dict[str, Any]) -> None:
    size = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}})
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    stats = driver.execute_async_script(_PIXELS_JS, shot["data"])
    assert stats is not None and stats["height"] > 1600  # the whole page, not the window
    assert stats["std"] > 10, stats  # not one flat colour
