"""`sqlmon report`: one HTML file, read from the results schema, that fetches nothing. What each monitor's section
holds (series with thresholds, anomaly bands and alert markers; histograms; reliability diagrams), that user text is
escaped, and that a report is written whole or not at all. The page in a real browser: tests/test_report_browser.py."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sqlmon.report import write_report
from sqlmon.report.data import schema_changes
from sqlmon.report.svg import nice_ticks
from tests.test_cli import SOURCES, TWO_DAYS, WAREHOUSE, sqlmon

BUDGET = 1024 * 1024  # the demo's report, whole


@dataclass
class Section:
    attrs: dict[str, str]
    charts: list[dict[str, str]] = field(default_factory=list)
    classes: Counter[str] = field(default_factory=Counter)  # `tag.class` of the elements inside
    chart_titles: list[list[str]] = field(default_factory=list)  # the <title> texts inside each chart
    titles: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """The report's structure as the tests read it: monitor sections, their figures and the SVG classes inside,
    every URL-bearing attribute, and whether every tag that was opened was closed."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "circle", "line", "rect", "path"})

    def __init__(self, html: str):
        super().__init__()
        self.sections: dict[str, Section] = {}
        self.overview: list[dict[str, str]] = []
        self.urls: list[str] = []
        self.open: list[str] = []
        self.unbalanced: list[str] = []
        self._section: Section | None = None
        self._in_title = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("src", "href", "action", "xlink:href", "srcset"):
            if key in a and not a[key].startswith("#"):
                self.urls.append(a[key])
        if tag == "section" and "monitor" in a.get("class", "").split():
            self._section = self.sections[a["data-monitor"]] = Section(a)
        elif tag == "tr" and a.get("class") == "overview-row":
            self.overview.append(a)
        elif self._section is not None:
            if tag == "figure":
                self._section.charts.append(a)
                self._section.chart_titles.append([])
            for name in a.get("class", "").split():
                self._section.classes[f"{tag}.{name}"] += 1
            self._in_title = tag == "title"
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.unbalanced.append(tag)
            return
        self.open.pop()
        if tag == "section":
            self._section = None
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and self._section is not None:
            self._section.titles.append(data)
            if self._section.charts:
                self._section.chart_titles[-1].append(data)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> tuple[Path, str]:
    from sqlmon.demo import run_demo

    folder = tmp_path_factory.mktemp("demo")
    result = run_demo(folder)
    assert result.report is not None and result.report.path == folder / "report.html"
    return folder, (folder / "report.html").read_text(encoding="utf-8")


def test_the_demo_writes_one_self_contained_report_under_its_budget(demo_report):
    _, html = demo_report
    size = len(html.encode("utf-8"))
    assert size < BUDGET, f"the demo's report is {size / 1024:.0f} KB; the budget is 1 MB"
    page = Page(html)
    assert page.urls == [], "a report fetches nothing: no src, no href but #anchors"
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", html, re.I), "no URL of any kind"
    assert page.unbalanced == [] and page.open == [], "every element is closed where it was opened"
    assert "default-src 'none'" in html, "a Content-Security-Policy forbids any fetch the page might attempt"


def test_every_monitor_has_its_section_and_overview_row_with_a_permalink(demo_report):
    from sqlmon.config.loader import load_project

    folder, html = demo_report
    page = Page(html)
    monitors = load_project(folder).monitors
    assert set(page.sections) == set(monitors)
    assert [row["data-monitor"] for row in page.overview] == list(monitors)
    for name, section in page.sections.items():
        assert section.attrs["id"] == f"monitor-{name}"  # notifications link to report_url#monitor-<name>
        assert section.attrs["data-source"] == monitors[name].source
        assert section.charts, f"{name} has no chart"
        assert f'href="#monitor-{name}"' in html


def test_the_status_of_each_monitor_is_its_newest_windows_worst_alert(demo_report):
    page = Page(demo_report[1])
    status = {name: s.attrs["data-status"] for name, s in page.sections.items()}
    # day 30 of the demo: the order feed has stopped, drift and the feedback loop go on, the score shift warns
    assert status == {
        "orders_freshness": "error",
        "orders_volume": "error",
        "orders_validity": "ok",  # its newest window is the feed's last day, which was clean
        "prediction_nulls": "ok",
        "predictions_contract": "ok",
        "input_drift": "error",
        "score_distribution": "warn",
        "prediction_calibration": "ok",
        "exposure_concentration": "error",
    }


