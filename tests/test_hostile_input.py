"""Hostile identifiers and odd values, run for real on DuckDB: the metrics each one stores, checked against numpy and
pandas, or the clear error it gets. And a second writer on the DuckDB file: exit 3 with DuckDB's lock error, in JSON
too."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from sqlmon.runner import run
from tests.conftest import query

END = datetime(2026, 3, 11)
W0 = datetime(2026, 3, 10)


def stored(root: Path, monitor: str) -> dict[tuple[str | None, str], float | None]:
    """{(column, metric): value} of one monitor's window starting at W0, over all rows (no segment)."""
    rows = query(
        root,
        "SELECT column_name, metric, value FROM sqlmon.sqlmon_metrics"
        " WHERE monitor = ? AND window_start = ? AND segment IS NULL",
        [monitor, W0],
    )
    return {(column, metric): value for column, metric, value in rows}


def run_ok(root: Path, end: datetime = END, start: datetime | None = None) -> None:
    result = run(root, start=start, end=end)
    assert result.status == "success", result.error


# --- identifiers ----------------------------------------------------------------------------------------------------

TABLE = "we\"ird 'tab;le ü select"
COLUMNS = ['gr"oup', "it's", "sp ace;", "ünï", "select", "order"]


def test_quotes_semicolons_spaces_unicode_and_reserved_words_as_names(make_project: Callable[..., Path]) -> None:
    """Every name is quoted by sqlglot: a table and columns named with `"`, `'`, `;`, spaces, unicode and the reserved
    words select/order/group run like plain names, for every kind, and are stored under their own names."""
    quoted = TABLE.replace('"', '""')
    root = make_project(
        """\
        sources:
          - name: odd
            table: 'main.we"ird ''tab;le ü select'
            timestamp: order
            window: 1 day
            baseline: {table: 'main.we"ird ''tab;le ü select'}
        monitors:
          - {name: nulls, type: null_rate, source: odd}
          - {name: drift, type: feature_drift, source: odd, columns: ['gr"oup', "it's", 'sp ace;', 'ünï']}
          - {name: topk, type: topk_concentration, source: odd, column: 'gr"oup'}
          - name: valid
            type: validity
            source: odd
            columns:
              "it's": {min: 0}
              'gr"oup': {accepted_values: ['a"b', "c'd"]}
              select: {unique: true}
          - {name: vol, type: volume, source: odd, segment_by: ['gr"oup']}
          - {name: fresh, type: freshness, source: odd}
        """,
        setup_sql=[
            f'CREATE TABLE main."{quoted}" ("order" TIMESTAMP, "gr""oup" VARCHAR, "it\'s" DOUBLE, "sp ace;" INTEGER,'
            ' "ünï" DOUBLE, "select" INTEGER)',
            f"INSERT INTO main.\"{quoted}\" VALUES ('2026-03-10 01:00', 'a\"b', 1.5, 1, 2.0, 1),"
            " ('2026-03-10 02:00', 'c''d', -1, 2, 3.0, 1), ('2026-03-10 03:00', NULL, NULL, NULL, NULL, NULL)",
        ],
    )
    run_ok(root)
    nulls = stored(root, "nulls")
    assert {column for column, _ in nulls} == set(COLUMNS)
    assert nulls[("order", "null_rate")] == 0
    assert all(nulls[(c, "null_count")] == 1 for c in COLUMNS if c != "order")
    drift = stored(root, "drift")
    assert {c for c, _ in drift} == {'gr"oup', "it's", "sp ace;", "ünï"}
    assert all(drift[(c, "psi")] == 0 for c in ('gr"oup', "it's", "sp ace;", "ünï"))  # the table is its baseline
    assert stored(root, "topk")[('gr"oup', "distinct_count")] == 2
    valid = stored(root, "valid")
    assert valid[("it's", "invalid_count.min")] == 1  # -1
    assert valid[('gr"oup', "invalid_count.accepted_values")] == 0  # both quoted values match themselves
    assert valid[("select", "invalid_count.unique")] == 2  # the two 1s; NULL is never a duplicate
    assert stored(root, "vol")[(None, "row_count")] == 3
    segments = query(
        root,
        "SELECT value FROM sqlmon.sqlmon_metrics WHERE monitor = 'vol' AND window_start = ? AND metric = 'row_count'",
        [W0],
    )
    assert sorted(value for (value,) in segments) == [1, 1, 1, 3]  # a"b, c'd, NULL, and all rows
    assert stored(root, "fresh")[(None, "lag")] == 21 * 3600  # newest row 03:00, window end 24:00


