"""The demo's HTML report in a real headless Chromium: self-contained, every monitor drawn, the filters and the
anchors work, and the page is not blank.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run), driven through the `playwright` package; no browser
is ever downloaded. One browser serves the module, each test has a fresh offline context of its own.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urldefrag

import numpy as np
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
SCREENS = Path("/tmp/report_screens")  # a copy of each screenshot, for a human to look at


def chromium_executable() -> str | None:
    """Debian's Chromium, or a `chromium` on the PATH; None when there is neither."""
    if CHROMIUM.is_file():
        return str(CHROMIUM)
    return shutil.which("chromium")


@pytest.fixture(scope="module", autouse=True)
def chromium() -> str:
    """Chromium's path; the tests skip, saying what is missing, without Chromium or playwright (autouse: before the
    demo is built)."""
    executable = chromium_executable()
    if executable is None:
        pytest.skip(
            "Chromium unavailable: no /usr/bin/chromium and no `chromium` on the PATH (apt-get install chromium)"
        )
    pytest.importorskip("playwright.sync_api", reason="playwright unavailable: pip install -e '.[test]' installs it")
    return executable


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 30-day demo, built once for the module; it writes report.html into its folder."""
    from sqlmon.demo import run_demo

    folder = tmp_path_factory.mktemp("demo")
    run_demo(folder)
    assert (folder / "report.html").is_file(), f"run_demo wrote no report.html into {folder}"
    return folder


@pytest.fixture(scope="module")
def sources(demo_folder: Path) -> dict[str, str]:
    """The demo project's monitors, as configured in its monitors/*.yml: name → source."""
    from sqlmon.config.loader import load_project

    return {name: spec.source for name, spec in load_project(demo_folder).monitors.items()}


@pytest.fixture(scope="module")
def report_url(demo_folder: Path) -> str:
    return (demo_folder / "report.html").resolve().as_uri()


@dataclass
class Traffic:
    """What a page asked for, and what it complained about."""

    requests: list[str] = field(default_factory=list)  # every request the page made, in order
    blocked: list[str] = field(default_factory=list)  # the requests that were not the report itself (aborted)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def context(browser: Browser, traffic: Traffic, report_url: str) -> Iterator[BrowserContext]:
    """A fresh browser context with the network off: offline, and every request but the report's own recorded and
    aborted."""
    ctx = browser.new_context(offline=True, viewport=VIEWPORT)

    def only_the_report(route: Route) -> None:
        if urldefrag(route.request.url).url == report_url:
            route.continue_()
        else:
            traffic.blocked.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_the_report)
    ctx.on("request", lambda request: traffic.requests.append(request.url))
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, traffic: Traffic, report_url: str) -> Page:
    """The report, loaded in the offline context, its console errors and uncaught exceptions recorded."""
    new = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen_at = message.location.get("url", "")
            traffic.console_errors.append(f"{message.text} ({seen_at})" if seen_at else message.text)

    new.on("console", on_console)
    new.on("pageerror", lambda error: traffic.page_errors.append(str(error)))
    new.goto(report_url, wait_until="load")
    return new


def visible_monitors(page: Page) -> set[str]:
    """The monitors whose sections are shown (not hidden by a filter)."""
    sections = page.locator("section.monitor")
    return {
        str(sections.nth(i).get_attribute("data-monitor"))
        for i in range(sections.count())
        if sections.nth(i).is_visible()
    }


def visible_overview_rows(page: Page) -> set[str]:
    rows = page.locator("#overview tr.overview-row")
    return {str(rows.nth(i).get_attribute("data-monitor")) for i in range(rows.count()) if rows.nth(i).is_visible()}


def statuses(page: Page) -> dict[str, str]:
    """Each monitor section's data-status (ok, warn, error, no_data)."""
    return page.eval_on_selector_all(
        "section.monitor", "sections => Object.fromEntries(sections.map(s => [s.dataset.monitor, s.dataset.status]))"
    )


def drawn_charts(page: Page, monitor: str, kind: str | None = None) -> int:
    """How many of the monitor's chart figures (of one data-chart kind, or any) hold an svg with a nonzero size."""
    selector = f"section#monitor-{monitor} figure.chart" + (f'[data-chart="{kind}"]' if kind else "") + " svg"
    svgs = page.locator(selector)
    drawn = 0
    for i in range(svgs.count()):
        box = svgs.nth(i).bounding_box()
        drawn += box is not None and box["width"] > 0 and box["height"] > 0
    return drawn


def test_the_report_loads_offline_with_no_request_but_its_own_file_and_no_console_error(page, traffic, report_url):
    """With the network off, the report asks for nothing but itself (no script, style, font or image from
    anywhere), and neither logs a console error nor throws."""
    assert page.locator("main#sqlmon-report").count() == 1
    assert traffic.blocked == []
    assert traffic.requests == [report_url]
    assert traffic.console_errors == []
    assert traffic.page_errors == []