def test_series_carry_thresholds_anomaly_bands_and_alert_markers(demo_report):
    sections = Page(demo_report[1]).sections
    volume = sections["orders_volume"]
    assert volume.classes["path.band"] >= 1, "the anomaly rule's band of expected row counts"
    assert volume.classes["path.expected"] == 1
    assert volume.classes["circle.alert"] == 7, "one marker per alert: 4 days × error and warn, less day 27's error"
    assert volume.classes["line.threshold"] == 1 and "error < 1" in volume.titles
    drift = sections["input_drift"]
    assert {"warn > 0.1", "error > 0.25", "warn > 0.04", "error > 0.1"} <= set(drift.titles)
    # wasserstein_norm's level follows the sample size (no threshold in the YAML): read back from its alerts
    [wasserstein] = [i for i, c in enumerate(drift.charts) if c.get("data-metric") == "wasserstein_norm"]
    assert "warn > 0.1" in drift.chart_titles[wasserstein]
    freshness = sections["orders_freshness"]
    assert "error > 1 day" in freshness.titles, "a duration level reads as one"


def test_distributions_are_drawn_baseline_against_current_and_calibration_as_reliability(demo_report):
    sections = Page(demo_report[1]).sections
    kinds = {name: Counter(c["data-chart"] for c in s.charts) for name, s in sections.items()}
    assert kinds["input_drift"]["histogram"] == 3 and kinds["input_drift"]["bars"] == 2  # 3 numeric, 2 categorical
    assert kinds["score_distribution"]["histogram"] == 1
    assert kinds["prediction_calibration"]["reliability"] >= 2  # overall and per country
    drift = sections["input_drift"]
    assert drift.classes["rect.baseline"] > 0 and drift.classes["rect.current"] > 0
    assert any(t.startswith("BR: current") for t in drift.titles), "the new country is a bar of its own"


def test_segments_get_their_own_charts_and_appear_in_the_segment_filter(demo_report):
    html = demo_report[1]
    calibration = Page(html).sections["prediction_calibration"]
    segments = {c["data-segment"] for c in calibration.charts}
    assert "" in segments and "country=US" in segments and "country=BR" in segments
    assert '<option value="country=US">country=US</option>' in html


def test_the_demo_report_lists_the_injected_schema_change(demo_report):
    html = demo_report[1]
    block = html.split('id="schema-changes"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(
        r'<tr class="schema-row" data-source="predictions"><td[^>]*>([^<]+)</td>.*?<td>(\w+)</td><td>(\w+)'
        r"</td><td>[^<]*</td></tr>",
        block,
    )
    assert ("2026-10-21", "device_os", "added") in rows and ("2026-10-23", "device_os", "removed") in rows


