"""Shared by the end-to-end metric tests (tests/test_metrics_*.py): load numpy data into a real DuckDB project, run
sqlmon, read the stored metrics back, and compare them with references computed on the raw arrays.

Data is windowed: the source has a `ts` column and daily windows. The window under test is [W0, W0 + 1 day); the
tests also put rows in the day before and at exactly W0 + 1 day (the excluded end), so a metric that counted rows
outside its window would not match the reference.

pandas turns NaN into NULL when DuckDB reads a DataFrame, so `load` writes real NaN (and NULL where a mask says so)
with SQL after the tables are created.
"""

from __future__ import annotations

import atexit
import math
import os
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sqlmon.runner import run

DAY = timedelta(days=1)
W0 = datetime(2026, 3, 10)  # start of the window under test
END = W0 + DAY  # as_of: the last complete window is [W0, W0 + 1 day)
TOL = 1e-9

# Largest deviation seen per metric; printed at exit when SQLMON_PRINT_DEVIATIONS is set.
DEVIATIONS: dict[str, float] = {}


def _print_deviations() -> None:
    if os.environ.get("SQLMON_PRINT_DEVIATIONS") and DEVIATIONS:
        print("\nlargest deviation per metric:")
        for metric, dev in sorted(DEVIATIONS.items()):
            print(f"  {metric:24s} {dev:.3g}")


atexit.register(_print_deviations)


def assert_close(metric: str, actual: float | None, expected: float, tol: float = TOL) -> None:
    """|actual − expected| ≤ tol, relative to |expected| when that is above 1."""
    assert actual is not None, f"{metric}: stored NULL, expected {expected!r}"
    expected = float(expected)
    if math.isinf(expected):
        assert actual == expected, f"{metric}: {actual!r} != {expected!r}"
        return
    deviation = abs(actual - expected) / max(1.0, abs(expected))
    DEVIATIONS[metric] = max(DEVIATIONS.get(metric, 0.0), deviation)
    assert deviation <= tol, f"{metric}: {actual!r} != {expected!r} (deviation {deviation:.3g})"


def times(n: int, day: datetime, rng: np.random.Generator) -> np.ndarray:
    """n timestamps inside [day, day + 1 day); the first sits exactly on the window's (inclusive) start."""
    seconds = rng.integers(0, 86_400, size=n)
    if n:
        seconds[0] = 0
    return (np.datetime64(day) + seconds.astype("timedelta64[s]")).astype("datetime64[us]")


def at(moment: datetime, n: int) -> np.ndarray:
    return np.full(n, np.datetime64(moment), dtype="datetime64[us]")