def test_every_monitor_has_a_section_with_a_drawn_chart(page, sources):
    """Each monitor of the project (monitors/*.yml) has its section and overview row, and at least one chart whose
    svg has a nonzero size on the page."""
    missing = [name for name in sources if page.locator(f"section.monitor#monitor-{name}").count() != 1]
    assert missing == [], f"monitors without exactly one section: {missing}"
    undrawn = [name for name in sources if drawn_charts(page, name) == 0]
    assert undrawn == [], f"monitors without a drawn chart: {undrawn}"
    rows = page.eval_on_selector_all("#overview tr.overview-row", "rows => rows.map(r => r.dataset.monitor)")
    assert sorted(rows) == sorted(sources)
    for name, source in sources.items():
        assert page.locator(f'#overview tr.overview-row[data-monitor="{name}"] a[href="#monitor-{name}"]').count() == 1
        assert page.locator(f"section#monitor-{name}").get_attribute("data-source") == source, name


@pytest.mark.parametrize(
    ("monitor", "kind"),
    [
        ("input_drift", "histogram"),
        ("score_distribution", "histogram"),
        ("prediction_calibration", "reliability"),
        ("orders_volume", "series"),
    ],
)
def test_each_kind_of_monitor_gets_its_kind_of_chart(page, sources, monitor, kind):
    """Drift and score distributions are drawn as histograms, calibration as a reliability diagram, and a volume as a
    series over the days."""
    assert monitor in sources, f"{monitor} is not a monitor of the demo project: {sorted(sources)}"
    assert drawn_charts(page, monitor, kind) >= 1, f"{monitor} has no drawn {kind} chart"


def test_the_volume_series_shows_the_anomaly_band_and_the_alerts_of_the_stopped_feed(page):
    """orders_volume's series chart draws its value line, the band the anomaly rule learnt, and a marker on each
    alerting day (the stopped order feed, days 27-30)."""
    chart = page.locator('section#monitor-orders_volume figure.chart[data-chart="series"]').first
    assert chart.locator("svg path.value-line").count() >= 1
    assert chart.locator("svg path.band").count() >= 1
    assert chart.locator("svg circle.alert").count() >= 1
    assert chart.locator("svg circle.alert.error").count() >= 1  # days 28-30 are errors


def test_the_filters_hide_what_does_not_match_and_reset_restores_everything(page, sources):
    """Source `orders` leaves only the order monitors (sections and overview rows) and says how many; severity
    `error` leaves the monitors whose status is error; choosing "all" again shows every monitor."""
    total = len(sources)
    assert page.locator("#filter-count").inner_text().strip() == f"{total} of {total} monitors shown"

    orders = {name for name, source in sources.items() if source == "orders"}
    page.select_option("#filter-source", "orders")
    assert visible_monitors(page) == orders
    assert visible_overview_rows(page) == orders
    assert page.locator("#filter-count").inner_text().strip() == f"{len(orders)} of {total} monitors shown"

    page.select_option("#filter-source", "")
    errors = {name for name, status in statuses(page).items() if status == "error"}
    assert errors, "no monitor of the demo has status error (the stopped order feed should be one)"
    page.select_option("#filter-severity", "error")
    assert visible_monitors(page) == errors
    assert visible_overview_rows(page) == errors
    assert page.locator("#filter-count").inner_text().strip() == f"{len(errors)} of {total} monitors shown"

    page.select_option("#filter-severity", "")
    assert visible_monitors(page) == set(sources)
    assert visible_overview_rows(page) == set(sources)
    assert page.locator("#filter-count").inner_text().strip() == f"{total} of {total} monitors shown"


def test_the_monitor_and_segment_filters_show_one_monitor_or_one_segments_charts(page, sources):
    """Monitor `input_drift` leaves that monitor alone; segment `country=BR` leaves the monitors split by country
    and, in them, only that segment's charts; "overall only" hides every segment's chart."""
    page.select_option("#filter-monitor", "input_drift")
    assert visible_monitors(page) == {"input_drift"}
    page.select_option("#filter-monitor", "")

    page.select_option("#filter-segment", "country=BR")
    assert visible_monitors(page) == {"prediction_calibration"}
    charts = page.locator("section#monitor-prediction_calibration figure.chart")
    shown = {charts.nth(i).get_attribute("data-segment") for i in range(charts.count()) if charts.nth(i).is_visible()}
    assert shown == {"country=BR"}

    page.select_option("#filter-segment", "__overall__")
    assert visible_monitors(page) == set(sources), "every monitor has overall charts"
    shown = {charts.nth(i).get_attribute("data-segment") for i in range(charts.count()) if charts.nth(i).is_visible()}
    assert shown == {""}
    page.click("#filter-reset")
    assert visible_monitors(page) == set(sources)