def test_days_and_select_narrow_the_report(demo_report, tmp_path):
    folder, _ = demo_report
    summary = write_report(folder, tmp_path / "week.html", days=7, select=["source:orders"])
    page = Page((tmp_path / "week.html").read_text(encoding="utf-8"))
    assert set(page.sections) == {"orders_freshness", "orders_volume", "orders_validity"}
    assert summary.monitors == 3 and summary.statuses == {"error": 2, "warn": 0, "ok": 1, "no_data": 0}
    volume = page.sections["orders_volume"]
    days = {t[:10] for t in volume.titles if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d = ", t)}
    assert days == {f"2026-10-{d}" for d in range(24, 31)}, "the 7 days up to the newest window"


HOSTILE = (
    SOURCES
    + """\
monitors:
  - name: amount_nulls
    type: null_rate
    source: scores
    description: 'closes </section><script>alert("description")</script>'
    columns: [amount]
    segment_by: [country]
    thresholds:
      null_rate: {warn: 0.1, error: 0.2}
  - name: country_drift
    type: feature_drift
    source: scores
    columns: [country]
"""
)


def test_user_text_is_escaped_everywhere_it_appears(make_project, tmp_path):
    """Descriptions, segment values and alert messages come from users and their data; none becomes markup."""
    setup = [*WAREHOUSE, """UPDATE main.scores SET country = '<img src=x onerror=alert(1)>"&' WHERE id % 3 = 0"""]
    root = make_project(HOSTILE, setup_sql=setup)
    assert sqlmon("run", "-p", root, *TWO_DAYS, "--fail-on", "never").exit_code == 0
    out = tmp_path / "hostile.html"
    write_report(root, out)
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    assert "<script>alert" not in html and "<img" not in html
    assert page.urls == [] and page.unbalanced == []
    assert html.count("<script>") == 1, "the report's own script only"
    assert r"country=&lt;img src\=x onerror\=alert(1)&gt;&quot;&amp;" in html  # `=` escaped by the segment label
    # the same value as a category: a bar's label and tooltip in the drift monitor's SVG
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;: current" in html
    assert set(page.sections) == {"amount_nulls", "country_drift"}


def test_a_project_without_results_gets_a_clear_error_and_no_file(make_project, tmp_path):
    root = make_project(HOSTILE, setup_sql=WAREHOUSE)
    out = tmp_path / "nothing.html"
    result = sqlmon("report", "-p", root, "--out", out)
    assert result.exit_code == 3
    assert result.output.strip() == (
        "Error: the results schema `sqlmon` holds no results yet; run `sqlmon run` first, then the report"
    )
    assert not out.exists() and list(tmp_path.glob(".*partial")) == []


def test_the_report_command_prints_where_it_wrote_and_what_it_found(make_project, tmp_path):
    root = make_project(HOSTILE, setup_sql=WAREHOUSE)
    sqlmon("run", "-p", root, *TWO_DAYS, "--fail-on", "never")
    result = sqlmon("report", "-p", root, "--out", tmp_path / "r.html")
    assert result.exit_code == 0
    assert re.fullmatch(
        rf"Report: {re.escape(str(tmp_path / 'r.html'))} \(2 monitors: 1 error, 1 ok; \d+ KB\)\n", result.output
    )


def test_an_existing_report_is_replaced_whole(make_project, tmp_path):
    root = make_project(HOSTILE, setup_sql=WAREHOUSE)
    sqlmon("run", "-p", root, *TWO_DAYS, "--fail-on", "never")
    out = tmp_path / "r.html"
    out.write_text("an older report")
    write_report(root, out)
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_schema_changes_are_the_differences_between_consecutive_snapshots():
    t1, t2, t3 = datetime(2026, 1, 1), datetime(2026, 1, 2), datetime(2026, 1, 3)
    rows = [
        ("s", "t", t1, "a", "INTEGER"),
        ("s", "t", t1, "b", "VARCHAR"),
        ("s", "t", t2, "a", "BIGINT"),
        ("s", "t", t2, "b", "VARCHAR"),
        ("s", "t", t2, "c", "DATE"),
        ("s", "t", t3, "a", "BIGINT"),
        ("s", "t", t3, "c", "DATE"),
    ]
    assert [(c.observed_at.day, c.column, c.change, c.detail) for c in schema_changes(rows)] == [
        (3, "b", "removed", "VARCHAR"),
        (2, "a", "retyped", "INTEGER → BIGINT"),
        (2, "c", "added", "DATE"),
    ]


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        (0, 1, [0, 0.25, 0.5, 0.75, 1.0]),
        (0.003, 0.061, [0, 0.02, 0.04, 0.06]),
        (1200, 2900, [1000, 1500, 2000, 2500]),
    ],
)
def test_axis_ticks_are_round_numbers_covering_the_range(lo, hi, ticks):
    assert nice_ticks(lo, hi) == pytest.approx(ticks)


PG_WAREHOUSE = [
    "CREATE SCHEMA main",
    "CREATE TABLE main.scores (id INTEGER, scored_at TIMESTAMP, amount DOUBLE PRECISION, country VARCHAR)",
    "INSERT INTO main.scores SELECT i, TIMESTAMP '2026-01-01' + make_interval(hours => 2 * i),"
    " CASE WHEN i % 4 = 0 THEN NULL ELSE i * 1.5 END, CASE WHEN i % 3 = 0 THEN 'DE' ELSE 'FR' END"
    " FROM generate_series(0, 23) AS t(i)",
    "CREATE TABLE main.training (id INTEGER, amount DOUBLE PRECISION, country VARCHAR)",
    "INSERT INTO main.training SELECT i, i * 1.5, CASE WHEN i % 3 = 0 THEN 'DE' ELSE 'FR' END"
    " FROM generate_series(0, 23) AS t(i)",
]


@pytest.mark.slow
def test_the_report_reads_postgresql_results_as_it_reads_duckdbs(postgres, make_project, tmp_path):
    """The same monitors on the same rows, run on DuckDB and on PostgreSQL, give reports with the same sections,
    statuses, charts and marks: the report's statements are generated for the results schema's dialect."""
    duck = make_project(HOSTILE, setup_sql=WAREHOUSE, folder=tmp_path / "duck")
    postgres.create_database("report")
    with postgres.connect("report") as con:
        for statement in PG_WAREHOUSE:
            con.execute(statement)
    pg = make_project(HOSTILE, project_yml=postgres.connection_yaml("report"), folder=tmp_path / "pg")
    pages = []
    for root in (duck, pg):
        assert sqlmon("run", "-p", root, *TWO_DAYS, "--fail-on", "never").exit_code == 0
        write_report(root, tmp_path / f"{root.name}.html")
        pages.append(Page((tmp_path / f"{root.name}.html").read_text(encoding="utf-8")))
    duck_page, pg_page = pages
    assert {n: s.attrs for n, s in duck_page.sections.items()} == {n: s.attrs for n, s in pg_page.sections.items()}
    assert {n: s.classes for n, s in duck_page.sections.items()} == {n: s.classes for n, s in pg_page.sections.items()}
    assert {n: s.titles for n, s in duck_page.sections.items()} == {n: s.titles for n, s in pg_page.sections.items()}


