"""Each row type of a run writes exactly the columns of its results table (docs/results.md is the contract)."""

from __future__ import annotations

from datetime import datetime

from sqlmon.config.durations import Window
from sqlmon.monitors.base import FailingRow, HistogramBin
from sqlmon.results import (
    Alert,
    AnomalyRow,
    HistogramRow,
    MetricRow,
    NotificationRow,
    RunResult,
    SampleRow,
    SchemaRow,
)
from sqlmon.store import TABLES

AT = datetime(2026, 10, 2)
RUN = RunResult("r1", "success", AT, AT, as_of=AT, target="default (duckdb)", sqlmon_version="0.1.0")


def columns(table: str) -> list[str]:
    return [name for name, _ in TABLES[table]]


def test_every_row_type_has_exactly_its_tables_columns_in_order() -> None:
    window = Window(datetime(2026, 10, 1), AT)
    histogram_bin = HistogramBin("c", "current", 0, 0.0, 1.0, None, 3.0, 1.0)
    rows = {
        "sqlmon_runs": RUN.to_row(),
        "sqlmon_metrics": MetricRow("m", "null_rate", "s", "c", "null_rate", 0.5, window, "ok").to_row(RUN),
        "sqlmon_alerts": Alert("m", "null_rate", "c", "null_rate", 0.5, "warn", "threshold > 0.1", "…", AT).to_row(RUN),
        "sqlmon_histograms": HistogramRow("m", None, AT, histogram_bin).to_row(RUN),
        "sqlmon_samples": SampleRow("m", AT, FailingRow("c", 1, "id=7", "min")).to_row(RUN),
        "sqlmon_schemas": SchemaRow("s", "main.t", "c", "DOUBLE", 0, AT).to_row(RUN),
        "sqlmon_anomalies": AnomalyRow(
            "m", None, None, "row_count", window, 9.0, 10.0, 8.0, 12.0, -0.5, 7, "mad", 3.5, "day_of_week", "ok"
        ).to_row(RUN),
        "sqlmon_notifications": NotificationRow(
            "oncall", "opened", "m", "c", None, "null_rate", "warn", 0.5, "…", "threshold > 0.1", AT, "sent", None, AT
        ).to_row(RUN),
    }
    for table, row in rows.items():
        assert list(row) == columns(table), table
    # written by sqlmon.baselines.profile row by row, and by Store.ensure when it creates or migrates the schema
    assert set(TABLES) - set(rows) == {"sqlmon_baselines", "sqlmon_layout"}


def test_a_source_measured_whole_stores_the_run_time_as_its_window() -> None:
    row = MetricRow("m", "null_rate", "s", "c", "row_count", 10.0, None, "ok").to_row(RUN)
    assert (row["window_start"], row["window_end"], row["computed_at"]) == (AT, AT, AT)


def test_docs_results_md_documents_every_column_of_every_table() -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "results.md").read_text()
    for table in TABLES:
        section = text.split(f"## `{table}`\n", 1)[1].split("\n## ", 1)[0]
        documented = [
            name
            for line in section.splitlines()
            if line.startswith("| `")
            for name in re.findall(r"`([a-z_]+)`", line.split("|")[1])
        ]
        assert documented == columns(table), table
