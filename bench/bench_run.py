"""How a run scales with the rows in a window, on embedded DuckDB.

Builds a predictions table with `rows` rows per day for 3 days (plus a 50,000-row training baseline), runs the
demo's kinds of monitors over it (null_rate on all columns, feature_drift on 3 numeric + 2 categorical columns,
prediction_histogram, topk_concentration), and prints one line per size: statements, wall time per window, and peak
resident memory of the process (the warehouse runs in process, so that includes DuckDB's).

    python bench/bench_run.py                 # 10k, 100k, 1M rows per window
    python bench/bench_run.py --rows 100000   # one size
    python bench/bench_run.py --demo          # also time `sqlmon demo`
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path

MONITORS = """\
sources:
  - name: predictions
    table: main.predictions
    timestamp: scored_at
    window: 1 day
    backfill: 30 days
    baseline: {table: main.training}
monitors:
  - {name: nulls, type: null_rate, source: predictions}
  - name: drift
    type: feature_drift
    source: predictions
    columns: [amount, age, txns, country, merchant]
  - {name: scores, type: prediction_histogram, source: predictions, column: score}
  - {name: concentration, type: topk_concentration, source: predictions, column: merchant_id}
"""


def build(folder: Path, rows: int, days: int = 3) -> None:
    import duckdb

    (folder / "monitors").mkdir(parents=True)
    (folder / "sqlmon.yml").write_text("connection: {type: duckdb, path: warehouse.duckdb}\n")
    (folder / "monitors" / "m.yml").write_text(MONITORS)
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    columns = textwrap.dedent("""
        exp(random() * 3 + 2) AS amount,
        CAST(floor(random() * 3650) AS INTEGER) AS age,
        CAST(floor(random() * 200) AS INTEGER) AS txns,
        ['US', 'GB', 'DE', 'FR', 'CA', 'ES'][CAST(floor(random() * 6) AS INTEGER) + 1] AS country,
        ['grocery', 'fuel', 'travel', 'gaming'][CAST(floor(random() * 4) AS INTEGER) + 1] AS merchant,
        'm' || CAST(floor(pow(random(), 3) * 5000) AS INTEGER) AS merchant_id,
        random() AS score
    """)
    con.execute("SELECT setseed(0.42)")
    con.execute(f"CREATE TABLE main.training AS SELECT {columns} FROM range(50000)")
    con.execute(
        f"CREATE TABLE main.predictions AS SELECT TIMESTAMP '2026-10-01' + to_microseconds("
        f"CAST(range * (86400000000 * {days} / {rows * days}) AS BIGINT)) AS scored_at, {columns} "
        f"FROM range({rows * days})"
    )
    con.close()


def measure(rows: int, queue: multiprocessing.Queue) -> None:
    from sqlmon.runner import run

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(folder, rows)
        started = time.perf_counter()
        result = run(folder, end=datetime(2026, 10, 4))
        seconds = time.perf_counter() - started
        windows = len(result.windows["predictions"])
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put((rows, windows, result.statements, seconds, seconds / windows, peak_mb, result.status))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per window (repeatable)")
    parser.add_argument("--demo", action="store_true", help="also time the demo")
    args = parser.parse_args()
    sizes = args.rows or [10_000, 100_000, 1_000_000]
    print(f"{'rows/window':>12} {'windows':>8} {'statements':>11} {'run s':>8} {'s/window':>9} {'peak MB':>8}  status")
    for rows in sizes:
        # a fresh process per size, so peak memory is that size's own
        queue: multiprocessing.Queue = multiprocessing.Queue()
        process = multiprocessing.Process(target=measure, args=(rows, queue))
        process.start()
        process.join()
        rows_, windows, statements, seconds, per_window, peak, status = queue.get()
        print(f"{rows_:>12,} {windows:>8} {statements:>11} {seconds:>8.2f} {per_window:>9.2f} {peak:>8.0f}  {status}")
    if args.demo:
        from sqlmon.demo import run_demo

        with tempfile.TemporaryDirectory() as tmp:
            result = run_demo(Path(tmp) / "demo")
        print(f"\nsqlmon demo: 30 daily runs over 2 sources in {result.seconds:.1f} s")


if __name__ == "__main__":
    main()