def test_a_name_with_a_dot_is_read_as_schema_and_table(make_project: Callable[..., Path]) -> None:
    """A part cannot contain a dot (docs/configuration.md): `main.a.b` is catalog `main`, schema `a`, table `b`, and
    a table that does not exist is a clear error naming it, not a SQL error."""
    root = make_project(
        "sources:\n  - {name: s, table: main.a.b}\nmonitors:\n  - {name: v, type: volume, source: s}\n",
        setup_sql='CREATE TABLE main."a.b" (x INTEGER)',
    )
    result = CliRunner().invoke(main, ["run", "-p", str(root)])
    assert result.exit_code == 2, result.output
    assert "Internal error" not in result.output
    assert "main.a.b" in result.stderr and "does not exist" in result.stderr


# --- values ---------------------------------------------------------------------------------------------------------

ROWS = 200_000


@pytest.fixture(scope="module")
def odd_values(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run over 200,000 rows of odd values (and a baseline of the same rows a day earlier), shared by the tests
    below: NaN/±inf, an all-NULL column, one distinct value, 200,000 distinct categories, 10,000-character strings,
    duplicate keys, and a row in the year 2099."""
    from tests.conftest import PROJECT_YML

    root = tmp_path_factory.mktemp("odd_values")
    (root / "monitors").mkdir()
    (root / "sqlmon.yml").write_text(PROJECT_YML)
    (root / "monitors" / "m.yml").write_text("""\
sources:
  - name: ev
    table: main.ev
    timestamp: ts
    window: 1 day
    baseline: {table: main.base}
monitors:
  - {name: nulls, type: null_rate, source: ev}
  - {name: drift, type: feature_drift, source: ev, columns: [x, allnull, one, longs, cat, onecat]}
  - {name: topk_long, type: topk_concentration, source: ev, column: longs}
  - {name: topk_cat, type: topk_concentration, source: ev, column: cat}
  - {name: topk_one, type: topk_concentration, source: ev, column: onecat}
  - {name: topk_null, type: topk_concentration, source: ev, column: allnulls}
  - name: valid
    type: validity
    source: ev
    columns:
      x: {min: 0, max: 10}
      longs: {max_length: 5000}
      id: {unique: true}
  - {name: vol, type: volume, source: ev}
  - {name: fresh, type: freshness, source: ev}
""")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    try:
        for table, day in (("ev", "2026-03-10"), ("base", "2026-03-01")):
            con.execute(f"""CREATE TABLE {table} AS SELECT
                TIMESTAMP '{day}' + to_seconds(i % 86400) AS ts,
                i % 1000 AS id,
                CASE i % 10 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE
                    ELSE (i % 7)::DOUBLE END AS x,
                NULL::DOUBLE AS allnull, NULL::VARCHAR AS allnulls, 5.0 AS one, 'k' AS onecat,
                repeat(chr(65 + (i % 3)::INTEGER), CASE WHEN i < 2000 THEN 10000 ELSE 1 END) AS longs,
                'c' || i AS cat
                FROM range({ROWS}) t(i)""")
        con.execute("INSERT INTO ev VALUES (TIMESTAMP '2099-01-01', 1, 1, NULL, NULL, 5.0, 'k', 'a', 'future')")
        frame = con.execute("SELECT * FROM ev WHERE ts < TIMESTAMP '2026-03-11'").df()
    finally:
        con.close()
    started = time.perf_counter()
    run_ok(root)
    print(f"odd values: {ROWS:,} rows, 9 monitors, run in {time.perf_counter() - started:.1f} s")
    frame.to_pickle(root / "frame.pkl")
    return root


def window_frame(root: Path) -> pd.DataFrame:
    return pd.read_pickle(root / "frame.pkl")


def test_nan_and_infinities(odd_values: Path) -> None:
    """NaN is missing in null_rate (nan_as_null) and breaks `max` (it sorts above every number), ±inf are values:
    -inf breaks `min`, +inf breaks `max`; with the same values in the baseline, no drift at all."""
    x = window_frame(odd_values)["x"].to_numpy()
    nan, pos, neg = np.isnan(x), np.isposinf(x), np.isneginf(x)
    assert stored(odd_values, "nulls")[("x", "null_rate")] == nan.mean() == 0.1
    valid = stored(odd_values, "valid")
    assert valid[("x", "invalid_count.min")] == neg.sum() == 20_000
    assert valid[("x", "invalid_count.max")] == (pos | nan).sum() == 40_000
    assert valid[("x", "invalid_rate")] == (neg | pos | nan).mean() == 0.3
    drift = stored(odd_values, "drift")
    assert (drift[("x", "psi")], drift[("x", "ks")], drift[("x", "ks_pvalue")]) == (0, 0, 1)
    assert drift[("x", "wasserstein")] == 0  # over the finite values only


def test_an_all_null_column(odd_values: Path) -> None:
    """null_rate 1; drift and concentration are not computable (NULL, never an alert); distinct_count 0."""
    assert stored(odd_values, "nulls")[("allnull", "null_rate")] == 1.0
    assert stored(odd_values, "nulls")[("allnulls", "null_count")] == ROWS
    drift = stored(odd_values, "drift")
    assert {metric: value for (column, metric), value in drift.items() if column == "allnull"} == dict.fromkeys(
        ["psi", "ks", "ks_pvalue", "ks_error", "wasserstein", "wasserstein_error", "wasserstein_norm", "js", "kl",
         "hellinger"]
    )  # fmt: skip
    topk = stored(odd_values, "topk_null")
    assert topk == {
        ("allnulls", "top_k_share"): None,
        ("allnulls", "hhi"): None,
        ("allnulls", "entropy_norm"): None,
        ("allnulls", "gini"): None,
        ("allnulls", "distinct_count"): 0,
        ("allnulls", "dropped_values"): None,
    }


def test_a_column_with_one_distinct_value(odd_values: Path) -> None:
    """No drift against the same constant; wasserstein_norm NULL (the baseline's deviation is 0); concentration 1."""
    drift = stored(odd_values, "drift")
    assert (drift[("one", "psi")], drift[("one", "ks")], drift[("one", "wasserstein")]) == (0, 0, 0)
    assert drift[("one", "wasserstein_norm")] is None
    assert (drift[("onecat", "psi")], drift[("onecat", "chi2_pvalue")], drift[("onecat", "kl")]) == (0, 1, 0)
    topk = stored(odd_values, "topk_one")
    assert [topk[("onecat", m)] for m in ("top_k_share", "hhi", "entropy_norm", "gini", "distinct_count")] == [
        1,
        1,
        0,
        0,
        1,
    ]


def test_200k_distinct_categories(odd_values: Path) -> None:
    """Exact concentration over 200,000 values, each once; drift over the 200 kept categories and `__other__` is
    exactly 0 against the same values, kl included (it once came out at -0.003: shares below the 1e-4 floor were
    raised to it although they were not empty)."""
    counts = window_frame(odd_values)["cat"].value_counts().to_numpy(dtype=float)
    shares = counts / counts.sum()
    topk = stored(odd_values, "topk_cat")
    assert topk[("cat", "distinct_count")] == len(counts) == ROWS
    assert topk[("cat", "top_k_share")] == pytest.approx(np.sort(shares)[::-1][:10].sum(), abs=1e-12)
    assert topk[("cat", "hhi")] == pytest.approx(np.sum(shares**2), rel=1e-9)
    assert topk[("cat", "entropy_norm")] == pytest.approx(-np.sum(shares * np.log(shares)) / np.log(ROWS), rel=1e-9)
    assert topk[("cat", "gini")] == pytest.approx(0, abs=1e-9)
    assert topk[("cat", "dropped_values")] == 0
    drift = stored(odd_values, "drift")
    assert {m: drift[("cat", m)] for m in ("psi", "chi2", "js", "kl", "hellinger", "l_infinity", "unseen_rate")} == (
        dict.fromkeys(["psi", "chi2", "js", "kl", "hellinger", "l_infinity", "unseen_rate"], 0.0)
    )


def test_10k_character_strings(odd_values: Path) -> None:
    """Values of 10,000 characters (2,000 rows) are categories like any other; max_length 5000 flags those rows."""
    longs = window_frame(odd_values)["longs"]
    assert longs.str.len().max() == 10_000
    topk = stored(odd_values, "topk_long")
    assert topk[("longs", "distinct_count")] == longs.nunique() == 6
    assert topk[("longs", "hhi")] == pytest.approx(np.sum(longs.value_counts(normalize=True).to_numpy() ** 2))
    assert stored(odd_values, "valid")[("longs", "invalid_count.max_length")] == (longs.str.len() > 5000).sum() == 2000
    assert stored(odd_values, "drift")[("longs", "psi")] == 0
    alerts = query(odd_values, "SELECT max(length(message)) FROM sqlmon.sqlmon_alerts")
    assert alerts[0][0] is None or alerts[0][0] < 2000  # no alert message repeats a 10,000-character value


def test_duplicate_rows_and_a_row_in_the_future(odd_values: Path) -> None:
    """Duplicates are rows: volume counts them, `unique` flags every copy. The row dated 2099 is in no window and
    freshness ignores it (lag counts rows before the window's end only)."""
    frame = window_frame(odd_values)
    assert stored(odd_values, "vol")[(None, "row_count")] == len(frame) == ROWS
    assert stored(odd_values, "valid")[("id", "invalid_count.unique")] == frame["id"].duplicated(keep=False).sum()
    fresh = stored(odd_values, "fresh")
    assert fresh[(None, "lag")] == 1.0  # newest row before the end: 23:59:59
    assert fresh[(None, "max_gap")] == 1.0


def test_timestamptz_across_a_dst_change(make_project: Callable[..., Path]) -> None:
    """TIMESTAMPTZ rows written in Europe/Berlin around the switch to summer time (02:00 → 03:00, 2026-03-29) fall into
    hourly windows by their UTC time; freshness measures in UTC; a row in 2099 is in no window."""
    root = make_project(
        """\
        sources:
          - {name: ev, table: main.ev, timestamp: ts, window: 1 hour}
        monitors:
          - {name: vol, type: volume, source: ev}
          - {name: fresh, type: freshness, source: ev}
          - {name: valid, type: validity, source: ev, columns: {id: {unique: true}}, unique_together: [[id, v]]}
        """,
        setup_sql=[
            "SET TimeZone = 'Europe/Berlin'",
            "CREATE TABLE ev (ts TIMESTAMPTZ, id INTEGER, v VARCHAR)",
            "INSERT INTO ev VALUES ('2026-03-29 00:10:00+00', 1, 'a'), ('2026-03-29 01:30:00+01', 2, 'a'),"
            " ('2026-03-29 01:45:00+01', 2, 'a'), ('2026-03-29 03:30:00+02', 3, 'b'),"
            " ('2026-03-29 03:59:00+02', 4, 'b'),"
            " ('2026-03-29 02:20:00+00', 5, 'c'), ('2099-01-01 00:00:00+00', 9, 'z')",
        ],
    )
    run_ok(root, start=datetime(2026, 3, 29), end=datetime(2026, 3, 29, 3))
    rows = query(
        root,
        "SELECT monitor, strftime(window_start, '%H:%M'), coalesce(column_name, ''), metric, value"
        " FROM sqlmon.sqlmon_metrics WHERE metric IN ('row_count', 'lag', 'invalid_count') ORDER BY ALL",
    )
    assert rows == [
        ("fresh", "00:00", "", "lag", 900.0),  # newest 00:45 UTC (01:45+01), end 01:00
        ("fresh", "01:00", "", "lag", 60.0),  # 01:59 UTC (03:59+02)
        ("fresh", "02:00", "", "lag", 2400.0),
        ("valid", "00:00", "", "row_count", 3.0),
        ("valid", "00:00", "id", "invalid_count", 2.0),  # the duplicate row 2/'a', both copies
        ("valid", "00:00", "id,v", "invalid_count", 2.0),
        ("valid", "01:00", "", "row_count", 2.0),
        ("valid", "01:00", "id", "invalid_count", 0.0),
        ("valid", "01:00", "id,v", "invalid_count", 0.0),
        ("valid", "02:00", "", "row_count", 1.0),
        ("valid", "02:00", "id", "invalid_count", 0.0),
        ("valid", "02:00", "id,v", "invalid_count", 0.0),
        ("vol", "00:00", "", "row_count", 3.0),
        ("vol", "01:00", "", "row_count", 2.0),
        ("vol", "02:00", "", "row_count", 1.0),
    ]


# --- a second writer ------------------------------------------------------------------------------------------------


def test_a_second_writer_on_the_duckdb_file_is_exit_3_with_the_lock_error_in_json(
    make_project: Callable[..., Path],
) -> None:
    root = make_project(
        "sources:\n  - {name: s, table: main.t}\nmonitors:\n  - {name: v, type: volume, source: s}\n",
        setup_sql=["CREATE TABLE t (x INTEGER)", "INSERT INTO t VALUES (1)"],
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(root / 'warehouse.duckdb')!r});"
         " print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        result = CliRunner().invoke(main, ["run", "-p", str(root), "--format", "json"])
        text = CliRunner().invoke(main, ["run", "-p", str(root)])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert (report["run_id"], report["status"], report["exit_code"], report["metrics"]) == (None, "error", 3, [])
    assert report["error"].startswith(f"cannot open DuckDB database {root / 'warehouse.duckdb'}: IO Error: Could not")
    assert "Conflicting lock is held" in report["error"]
    assert result.stderr == f"Error: {report['error']}\n"
    assert text.exit_code == 3 and text.stdout == "" and text.stderr == f"Error: {report['error']}\n"
    run_ok(root)  # the lock is gone with its holder: the next run works