def test_an_anchor_in_the_url_scrolls_its_monitor_into_view(context, traffic, report_url):
    """Opening report.html#monitor-input_drift (a link from an alert, say) shows that section, scrolled to."""
    page = context.new_page()
    page.goto(f"{report_url}#monitor-input_drift", wait_until="load")
    box = page.locator("section#monitor-input_drift").bounding_box()
    assert box is not None
    assert page.evaluate("() => window.scrollY") > 0  # the section is below the first screen: the page did scroll
    assert -1 < box["y"] < VIEWPORT["height"], box  # -1: the top may land a subpixel above the viewport
    assert traffic.blocked == []


def test_a_full_page_screenshot_is_not_blank(page, tmp_path):
    """The rendered report has colour in it: many distinct colours, and the background is not (nearly) everything."""
    shot = tmp_path / "report-full-page.png"
    page.screenshot(path=str(shot), full_page=True, type="png")
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENS / shot.name)
    pixels = decode_png(shot.read_bytes())
    packed = (pixels[..., 0].astype(np.uint32) << 16) | (pixels[..., 1].astype(np.uint32) << 8) | pixels[..., 2]
    colours, counts = np.unique(packed, return_counts=True)
    background = counts.max() / packed.size
    print(
        f"\nscreenshot {SCREENS / shot.name}: {pixels.shape[1]}x{pixels.shape[0]}, {len(colours)} colours, "
        f"background {background:.1%}"
    )
    assert len(colours) >= 20
    assert background < 0.95


def test_the_load_time_is_measured(page, demo_folder):
    """The page's navigation timing is printed (never asserted: timings are not for unit tests)."""
    timing = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            return {duration: nav.duration, domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd};
        }"""
    )
    size = (demo_folder / "report.html").stat().st_size
    print(
        f"\nreport load: {timing['duration']:.0f} ms (DOMContentLoaded {timing['domContentLoaded']:.0f} ms, "
        f"load {timing['load']:.0f} ms), {size / 1024:.0f} KiB"
    )
    assert timing["duration"] > 0


# A PNG decoder for the screenshot (8-bit RGB or RGBA, not interlaced), so the test needs no imaging library.


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of a PNG as an array of shape (height, width, channels), channels 3 (RGB) or 4 (RGBA)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, header, compressed = 8, b"", bytearray()
    while position < len(data):
        (length, kind), body = struct.unpack(">I4s", data[position : position + 8]), position + 8
        if kind == b"IHDR":
            header = data[body : body + length]
        elif kind == b"IDAT":
            compressed += data[body : body + length]
        elif kind == b"IEND":
            break
        position = body + length + 4  # the chunk's data, then its CRC
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
    channels = 3 if colour_type == 2 else 4
    raw = np.frombuffer(zlib.decompress(bytes(compressed)), dtype=np.uint8).reshape(height, 1 + width * channels)
    return unfilter(raw[:, 0], raw[:, 1:], channels).reshape(height, width, channels)


def unfilter(filters: np.ndarray, rows: np.ndarray, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth); `bpp` is the bytes per pixel."""
    out = np.zeros_like(rows)
    previous = np.zeros(rows.shape[1], dtype=np.uint8)
    for y, kind in enumerate(filters.tolist()):
        row = rows[y]
        if kind == 0:
            current = row.copy()
        elif kind == 1:  # Sub: a running sum of each channel along the row, modulo 256
            current = np.cumsum(row.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
        elif kind == 2:  # Up
            current = row + previous
        elif kind in (3, 4):
            current = np.frombuffer(unfilter_row(kind, row.tobytes(), previous.tobytes(), bpp), dtype=np.uint8)
        else:
            raise AssertionError(f"row {y}: unknown PNG filter {kind}")
        out[y] = previous = current
    return out


def unfilter_row(kind: int, row: bytes, above: bytes, bpp: int) -> bytearray:
    """Average (3) and Paeth (4) depend on the pixel just reconstructed to the left: byte by byte."""
    current = bytearray(row)
    for i in range(len(current)):
        left = current[i - bpp] if i >= bpp else 0
        up = above[i]
        if kind == 3:
            current[i] = (current[i] + (left + up) // 2) & 0xFF
            continue
        corner = above[i - bpp] if i >= bpp else 0
        estimate = left + up - corner
        to_left, to_up, to_corner = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
        if to_left <= to_up and to_left <= to_corner:
            predicted = left
        elif to_up <= to_corner:
            predicted = up
        else:
            predicted = corner
        current[i] = (current[i] + predicted) & 0xFF
    return current