def stack(*parts: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Concatenate column dicts (same keys) row-wise."""
    return {key: np.concatenate([np.asarray(p[key]) for p in parts]) for key in parts[0]}


def _sql_type(values: np.ndarray) -> str:
    return "FLOAT" if values.dtype == np.float32 else "DOUBLE"


def load(
    make_project: Callable[..., Path],
    sources: str,
    monitors: str,
    tables: Mapping[str, Mapping[str, np.ndarray]],
    nulls: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    after: Sequence[str] = (),
) -> Path:
    """A project with these `sources` and `monitors` (YAML, each dedented) whose warehouse holds `tables`
    ({table: {column: array}}), with real NaN where a float array has NaN, NULL where `nulls[table][column]` is true,
    then the `after` SQL (e.g. a type change)."""
    nulls = nulls or {}
    frames, fixes = {}, []
    for table, columns in tables.items():
        data: dict[str, np.ndarray] = {}
        for name, values in columns.items():
            values = np.asarray(values)
            null_mask = np.asarray(nulls.get(table, {}).get(name, np.zeros(len(values), bool)))
            nan_mask = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
            if nan_mask.any() or null_mask.any():
                if values.dtype.kind == "f":
                    values = np.where(nan_mask, 0, values).astype(values.dtype)
                data[name] = values
                data[f"_nan_{name}"] = nan_mask
                data[f"_null_{name}"] = null_mask
                nan = f"CAST('nan' AS {_sql_type(values)})" if values.dtype.kind == "f" else "NULL"
                fixes += [
                    f'UPDATE main."{table}" SET "{name}" = CASE WHEN "_null_{name}" THEN NULL '
                    f'WHEN "_nan_{name}" THEN {nan} ELSE "{name}" END',
                    f'ALTER TABLE main."{table}" DROP COLUMN "_nan_{name}"',
                    f'ALTER TABLE main."{table}" DROP COLUMN "_null_{name}"',
                ]
            else:
                data[name] = values
        frames[table] = pd.DataFrame(data)
    root = make_project(textwrap.dedent(sources) + textwrap.dedent(monitors), tables=frames)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    try:
        for statement in [*fixes, *after]:
            con.execute(statement)
    finally:
        con.close()
    return root


def project_in(folder: Path) -> Callable[..., Path]:
    """A `make_project` (tests/conftest.py) that builds in `folder`, for a fixture shared by a whole module."""

    def make(text: str, tables: Mapping[str, pd.DataFrame]) -> Path:
        from tests.conftest import PROJECT_YML

        (folder / "monitors").mkdir(parents=True)
        (folder / "sqlmon.yml").write_text(PROJECT_YML)
        (folder / "monitors" / "m.yml").write_text(text)
        con = duckdb.connect(str(folder / "warehouse.duckdb"))
        try:
            for name, frame in tables.items():
                con.register("_frame", frame)
                con.execute(f'CREATE TABLE main."{name}" AS SELECT * FROM _frame')
                con.unregister("_frame")
        finally:
            con.close()
        return folder

    return make


class Stored:
    """What a run stored: sqlmon_metrics, sqlmon_histograms and sqlmon_alerts, read in one connection."""

    def __init__(self, root: Path):
        con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
        try:
            self._metrics = con.execute(
                "SELECT monitor, window_start, column_name, metric, value FROM sqlmon.sqlmon_metrics"
            ).fetchall()
            self._bins = con.execute(
                'SELECT monitor, window_start, column_name, side, bin, lower, upper, category, "count", fraction '
                "FROM sqlmon.sqlmon_histograms ORDER BY bin"
            ).fetchall()
            self._alerts = con.execute(
                "SELECT monitor, window_start, metric, value, severity, message FROM sqlmon.sqlmon_alerts"
            ).fetchall()
        finally:
            con.close()

    def metrics(self, monitor: str, window_start: datetime = W0) -> dict[tuple[str | None, str], float | None]:
        """{(column, metric): value} for one monitor and window."""
        return {(c, metric): v for m, w, c, metric, v in self._metrics if (m, w) == (monitor, window_start)}

    def histogram(self, monitor: str, column: str, side: str, window_start: datetime = W0) -> list[tuple]:
        """(bin, lower, upper, category, count, fraction) rows, by bin."""
        return [tuple(r[4:]) for r in self._bins if r[:4] == (monitor, window_start, column, side)]

    def alerts(self, monitor: str, window_start: datetime = W0) -> list[tuple]:
        """(metric, value, severity, message) of the alerts raised."""
        return [tuple(r[2:]) for r in self._alerts if r[:2] == (monitor, window_start)]


def run_project(root: Path, end: datetime = END) -> Stored:
    """`sqlmon.runner.run` up to `end`, then what it stored."""
    result = run(root, end=end)
    assert result.status == "success", result.error
    return Stored(root)


# --- references on raw arrays -----------------------------------------------------------------------------------


def quantile_edges(base: np.ndarray, bins: int) -> np.ndarray:
    """Inner edges at the baseline's inverted-CDF quantiles k/bins, deduplicated."""
    return np.unique([np.quantile(base, k / bins, method="inverted_cdf") for k in range(1, bins)])


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in (−inf, e1), [e1, e2), …, [e_last, +inf)."""
    return np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1).astype(float)


def psi(base: np.ndarray, cur: np.ndarray, eps: float = 1e-4) -> float:
    p = np.maximum(base / base.sum(), eps)
    q = np.maximum(cur / cur.sum(), eps)
    return float(np.sum((q - p) * np.log(q / p)))


def kl(base: np.ndarray, cur: np.ndarray, eps: float = 1e-4) -> float:
    """KL(q ‖ p') over the bins where q > 0, p' = p with eps in the empty bins, via scipy's rel_entr."""
    from scipy.special import rel_entr

    p = base / base.sum()
    p = np.where(p > 0, p, eps)
    q = cur / cur.sum()
    return float(np.sum(rel_entr(q, p)))


def js(base: np.ndarray, cur: np.ndarray) -> float:
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(base / base.sum(), cur / cur.sum(), base=2))


def hellinger(base: np.ndarray, cur: np.ndarray) -> float:
    p, q = base / base.sum(), cur / cur.sum()
    return float(np.linalg.norm(np.sqrt(p) - np.sqrt(q)) / math.sqrt(2))