def test_a_level_read_back_from_alerts_belongs_to_the_segment_that_alerted():
    """A drift rule picks its test by the sample size: a segment's `ks_pvalue < 0.001` is no level of the whole
    window's chart, which gets its own alerts' levels or none."""
    from sqlmon.monitors.feature_drift import FeatureDriftSpec
    from sqlmon.report.data import AlertMark, MonitorData
    from sqlmon.report.page import chart_levels

    spec = FeatureDriftSpec(name="d", type="feature_drift", source="s", columns=["x"], segment_by=["region"])
    item = MonitorData(spec, None, ("psi",), {}, {})
    when = datetime(2026, 1, 1)
    item.alerts = [
        AlertMark("ks_pvalue", "x", "region=apac", when, 1e-9, "error", "threshold < 0.001", "…"),
        AlertMark("lag", None, None, when, 93600.0, "error", "threshold > 1 day 2 hours", "…"),
    ]
    [level] = chart_levels(item, "ks_pvalue", "region=apac", None)
    assert (level.severity, level.value, level.text) == ("error", 0.001, "error < 0.001")
    assert chart_levels(item, "ks_pvalue", None, None) == []
    [lag] = chart_levels(item, "lag", None, "seconds")
    assert (lag.value, lag.text) == (93600.0, "error > 1 day 2 hours")


def _synthetic(series: dict, bins: list | None = None, kind: str = "null_rate") -> str:
    """The page of one monitor with these stored values, drawn without a warehouse."""
    from sqlmon.config.specs import MonitorSpec
    from sqlmon.report.data import Bin, MonitorData, Point, ReportData
    from sqlmon.report.page import render

    spec = MonitorSpec(name="m", type=kind, source="s")
    item = MonitorData(spec, None, ("v",), {}, {})
    day = datetime(2026, 1, 1)
    from datetime import timedelta

    for key, values in series.items():
        item.series[key] = [
            Point(day + timedelta(days=i), day + timedelta(days=i + 1), v) for i, v in enumerate(values)
        ]
    item.latest_window = day + timedelta(days=max((len(v) for v in series.values()), default=1) - 1)
    item.histograms = {("x", None): [Bin(*b) for b in bins]} if bins else {}
    item.histogram_window = item.latest_window
    until = day + timedelta(days=max((len(v) for v in series.values()), default=1))
    data = ReportData("p", "t", "duckdb", "sqlmon", 30, day - timedelta(days=30), until, [item], [], None)
    return render(data, until)


@pytest.mark.parametrize(
    ("series", "bins"),
    [
        ({}, None),  # a monitor with nothing stored
        ({("v", None, None): [None, None, None]}, None),  # every value NULL (not computable)
        ({("v", None, None): [0.5]}, None),  # one window
        ({("v", "x", None): [-3.0, -1e-9, 2.5], ("v", "y", None): [1e17, -1e17, 0.0]}, None),  # signs and scales
        ({("v", None, None): [1e-300, 1e308, -1e308]}, None),  # a span no double holds
        ({("v", "x", "g=1"): [1.0, 2.0]}, None),  # metrics only in a segment
        (
            {("v", None, None): [1.0]},
            [("current", 0, None, 0.5, None, 10.0, 1.0), ("current", 1, 0.5, None, None, 0, 0.0)],
        ),
        (
            {("ece", "p", None): [0.1]},
            [("predicted", 0, 0.0, 0.5, None, 0.0, None), ("observed", 0, 0.0, 0.5, None, 0.0, None)],
        ),
    ],
)
def test_odd_stored_values_still_make_a_whole_page_with_finite_coordinates(series, bins):
    html = _synthetic(series, bins)
    page = Page(html)
    assert page.unbalanced == [] and page.open == []
    assert set(page.sections) == {"m"}
    drawn = " ".join(re.findall(r'(?:[xy][12]?|c[xy]|d|width|height)="([^"]*)"', html))
    assert not re.search(r"nan|inf", drawn, re.I), "every coordinate is a finite number"
